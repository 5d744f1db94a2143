#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: elasticache_parameter_group
version_added: 0.1.0
short_description: Manage ElastiCache parameter groups with validation and reboot awareness
description:
  - Creates, updates and deletes Amazon ElastiCache cache parameter groups for Redis OSS and
    Valkey, for the families V(redis6.x), V(redis7), V(valkey7) and V(valkey8).
  - Validates every parameter name and value against the metadata of its family (exists,
    modifiable, data type, C(AllowedValues) ranges such as V(0,20-) and lists such as the
    eviction policies) and reports all problems in one error before anything is written.
  - An existing group's own listing (C(DescribeCacheParameters)) carries each parameter's metadata, so a
    converged run reads the group once and not the family; the family's defaults
    (C(DescribeEngineDefaultParameters)) are read when the group is created and when O(purge)
    resets a parameter (the value it returns to).
  - Writes at most 20 parameters per C(ModifyCacheParameterGroup) or
    C(ResetCacheParameterGroup) call.
  - Reports the changed parameters with their C(ChangeType), whether a reboot is required
    and which cache clusters using the group (the member clusters of replication groups)
    are waiting for one.
author:
  - dbfleet maintainers (@dbfleet)
options:
  name:
    description:
      - Name of the cache parameter group.
      - 1 to 255 letters, digits or hyphens; starts with a letter; no trailing hyphen and no
        two consecutive hyphens. The C(default.*) groups cannot be managed.
    required: true
    type: str
  family:
    description:
      - The cache parameter group family, for example V(redis7) or V(valkey8).
      - Required to create a group. The family of an existing group cannot change; use a new
        O(name) to move to another family.
    type: str
  description:
    description:
      - Description of the group, set when the group is created.
      - ElastiCache cannot change the description of an existing group; a different value
        only produces a warning.
      - Defaults to the group name.
    type: str
  parameters:
    description:
      - Parameter names and their values, for example V(maxmemory-policy) or V(timeout).
      - Values may be strings or numbers. For parameters that take V(yes) or V(no), booleans
        (V(true)/V(false)) are converted to V(yes)/V(no).
      - A value equal to the family default is not written.
      - Parameters not listed are left as they are unless O(purge=true).
    type: dict
  purge:
    description:
      - Reset every user-set parameter that O(parameters) does not list to the family default.
    type: bool
    default: false
  state:
    description:
      - Whether the group should exist.
      - Deleting a group that cache clusters still use fails and names those clusters.
    choices: [present, absent]
    default: present
    type: str
notes:
  - Check mode makes no change and reports what would change. O(parameters) are validated
    in check mode as well.
  - Diff mode shows only the parameters, description and tags that change.
  - Immediate changes reach the clusters using the group at once; requires-reboot changes
    leave their member clusters with parameter apply status C(pending-reboot) until they
    are rebooted.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Production cache parameters for Redis 7
  dbfleet.aws.elasticache_parameter_group:
    name: app-redis7-prod
    family: redis7
    description: Production settings for the app cache
    parameters:
      maxmemory-policy: allkeys-lru
      timeout: 300
      tcp-keepalive: 300
      notify-keyspace-events: Ex
      maxmemory-samples: 5
    tags:
      Environment: prod
  register: cache_parameters

- name: Report clusters that need a reboot to apply requires-reboot changes
  ansible.builtin.debug:
    msg: "{{ cache_parameters.pending_reboot_clusters }} must reboot"
  when: cache_parameters.reboot_required or cache_parameters.pending_reboot_clusters | length > 0

- name: Make the group hold exactly these parameters, resetting any other user-set one
  dbfleet.aws.elasticache_parameter_group:
    name: app-valkey8-dev
    family: valkey8
    parameters:
      maxmemory-policy: volatile-lru
    purge: true

- name: Endpoint and region for every dbfleet.aws module of a play
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/dbfleet.aws.aws:
      region: us-east-1
  tasks:
    - name: Delete a parameter group no replication group uses any more
      dbfleet.aws.elasticache_parameter_group:
        name: app-redis6-old
        state: absent
"""

# Written from one template shared with rds_parameter_group by
# tools/docs/parameter_group_returns.py (make docs): edit it there.
RETURN = r"""
parameter_group:
  description: The cache parameter group. Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    name:
      description: Name of the group.
      type: str
      sample: app-redis7-prod
    family:
      description: The cache parameter group family.
      type: str
      sample: redis7
    description:
      description: Description of the group.
      type: str
      sample: Production settings for the app cache
    arn:
      description: ARN of the group; null when check mode would create it.
      type: str
      sample: arn:aws:elasticache:us-east-1:123456789012:parametergroup:app-redis7-prod
    tags:
      description: Tags of the group.
      type: dict
      sample: {"Environment": "prod"}
changed_parameters:
  description:
    - Parameters that were (in check mode, would be) modified or reset.
    - For a parameter reset by O(purge=true), C(after) is the family default (null when the
      family has none).
  returned: when O(state=present)
  type: list
  elements: dict
  contains:
    name:
      description: Parameter name.
      type: str
      sample: maxmemory-policy
    before:
      description: Value before the change; null when the parameter had no value.
      type: str
      sample: volatile-lru
    after:
      description: Value after the change, in the form ElastiCache stores it.
      type: str
      sample: allkeys-lru
    change_type:
      description: The parameter's C(ChangeType), V(immediate) or V(requires-reboot).
      type: str
      sample: immediate
reboot_required:
  description: Whether a requires-reboot parameter changed, so clusters using the group need a reboot.
  returned: when O(state=present)
  type: bool
  sample: false
pending_reboot_clusters:
  description:
    - Identifiers of the cache clusters using the group whose parameter apply status is
      C(pending-reboot). In check mode, the clusters that would be.
  returned: when O(state=present)
  type: list
  elements: str
  sample: ["app-prod-cache-001", "app-prod-cache-002"]
problems:
  description: Every validation problem, one per entry, when validation fails.
  returned: failure
  type: list
  elements: str
  sample: ["parameters.timeout: 5 is outside the allowed values 0,20-"]
"""

from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_parameters import ElastiCacheParameterGroups
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_group_module import run_parameter_group_module


def main():
    run_parameter_group_module(ElastiCacheParameterGroups())


if __name__ == "__main__":
    main()
