# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What AWS offers an engine version: the orderable DB instance classes, and the node types
an ElastiCache parameter group family runs on (with their maxmemory)."""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries


def orderable_instance_classes(client, engine, engine_version, wanted=None):
    """Sorted DB instance classes DescribeOrderableDBInstanceOptions offers for the version.

    With `wanted`, one call per class (filtered by DBInstanceClass, the first page only) and
    only those classes when every one is offered; otherwise, or without `wanted`, every class
    (every page, about a hundred classes), so that the closest offered one can be named."""
    if wanted:
        offered = [name for name in sorted(set(wanted))
                   if client.describe_orderable_db_instance_options(
                       Engine=engine, EngineVersion=engine_version, DBInstanceClass=name, MaxRecords=20,
                       aws_retry=True).get("OrderableDBInstanceOptions")]
        if len(offered) == len(set(wanted)):
            return offered
    result = paginated_query_with_retries(client, "describe_orderable_db_instance_options",
                                          Engine=engine, EngineVersion=engine_version)
    return sorted(set(option["DBInstanceClass"] for option in result.get("OrderableDBInstanceOptions", [])))


def node_type_memory(parameters):
    """{node type: maxmemory in bytes} from a family's node-type-specific maxmemory parameter
    (DescribeEngineDefaultParameters' CacheNodeTypeSpecificParameters)."""
    for parameter in parameters:
        if parameter["ParameterName"] == "maxmemory" and "CacheNodeTypeSpecificValues" in parameter:
            return dict((entry["CacheNodeType"], int(entry["Value"]))
                        for entry in parameter["CacheNodeTypeSpecificValues"])
    return {}
