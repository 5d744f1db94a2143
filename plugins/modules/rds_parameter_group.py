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
  - Validates every parameter name and value against the family metadata returned by
    C(DescribeEngineDefaultParameters) (exists, modifiable, data type, C(AllowedValues)
    ranges and lists) and reports all problems in one error before anything is written.
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
        V(GREATEST({DBInstanceClassMemory/9531392},5000)).
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
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import STATIC
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import batches
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import check_value_types
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import plan_changes
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import validate_group_name
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import validate_parameters
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_parameters import RDS_FORMULA_VARIABLES
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_parameters import describe_family_defaults
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_parameters import describe_group
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_parameters import describe_group_parameters
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_parameters import instances_using_group


def group_summary(group, tags):
    return {
        "name": group["DBParameterGroupName"],
        "family": group["DBParameterGroupFamily"],
        "description": group.get("Description"),
        "arn": group.get("DBParameterGroupArn"),
        "tags": tags,
    }


def group_identity(group):
    return {
        "name": group["DBParameterGroupName"],
        "family": group["DBParameterGroupFamily"],
        "description": group.get("Description"),
    }


def ensure_absent(module, client, group):
    name = module.params["name"]
    if group is None:
        module.exit_json(changed=False, parameter_group={})
    users = instances_using_group(client, name)
    if users:
        module.fail_json(msg="Parameter group %s is still used by DB instances %s; attach them to another "
                             "group before deleting it" % (name, ", ".join(sorted(users))))
    if not module.check_mode:
        try:
            client.delete_db_parameter_group(aws_retry=True, DBParameterGroupName=name)
        except is_boto3_error_code("InvalidDBParameterGroupState") as e:
            module.fail_json_aws(e, msg="Parameter group %s is still in use and cannot be deleted" % name)
    module.exit_json(changed=True, parameter_group={}, diff={"before": group_identity(group), "after": {}})


def resolve_family(module, group):
    """The family to validate against; fails when it is missing or would change."""
    wanted = module.params["family"]
    if group is None:
        if not wanted:
            fail_with_problems(module, ["family: required to create parameter group %s" % module.params["name"]])
        return wanted
    existing = group["DBParameterGroupFamily"]
    if wanted and wanted.lower() != existing.lower():
        fail_with_problems(module, [
            "family: parameter group %s is family %s and RDS cannot change a group's family; create a group "
            "with a new name for %s and move the DB instances to it" % (module.params["name"], existing, wanted)
        ])
    return existing


def family_metadata(module, client, family):
    try:
        return describe_family_defaults(client, family)
    except is_boto3_error_code("InvalidParameterValue") as e:
        fail_with_problems(module, ["family: %s" % e.response["Error"]["Message"]])


def create_group(module, client, family, tags):
    request = {
        "DBParameterGroupName": module.params["name"],
        "DBParameterGroupFamily": family,
        "Description": module.params["description"] or module.params["name"],
    }
    if tags:
        request["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    if module.check_mode:
        return {
            "DBParameterGroupName": module.params["name"].lower(),
            "DBParameterGroupFamily": family,
            "Description": request["Description"],
        }
    return client.create_db_parameter_group(aws_retry=True, **request)["DBParameterGroup"]


def apply_parameters(client, name, modifications, resets):
    for batch in batches(modifications):
        client.modify_db_parameter_group(
            aws_retry=True,
            DBParameterGroupName=name,
            Parameters=[
                {"ParameterName": change["name"], "ParameterValue": change["after"],
                 "ApplyMethod": change["apply_method"]}
                for change in batch
            ],
        )
    for batch in batches(resets):
        client.reset_db_parameter_group(
            aws_retry=True,
            DBParameterGroupName=name,
            ResetAllParameters=False,
            Parameters=[{"ParameterName": change["name"], "ApplyMethod": change["apply_method"]} for change in batch],
        )


def ensure_present(module, client, group):
    name = module.params["name"]
    family = resolve_family(module, group)
    desired = module.params["parameters"] or {}
    manages_parameters = bool(desired) or module.params["purge"]
    metadata = family_metadata(module, client, family) if manages_parameters else {}
    if desired and not metadata:
        fail_with_problems(module, ["family: RDS reports no parameters for family %s" % family])
    normalised, problems = validate_parameters(desired, metadata, family, RDS_FORMULA_VARIABLES)
    if problems:
        fail_with_problems(module, problems)

    created = group is None
    current = describe_group_parameters(client, name) if manages_parameters and not created else {}
    modifications, resets = plan_changes(normalised, metadata, current, module.params["purge"])
    changes = modifications + resets
    current_tags, to_set, to_remove = plan_tags(module, client, group["DBParameterGroupArn"] if group is not None else None)
    final_tags = dict((key, value) for key, value in current_tags.items() if key not in to_remove)
    final_tags.update(to_set)

    if created:
        group = create_group(module, client, family, final_tags)
    elif module.params["description"] is not None and module.params["description"] != group.get("Description"):
        module.warn("RDS cannot change the description of parameter group %s; it stays %r"
                    % (name, group.get("Description")))

    if not module.check_mode:
        apply_parameters(client, name, modifications, resets)
        if not created:
            apply_tags(client, group["DBParameterGroupArn"], to_set, to_remove)

    reboot_required = any(change["apply_type"] == STATIC for change in changes)
    tag_keys_changed = sorted(set(to_set) | set(to_remove))
    module.exit_json(
        changed=bool(created or changes or tag_keys_changed),
        parameter_group=group_summary(group, final_tags),
        changed_parameters=changes,
        reboot_required=reboot_required,
        pending_reboot_instances=[] if created else pending_reboot(module, instances_using_group(client, name), reboot_required),
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

    client = module.client("rds", retry_decorator=AWSRetry.jittered_backoff())
    try:
        group = describe_group(client, module.params["name"])
        if module.params["state"] == "absent":
            ensure_absent(module, client, group)
        ensure_present(module, client, group)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="RDS call failed for parameter group %s" % module.params["name"])


if __name__ == "__main__":
    main()
