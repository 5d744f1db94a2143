#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_parameter_group
version_added: 0.1.0
short_description: Manage RDS DB parameter groups with validation and reboot awareness
description:
  - Creates, updates and deletes Amazon RDS DB parameter groups.
  - Validates every parameter name and value against the metadata of its family (exists,
    modifiable, data type, C(AllowedValues) ranges and lists) and reports all problems in one
    error before anything is written.
  - An existing group's own listing (C(DescribeDBParameters)) carries each parameter's metadata, so a
    converged run reads the group once and not the family; the family's defaults
    (C(DescribeEngineDefaultParameters)) are read when the group is created and when O(purge)
    resets a parameter (the value it returns to).
  - Writes at most 20 parameters per API call, with C(ApplyMethod=immediate) for dynamic
    and C(ApplyMethod=pending-reboot) for static parameters.
  - Reports the changed parameters, whether a reboot is required and which DB instances
    using the group are waiting for one.
author:
  - dbfleet maintainers (@dbfleet)
options:
  name:
    description:
      - Name of the DB parameter group.
      - 1 to 255 letters, digits or hyphens; starts with a letter; no trailing hyphen and no
        two consecutive hyphens. RDS stores the name in lower case.
    required: true
    type: str
  family:
    description:
      - The DB parameter group family, for example V(postgres16).
      - Required to create a group. The family of an existing group cannot change; use a new
        O(name) to move to another family.
    type: str
  description:
    description:
      - Description of the group, set when the group is created.
      - RDS cannot change the description of an existing group; a different value only
        produces a warning.
      - Defaults to the group name.
    type: str
  parameters:
    description:
      - Parameter names and their values.
      - Values may be strings, numbers or booleans. Booleans (V(true)/V(false), V(on)/V(off),
        V(yes)/V(no), V(1)/V(0)) are converted to the form the parameter accepts.
      - List parameters such as C(shared_preload_libraries) take a comma-separated string or a
        list.
      - Integer parameters also accept RDS formulas such as V({DBInstanceClassMemory/4}) or
        V(GREATEST({DBInstanceClassMemory/9531392},5000\)).
      - Numeric values may carry a PostgreSQL unit (V(B), V(kB), V(MB), V(GB), V(TB), V(us), V(ms),
        V(s), V(min), V(h), V(d)) when the parameter has one; V(8MB) is written as V(8192) for
        C(work_mem), whose unit is kB.
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
      - Deleting a group that DB instances still use fails and names those instances.
    choices: [present, absent]
    default: present
    type: str
notes:
  - Check mode makes no change and reports what would change. O(parameters) are validated
    in check mode as well.
  - Diff mode shows only the parameters, description and tags that change.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Production parameter group for PostgreSQL 16
  dbfleet.aws.rds_parameter_group:
    name: app-postgres16-prod
    family: postgres16
    description: Production settings for the app database
    parameters:
      shared_preload_libraries: pg_stat_statements
      shared_buffers: "{DBInstanceClassMemory/32768}"
      effective_cache_size: "{DBInstanceClassMemory*3/32768}"
      max_connections: 200
      work_mem: 8192
      random_page_cost: 1.1
      log_min_duration_statement: 1000
      log_connections: true
      log_disconnections: true
      log_lock_waits: true
      log_statement: mod
      rds.force_ssl: true
    tags:
      Environment: prod
  register: parameter_group

- name: Report instances that need a reboot to apply static changes
  ansible.builtin.debug:
    msg: "{{ parameter_group.pending_reboot_instances }} must reboot"
  when: parameter_group.reboot_required or parameter_group.pending_reboot_instances | length > 0

- name: Make the group hold exactly these parameters, resetting any other user-set one
  dbfleet.aws.rds_parameter_group:
    name: app-postgres16-dev
    family: postgres16
    parameters:
      log_min_duration_statement: 500
    purge: true

- name: Endpoint and region for every dbfleet.aws module of a play
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/dbfleet.aws.aws:
      region: us-east-1
  tasks:
    - name: Delete a parameter group no instance uses any more
      dbfleet.aws.rds_parameter_group:
        name: app-postgres15-old
        state: absent
"""

# Written from one template shared with elasticache_parameter_group by
# tools/docs/parameter_group_returns.py (make docs): edit it there.
RETURN = r"""
parameter_group:
  description: The DB parameter group. Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    name:
      description: Name of the group.
      type: str
      sample: app-postgres16-prod
    family:
      description: The DB parameter group family.
      type: str
      sample: postgres16
    description:
      description: Description of the group.
      type: str
      sample: Production settings for the app database
    arn:
      description: ARN of the group; null when check mode would create it.
      type: str
      sample: arn:aws:rds:us-east-1:123456789012:pg:app-postgres16-prod
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
      sample: max_connections
    before:
      description: Value before the change; null when the parameter had no value.
      type: str
      sample: "100"
    after:
      description: Value after the change, in the form RDS stores it.
      type: str
      sample: "200"
    apply_type:
      description: V(static) (needs a reboot) or V(dynamic).
      type: str
      sample: static
    apply_method:
      description: The C(ApplyMethod) sent, V(pending-reboot) or V(immediate).
      type: str
      sample: pending-reboot
reboot_required:
  description: Whether a static parameter changed, so instances using the group need a reboot.
  returned: when O(state=present)
  type: bool
  sample: true
pending_reboot_instances:
  description:
    - Identifiers of the DB instances using the group whose parameter apply status is
      C(pending-reboot). In check mode, the instances that would be.
  returned: when O(state=present)
  type: list
  elements: str
  sample: ["app-prod-db"]
problems:
  description: Every validation problem, one per entry, when validation fails.
  returned: failure
  type: list
  elements: str
  sample: ["parameters.max_connections: 0 is outside the allowed values 1-262143"]
"""

from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_group_module import run_parameter_group_module
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_parameters import RdsParameterGroups


def main():
    run_parameter_group_module(RdsParameterGroups())


if __name__ == "__main__":
    main()
