# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""ElastiCache adapter for the engine-neutral parameter-group logic.

Reads cache parameter groups, their parameters, the family defaults and the cache
clusters using a group, with paginators and jittered-backoff retries.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_group_module import ParameterGroupService
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import DYNAMIC
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import batches
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import STATIC
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import ParameterSpec

REQUIRES_REBOOT = "requires-reboot"
IMMEDIATE = "immediate"
PENDING_REBOOT = "pending-reboot"


def change_type(apply_type):
    """ElastiCache's ChangeType for an apply type: requires-reboot or immediate."""
    return REQUIRES_REBOOT if apply_type == STATIC else IMMEDIATE


def spec_from_elasticache(parameter):
    """A ParameterSpec from one entry of DescribeCacheParameters / DescribeEngineDefaultParameters.

    Node-type-specific parameters carry one value per node type; the spec's value is that
    value when every node type shares it, else None.
    """
    value = parameter.get("ParameterValue")
    if "CacheNodeTypeSpecificValues" in parameter:
        values = set(entry.get("Value") for entry in parameter["CacheNodeTypeSpecificValues"])
        value = values.pop() if len(values) == 1 else None
    return ParameterSpec(
        name=parameter["ParameterName"],
        data_type=parameter.get("DataType"),
        allowed_values=parameter.get("AllowedValues"),
        modifiable=parameter.get("IsModifiable", True),
        apply_type=STATIC if parameter.get("ChangeType") == REQUIRES_REBOOT else DYNAMIC,
        value=value,
        source=parameter.get("Source"),
    )


# Pages, not build_full_result (paginated_query_with_retries): CacheNodeTypeSpecificParameters
# is not a result key of the paginators, so a full result would keep only the first page's.
@AWSRetry.jittered_backoff()
def _pages(client, operation, **params):
    return list(client.get_paginator(operation).paginate(**params))


def _listed(pages, container=None):
    """Every page's Parameters, then every page's CacheNodeTypeSpecificParameters."""
    holders = [page.get(container, {}) if container else page for page in pages]
    return ([parameter for holder in holders for parameter in holder.get("Parameters", [])]
            + [parameter for holder in holders for parameter in holder.get("CacheNodeTypeSpecificParameters", [])])


def _by_name(parameters):
    return dict((parameter["ParameterName"], spec_from_elasticache(parameter)) for parameter in parameters)


def family_default_parameters(client, family):
    """The family's engine-default parameters, node-type-specific ones last, as
    DescribeEngineDefaultParameters lists them."""
    return _listed(_pages(client, "describe_engine_default_parameters", CacheParameterGroupFamily=family),
                   "EngineDefaults")


def describe_family_defaults(client, family):
    """{name: ParameterSpec} of the family; each spec's value is the family default."""
    return _by_name(family_default_parameters(client, family))


def describe_group_parameters(client, group_name):
    """{name: ParameterSpec} holding the group's current values and their Source."""
    return _by_name(_listed(_pages(client, "describe_cache_parameters", CacheParameterGroupName=group_name)))


def describe_group(client, group_name):
    """The CacheParameterGroup dict, or None when it does not exist."""
    try:
        result = client.describe_cache_parameter_groups(aws_retry=True, CacheParameterGroupName=group_name)
    except is_boto3_error_code("CacheParameterGroupNotFound"):
        return None
    groups = result.get("CacheParameterGroups", [])
    return groups[0] if groups else None


def clusters_using_group(client, group_name):
    """{CacheClusterId: ParameterApplyStatus} of the cache clusters using the group.

    DescribeCacheClusters has no parameter-group filter, so every cluster is scanned;
    the member clusters of replication groups are among them.
    """
    using = {}
    for page in _pages(client, "describe_cache_clusters"):
        for cluster in page.get("CacheClusters", []):
            attached = cluster.get("CacheParameterGroup") or {}
            if attached.get("CacheParameterGroupName", "").lower() == group_name.lower():
                using[cluster["CacheClusterId"]] = attached.get("ParameterApplyStatus")
    return using


# Redis 7 encodes small hashes, lists and sorted sets as listpacks instead of ziplists; the
# redis7 and valkey families name the parameters after it and have no ziplist names.
_LISTPACK = "Redis 7 renamed the ziplist encoding listpack"
RENAMED_PARAMETERS = {
    "hash-max-ziplist-entries": ("hash-max-listpack-entries", _LISTPACK),
    "hash-max-ziplist-value": ("hash-max-listpack-value", _LISTPACK),
    "list-max-ziplist-size": ("list-max-listpack-size", _LISTPACK),
    "zset-max-ziplist-entries": ("zset-max-listpack-entries", _LISTPACK),
    "zset-max-ziplist-value": ("zset-max-listpack-value", _LISTPACK),
}


class ElastiCacheParameterGroups(ParameterGroupService):
    """Cache parameter groups for the generic flow in parameter_group_module."""

    renamed = RENAMED_PARAMETERS

    client_name = "elasticache"
    label = "ElastiCache"
    users_label = "cache clusters"
    users_move_hint = "move their replication groups to another group"
    family_move_hint = "move the replication groups to it"
    pending_reboot_key = "pending_reboot_clusters"
    in_use_error = "InvalidCacheParameterGroupState"
    family_errors = ("InvalidParameterValue", "InvalidParameterCombination")

    describe_group = staticmethod(describe_group)
    describe_family_defaults = staticmethod(describe_family_defaults)
    describe_group_parameters = staticmethod(describe_group_parameters)
    users_of_group = staticmethod(clusters_using_group)

    def family(self, group):
        return group["CacheParameterGroupFamily"]

    def arn(self, group):
        return group.get("ARN")

    def identity(self, group):
        return {"name": group["CacheParameterGroupName"], "family": group["CacheParameterGroupFamily"],
                "description": group.get("Description")}

    def planned_group(self, name, family, description, tags):
        return {"CacheParameterGroupName": name, "CacheParameterGroupFamily": family,
                "Description": description, "ARN": None}

    def create_group(self, client, name, family, description, tags):
        request = {"CacheParameterGroupName": name, "CacheParameterGroupFamily": family,
                   "Description": description}
        if tags:
            request["Tags"] = ansible_dict_to_boto3_tag_list(tags)
        return client.create_cache_parameter_group(aws_retry=True, **request)["CacheParameterGroup"]

    def delete_group(self, client, name):
        client.delete_cache_parameter_group(aws_retry=True, CacheParameterGroupName=name)

    def apply_parameters(self, client, name, modifications, resets, reset_all):
        """Modifications, then resets: every user-set parameter in one call when reset_all."""
        for batch in batches(modifications):
            client.modify_cache_parameter_group(
                aws_retry=True,
                CacheParameterGroupName=name,
                ParameterNameValues=[{"ParameterName": change["name"], "ParameterValue": change["after"]}
                                     for change in batch],
            )
        if resets and reset_all:
            client.reset_cache_parameter_group(aws_retry=True, CacheParameterGroupName=name,
                                               ResetAllParameters=True)
            return
        for batch in batches(resets):
            client.reset_cache_parameter_group(
                aws_retry=True,
                CacheParameterGroupName=name,
                ResetAllParameters=False,
                ParameterNameValues=[{"ParameterName": change["name"]} for change in batch],
            )

    def reported_change(self, change):
        return {"name": change["name"], "before": change["before"], "after": change["after"],
                "change_type": change_type(change["apply_type"])}
