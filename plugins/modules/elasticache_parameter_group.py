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
  - Validates every parameter name and value against the family metadata returned by
    C(DescribeEngineDefaultParameters) (exists, modifiable, data type, C(AllowedValues)
    ranges such as V(0,20-) and lists such as the eviction policies) and reports all problems
    in one error before anything is written.
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

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_group_module import apply_tags
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_group_module import build_diff
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_group_module import fail_with_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_group_module import pending_reboot
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_group_module import plan_tags
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_parameters import change_type
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_parameters import clusters_using_group
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_parameters import describe_family_defaults
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_parameters import describe_group
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_parameters import describe_group_parameters
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import STATIC
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import batches
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import check_value_types
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import plan_changes
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import validate_group_name
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import validate_parameters


def group_identity(group):
    return {
        "name": group["CacheParameterGroupName"],
        "family": group["CacheParameterGroupFamily"],
        "description": group.get("Description"),
    }


def group_summary(group, tags):
    return dict(group_identity(group), arn=group.get("ARN"), tags=tags)


def ensure_absent(module, client, group):
    name = module.params["name"]
    if group is None:
        module.exit_json(changed=False, parameter_group={})
    users = clusters_using_group(client, name)
    if users:
        module.fail_json(msg="Parameter group %s is still used by cache clusters %s; move their replication "
                             "groups to another group before deleting it" % (name, ", ".join(sorted(users))))
    if not module.check_mode:
        try:
            client.delete_cache_parameter_group(aws_retry=True, CacheParameterGroupName=name)
        except is_boto3_error_code("InvalidCacheParameterGroupState") as e:
            module.fail_json_aws(e, msg="Parameter group %s is still in use and cannot be deleted" % name)
    module.exit_json(changed=True, parameter_group={}, diff={"before": group_identity(group), "after": {}})


def resolve_family(module, group):
    """The family to validate against; fails when it is missing or would change."""
    wanted = module.params["family"]
    if group is None:
        if not wanted:
            fail_with_problems(module, ["family: required to create parameter group %s" % module.params["name"]])
        return wanted
    existing = group["CacheParameterGroupFamily"]
    if wanted and wanted.lower() != existing.lower():
        fail_with_problems(module, [
            "family: parameter group %s is family %s and ElastiCache cannot change a group's family; create a "
            "group with a new name for %s and move the replication groups to it"
            % (module.params["name"], existing, wanted)
        ])
    return existing


def family_metadata(module, client, family):
    try:
        return describe_family_defaults(client, family)
    except is_boto3_error_code(["InvalidParameterValue", "InvalidParameterCombination"]) as e:
        fail_with_problems(module, ["family: %s" % e.response["Error"]["Message"]])


def create_group(module, client, family, tags):
    request = {
        "CacheParameterGroupName": module.params["name"],
        "CacheParameterGroupFamily": family,
        "Description": module.params["description"] or module.params["name"],
    }
    if tags:
        request["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    if module.check_mode:
        return dict(request, ARN=None)
    return client.create_cache_parameter_group(aws_retry=True, **request)["CacheParameterGroup"]


def apply_parameters(client, name, modifications, resets, reset_all):
    """Write modifications, then resets: every user-set parameter at once when reset_all."""
    for batch in batches(modifications):
        client.modify_cache_parameter_group(
            aws_retry=True,
            CacheParameterGroupName=name,
            ParameterNameValues=[{"ParameterName": change["name"], "ParameterValue": change["after"]}
                                 for change in batch],
        )
    if resets and reset_all:
        client.reset_cache_parameter_group(aws_retry=True, CacheParameterGroupName=name, ResetAllParameters=True)
        return
    for batch in batches(resets):
        client.reset_cache_parameter_group(
            aws_retry=True,
            CacheParameterGroupName=name,
            ResetAllParameters=False,
            ParameterNameValues=[{"ParameterName": change["name"]} for change in batch],
        )


def reported_change(change):
    return {
        "name": change["name"],
        "before": change["before"],
        "after": change["after"],
        "change_type": change_type(change["apply_type"]),
    }


def ensure_present(module, client, group):
    name = module.params["name"]
    family = resolve_family(module, group)
    desired = module.params["parameters"] or {}
    manages_parameters = bool(desired) or module.params["purge"]
    metadata = family_metadata(module, client, family) if manages_parameters else {}
    if desired and not metadata:
        fail_with_problems(module, ["family: ElastiCache reports no parameters for family %s" % family])
    normalised, problems = validate_parameters(desired, metadata, family)
    if problems:
        fail_with_problems(module, problems)

    created = group is None
    current = describe_group_parameters(client, name) if manages_parameters and not created else {}
    modifications, resets = plan_changes(normalised, metadata, current, module.params["purge"])
    changes = modifications + resets
    current_tags, to_set, to_remove = plan_tags(module, client, group["ARN"] if group is not None else None)
    final_tags = dict((key, value) for key, value in current_tags.items() if key not in to_remove)
    final_tags.update(to_set)

    if created:
        group = create_group(module, client, family, final_tags)
    elif module.params["description"] is not None and module.params["description"] != group.get("Description"):
        module.warn("ElastiCache cannot change the description of parameter group %s; it stays %r"
                    % (name, group.get("Description")))

    if not module.check_mode:
        # With no parameter wanted, purging resets every user-set parameter: one call does it.
        apply_parameters(client, name, modifications, resets, reset_all=not normalised)
        if not created:
            apply_tags(client, group["ARN"], to_set, to_remove)

    reboot_required = any(change["apply_type"] == STATIC for change in changes)
    tag_keys_changed = sorted(set(to_set) | set(to_remove))
    module.exit_json(
        changed=bool(created or changes or tag_keys_changed),
        parameter_group=group_summary(group, final_tags),
        changed_parameters=[reported_change(change) for change in changes],
        reboot_required=reboot_required,
        pending_reboot_clusters=[] if created else pending_reboot(module, clusters_using_group(client, name), reboot_required),
        diff=build_diff(group_identity(group), created, changes, current_tags, final_tags, tag_keys_changed),
    )


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        family=dict(type="str"),
        description=dict(type="str"),
        parameters=dict(type="dict"),
        purge=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)

    problems = validate_group_name(module.params["name"]) + check_value_types(module.params["parameters"])
    if problems:
        fail_with_problems(module, problems)

    client = module.client("elasticache", retry_decorator=AWSRetry.jittered_backoff())
    try:
        group = describe_group(client, module.params["name"])
        if module.params["state"] == "absent":
            ensure_absent(module, client, group)
        ensure_present(module, client, group)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="ElastiCache call failed for parameter group %s" % module.params["name"])


if __name__ == "__main__":
    main()
