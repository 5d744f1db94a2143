# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Module plumbing shared by the parameter-group modules (RDS and ElastiCache).

Both services tag a parameter group by its ARN through ListTagsForResource,
AddTagsToResource and RemoveTagsFromResource with the same request shapes, so
tag handling, error reporting and the diff are the same for both.
"""

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import parameters_diff

PENDING_REBOOT = "pending-reboot"


def fail_with_problems(module, problems):
    module.fail_json(
        msg="%d problem(s) with the arguments, nothing was changed: %s" % (len(problems), "; ".join(problems)),
        problems=problems,
    )


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
