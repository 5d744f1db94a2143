# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""RDS adapter for the engine-neutral parameter-group logic.

Reads DB parameter groups, their parameters, the family defaults and the DB
instances using a group, with paginators and jittered-backoff retries.
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import DYNAMIC
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import STATIC
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import ParameterSpec

# Variables RDS accepts in parameter formulas such as {DBInstanceClassMemory/4}.
RDS_FORMULA_VARIABLES = frozenset((
    "AllocatedStorage",
    "DBInstanceClassHugePagesDefault",
    "DBInstanceClassMemory",
    "DBInstanceVCPU",
    "EndPointPort",
    "TrueIfReplica",
))


# RDS writes a parameter's unit at the start of its description: "(8kB) Sets the number...".
_DESCRIPTION_UNIT = re.compile(r"^\((?P<unit>\d*[A-Za-z]+)\)")


def spec_from_rds(parameter):
    """A ParameterSpec from one entry of DescribeDBParameters / DescribeEngineDefaultParameters."""
    return ParameterSpec(
        name=parameter["ParameterName"],
        data_type=parameter.get("DataType"),
        allowed_values=parameter.get("AllowedValues"),
        modifiable=parameter.get("IsModifiable", True),
        apply_type=STATIC if parameter.get("ApplyType") == "static" else DYNAMIC,
        value=parameter.get("ParameterValue"),
        source=parameter.get("Source"),
        unit=_unit_from_description(parameter.get("Description")),
    )


def _unit_from_description(description):
    match = _DESCRIPTION_UNIT.match(description or "")
    return match.group("unit") if match else None


def _by_name(parameters):
    return dict((parameter["ParameterName"], spec_from_rds(parameter)) for parameter in parameters)


@AWSRetry.jittered_backoff()
def _paginate(client, operation, **params):
    return client.get_paginator(operation).paginate(**params).build_full_result()


def describe_family_defaults(client, family):
    """{name: ParameterSpec} of the family; each spec's value is the family default."""
    result = _paginate(client, "describe_engine_default_parameters", DBParameterGroupFamily=family)
    return _by_name(result.get("EngineDefaults", {}).get("Parameters", []))


def describe_group_parameters(client, group_name):
    """{name: ParameterSpec} holding the group's current values and their Source."""
    result = _paginate(client, "describe_db_parameters", DBParameterGroupName=group_name)
    return _by_name(result.get("Parameters", []))


def describe_group(client, group_name):
    """The DBParameterGroup dict, or None when it does not exist."""
    try:
        result = client.describe_db_parameter_groups(aws_retry=True, DBParameterGroupName=group_name)
    except is_boto3_error_code("DBParameterGroupNotFound"):
        return None
    groups = result.get("DBParameterGroups", [])
    return groups[0] if groups else None


def instances_using_group(client, group_name):
    """{DBInstanceIdentifier: ParameterApplyStatus} of the DB instances using the group.

    DescribeDBInstances has no parameter-group filter, so every instance is scanned.
    """
    result = _paginate(client, "describe_db_instances")
    using = {}
    for instance in result.get("DBInstances", []):
        for attached in instance.get("DBParameterGroups", []):
            if attached.get("DBParameterGroupName", "").lower() == group_name.lower():
                using[instance["DBInstanceIdentifier"]] = attached.get("ParameterApplyStatus")
    return using
