# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The parameter-group modules' whole flow, over a service adapter (RDS, ElastiCache).

Both services tag a parameter group by its ARN through ListTagsForResource,
AddTagsToResource and RemoveTagsFromResource with the same request shapes, and
differ only in API names and shapes, which ParameterGroupService subclasses in
rds_parameters and elasticache_parameters supply.
"""

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import STATIC
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import check_value_types
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import parameters_diff
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import plan_changes
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import validate_group_name
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import validate_parameters
from ansible_collections.dbfleet.aws.plugins.module_utils.problems import fail_with_problems

PENDING_REBOOT = "pending-reboot"


def plan_tags(module, client, arn):
    """(current tags, tags to set, tag keys to remove); arn is None for a group not created yet."""
    current = {}
    if arn is not None:
        current = boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(aws_retry=True, ResourceName=arn)["TagList"])
    if module.params["tags"] is None:
        return current, {}, []
    to_set, to_remove = compare_aws_tags(current, module.params["tags"], module.params["purge_tags"])
    return current, to_set, to_remove


def apply_tags(client, arn, to_set, to_remove):
    if to_set:
        client.add_tags_to_resource(aws_retry=True, ResourceName=arn, Tags=ansible_dict_to_boto3_tag_list(to_set))
    if to_remove:
        client.remove_tags_from_resource(aws_retry=True, ResourceName=arn, TagKeys=to_remove)


def pending_reboot(module, users, reboot_required):
    """Users of the group ({id: apply status}) that wait (in check mode: would wait) for a reboot."""
    if module.check_mode and reboot_required:
        return sorted(users)
    return sorted(user for user, status in users.items() if status == PENDING_REBOOT)


def build_diff(identity, created, changes, current_tags, final_tags, tag_keys_changed):
    """before/after holding only what changes; identity describes a group being created."""
    before, after = {}, {}
    if created:
        after.update(identity)
    if changes:
        before["parameters"], after["parameters"] = parameters_diff(changes)
    if tag_keys_changed:
        before["tags"] = dict((key, current_tags[key]) for key in tag_keys_changed if key in current_tags)
        after["tags"] = dict((key, final_tags[key]) for key in tag_keys_changed if key in final_tags)
    return {"before": before, "after": after}


class ParameterGroupService(object):
    """What the generic flow needs from one service; rds_parameters and
    elasticache_parameters each provide one. Methods take the boto3 client."""

    client_name = None        # boto3 service name
    label = None              # "RDS", "ElastiCache"
    users_label = None        # what uses a group: "DB instances", "cache clusters"
    users_move_hint = None    # how to free a group before deleting it
    family_move_hint = None   # how to move to a group of another family
    pending_reboot_key = None  # result key listing the users that wait for a reboot
    in_use_error = None       # error code of a delete refused while the group is used
    family_errors = ("InvalidParameterValue",)
    formula_variables = None  # names allowed in {formula} values, None: no formulas
    renamed = None  # {old name: (new name, why)}: names the engine changed between families

    def family(self, group):
        raise NotImplementedError

    def arn(self, group):
        raise NotImplementedError

    def identity(self, group):
        raise NotImplementedError

    def summary(self, group, tags):
        return dict(self.identity(group), arn=self.arn(group), tags=tags)

    def reported_change(self, change):
        return change


def resolve_family(module, service, group):
    """The family to validate against; fails when it is missing or would change."""
    wanted = module.params["family"]
    if group is None:
        if not wanted:
            fail_with_problems(module, ["family: required to create parameter group %s" % module.params["name"]])
        return wanted
    existing = service.family(group)
    if wanted and wanted.lower() != existing.lower():
        fail_with_problems(module, [
            "family: parameter group %s is family %s and %s cannot change a group's family; create a group "
            "with a new name for %s and %s"
            % (module.params["name"], existing, service.label, wanted, service.family_move_hint)
        ])
    return existing


def family_metadata(module, service, client, family):
    try:
        return service.describe_family_defaults(client, family)
    except is_boto3_error_code(list(service.family_errors)) as e:
        fail_with_problems(module, ["family: %s" % e.response["Error"]["Message"]])


def ensure_absent(module, service, client, group):
    name = module.params["name"]
    if group is None:
        module.exit_json(changed=False, parameter_group={})
    users = service.users_of_group(client, name)
    if users:
        module.fail_json(msg="Parameter group %s is still used by %s %s; %s before deleting it"
                             % (name, service.users_label, ", ".join(sorted(users)), service.users_move_hint))
    if not module.check_mode:
        try:
            service.delete_group(client, name)
        except is_boto3_error_code(service.in_use_error) as e:
            module.fail_json_aws(e, msg="Parameter group %s is still in use and cannot be deleted" % name)
    module.exit_json(changed=True, parameter_group={}, diff={"before": service.identity(group), "after": {}})


def ensure_present(module, service, client, group):
    name = module.params["name"]
    family = resolve_family(module, service, group)
    desired = module.params["parameters"] or {}
    manages_parameters = bool(desired) or module.params["purge"]
    created = group is None
    # An existing group lists every parameter of its family with the same specs as the
    # family's defaults (type, allowed values, modifiable, apply type): it validates the
    # wanted values, and the family's defaults are read only for the values a reset
    # returns to. A converged run reads the group's parameters once.
    current = service.describe_group_parameters(client, name) if manages_parameters and not created else {}
    metadata = current or (family_metadata(module, service, client, family) if manages_parameters else {})
    if desired and not metadata:
        fail_with_problems(module, ["family: %s reports no parameters for family %s" % (service.label, family)])
    normalised, problems = validate_parameters(desired, metadata, family, service.formula_variables,
                                               renamed=service.renamed)
    if problems:
        fail_with_problems(module, problems)
    if current and module.params["purge"] and any(
            held.source == "user" and parameter not in normalised for parameter, held in current.items()):
        metadata = family_metadata(module, service, client, family)
    modifications, resets = plan_changes(normalised, metadata, current, module.params["purge"])
    changes = modifications + resets
    current_tags, to_set, to_remove = plan_tags(module, client, service.arn(group) if group is not None else None)
    final_tags = dict((key, value) for key, value in current_tags.items() if key not in to_remove)
    final_tags.update(to_set)

    description = module.params["description"]
    if created:
        request = (name, family, description or name, final_tags)
        group = service.planned_group(*request) if module.check_mode else service.create_group(client, *request)
    elif description is not None and description != group.get("Description"):
        module.warn("%s cannot change the description of parameter group %s; it stays %r"
                    % (service.label, name, group.get("Description")))

    if not module.check_mode:
        # With no parameter wanted, purging resets every user-set parameter.
        service.apply_parameters(client, name, modifications, resets, reset_all=not normalised)
        if not created:
            apply_tags(client, service.arn(group), to_set, to_remove)

    reboot_required = any(change["apply_type"] == STATIC for change in changes)
    tag_keys_changed = sorted(set(to_set) | set(to_remove))
    waiting = [] if created else pending_reboot(module, service.users_of_group(client, name), reboot_required)
    result = {
        "changed": bool(created or changes or tag_keys_changed),
        "parameter_group": service.summary(group, final_tags),
        "changed_parameters": [service.reported_change(change) for change in changes],
        "reboot_required": reboot_required,
        service.pending_reboot_key: waiting,
        "diff": build_diff(service.identity(group), created, changes, current_tags, final_tags, tag_keys_changed),
    }
    module.exit_json(**result)


def run_parameter_group_module(service):
    """main() of a parameter-group module: validate, then converge to `state`."""
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

    client = module.client(service.client_name, retry_decorator=AWSRetry.jittered_backoff())
    try:
        group = service.describe_group(client, module.params["name"])
        if module.params["state"] == "absent":
            ensure_absent(module, service, client, group)
        ensure_present(module, service, client, group)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="%s call failed for parameter group %s" % (service.label, module.params["name"]))
