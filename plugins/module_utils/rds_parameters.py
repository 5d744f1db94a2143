# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""RDS adapter for the engine-neutral parameter-group logic.

Reads DB parameter groups, their parameters, the family defaults and the DB
instances using a group, with paginators and jittered-backoff retries.
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_group_module import ParameterGroupService
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import DYNAMIC
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import batches
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


def family_default_parameters(client, family):
    """The family's engine-default parameters as DescribeEngineDefaultParameters lists them."""
    result = paginated_query_with_retries(client, "describe_engine_default_parameters", DBParameterGroupFamily=family)
    return result.get("EngineDefaults", {}).get("Parameters", [])


def describe_family_defaults(client, family):
    """{name: ParameterSpec} of the family; each spec's value is the family default."""
    return _by_name(family_default_parameters(client, family))


def describe_group_parameters(client, group_name):
    """{name: ParameterSpec} holding the group's current values and their Source."""
    result = paginated_query_with_retries(client, "describe_db_parameters", DBParameterGroupName=group_name)
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
    result = paginated_query_with_retries(client, "describe_db_instances")
    using = {}
    for instance in result.get("DBInstances", []):
        for attached in instance.get("DBParameterGroups", []):
            if attached.get("DBParameterGroupName", "").lower() == group_name.lower():
                using[instance["DBInstanceIdentifier"]] = attached.get("ParameterApplyStatus")
    return using


class RdsParameterGroups(ParameterGroupService):
    """DB parameter groups for the generic flow in parameter_group_module."""

    client_name = "rds"
    label = "RDS"
    users_label = "DB instances"
    users_move_hint = "attach them to another group"
    family_move_hint = "move the DB instances to it"
    pending_reboot_key = "pending_reboot_instances"
    in_use_error = "InvalidDBParameterGroupState"
    formula_variables = RDS_FORMULA_VARIABLES

    describe_group = staticmethod(describe_group)
    describe_family_defaults = staticmethod(describe_family_defaults)
    describe_group_parameters = staticmethod(describe_group_parameters)
    users_of_group = staticmethod(instances_using_group)

    def family(self, group):
        return group["DBParameterGroupFamily"]

    def arn(self, group):
        return group.get("DBParameterGroupArn")

    def identity(self, group):
        return {"name": group["DBParameterGroupName"], "family": group["DBParameterGroupFamily"],
                "description": group.get("Description")}

    def planned_group(self, name, family, description, tags):
        """What create_group would return, for check mode; RDS stores names in lower case."""
        return {"DBParameterGroupName": name.lower(), "DBParameterGroupFamily": family,
                "Description": description}

    def create_group(self, client, name, family, description, tags):
        request = {"DBParameterGroupName": name, "DBParameterGroupFamily": family, "Description": description}
        if tags:
            request["Tags"] = ansible_dict_to_boto3_tag_list(tags)
        return client.create_db_parameter_group(aws_retry=True, **request)["DBParameterGroup"]

    def delete_group(self, client, name):
        client.delete_db_parameter_group(aws_retry=True, DBParameterGroupName=name)

    def apply_parameters(self, client, name, modifications, resets, reset_all):
        """Static changes wait for a reboot (ApplyMethod=pending-reboot), dynamic ones apply now.

        Resets are always by name: ResetAllParameters would also reset what RDS itself set.
        """
        for batch in batches(modifications):
            client.modify_db_parameter_group(
                aws_retry=True,
                DBParameterGroupName=name,
                Parameters=[{"ParameterName": change["name"], "ParameterValue": change["after"],
                             "ApplyMethod": change["apply_method"]} for change in batch],
            )
        for batch in batches(resets):
            client.reset_db_parameter_group(
                aws_retry=True,
                DBParameterGroupName=name,
                ResetAllParameters=False,
                Parameters=[{"ParameterName": change["name"], "ApplyMethod": change["apply_method"]}
                            for change in batch],
            )
