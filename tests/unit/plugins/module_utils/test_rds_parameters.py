import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import DYNAMIC
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import STATIC
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import normalise_value
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_parameters import RDS_FORMULA_VARIABLES
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_parameters import describe_family_defaults
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_parameters import describe_group_parameters
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_parameters import instances_using_group
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_parameters import spec_from_rds

SHARED_BUFFERS = {
    "ParameterName": "shared_buffers", "ParameterValue": "{DBInstanceClassMemory/32768}",
    "Description": "(8kB) Sets the number of shared memory buffers used by the server.",
    "Source": "engine-default", "ApplyType": "static", "DataType": "integer",
    "AllowedValues": "16-1073741823", "IsModifiable": True, "ApplyMethod": "pending-reboot",
}
RANDOM_PAGE_COST = {
    "ParameterName": "random_page_cost", "ParameterValue": "4",
    "Description": "Sets the planner's estimate of the cost of a nonsequentially fetched disk page.",
    "Source": "user", "ApplyType": "dynamic", "DataType": "real", "AllowedValues": "0-1.79769e+308",
    "IsModifiable": True,
}
LC_MESSAGES = {
    "ParameterName": "lc_messages", "Source": "system", "ApplyType": "dynamic", "DataType": "string",
    "IsModifiable": False,
}


@pytest.fixture
def rds():
    client = boto3.client("rds", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_spec_from_rds_reads_type_unit_and_apply_type():
    spec = spec_from_rds(SHARED_BUFFERS)
    assert (spec.name, spec.data_type, spec.unit, spec.apply_type, spec.modifiable, spec.source) == (
        "shared_buffers", "integer", "8kB", STATIC, True, "engine-default")
    assert normalise_value(spec, "2GB", RDS_FORMULA_VARIABLES) == "262144"
    assert normalise_value(spec, "{DBInstanceClassMemory/4}", RDS_FORMULA_VARIABLES) == "{DBInstanceClassMemory/4}"

    real = spec_from_rds(RANDOM_PAGE_COST)
    assert (real.data_type, real.unit, real.apply_type) == ("float", None, DYNAMIC)

    fixed = spec_from_rds(LC_MESSAGES)
    assert (fixed.modifiable, fixed.value, fixed.allowed_values) == (False, None, None)


def test_family_defaults_follow_every_page(rds):
    client, stubber = rds
    stubber.add_response(
        "describe_engine_default_parameters",
        {"EngineDefaults": {"DBParameterGroupFamily": "postgres16", "Marker": "page2",
                            "Parameters": [SHARED_BUFFERS]}},
        {"DBParameterGroupFamily": "postgres16"},
    )
    stubber.add_response(
        "describe_engine_default_parameters",
        {"EngineDefaults": {"DBParameterGroupFamily": "postgres16", "Parameters": [RANDOM_PAGE_COST]}},
        {"DBParameterGroupFamily": "postgres16", "Marker": "page2"},
    )
    assert sorted(describe_family_defaults(client, "postgres16")) == ["random_page_cost", "shared_buffers"]


def test_group_parameters_keep_source(rds):
    client, stubber = rds
    stubber.add_response("describe_db_parameters", {"Parameters": [RANDOM_PAGE_COST, LC_MESSAGES]},
                         {"DBParameterGroupName": "app"})
    current = describe_group_parameters(client, "app")
    assert current["random_page_cost"].source == "user" and current["random_page_cost"].value == "4"


def test_instances_using_group_scans_every_instance(rds):
    client, stubber = rds

    def instance(identifier, group, status):
        return {"DBInstanceIdentifier": identifier,
                "DBParameterGroups": [{"DBParameterGroupName": group, "ParameterApplyStatus": status}]}

    stubber.add_response("describe_db_instances", {
        "Marker": "more",
        "DBInstances": [instance("a", "app", "pending-reboot"), instance("b", "other", "pending-reboot")],
    }, {})
    stubber.add_response("describe_db_instances", {
        "DBInstances": [instance("c", "APP", "in-sync")],
    }, {"Marker": "more"})
    assert instances_using_group(client, "app") == {"a": "pending-reboot", "c": "in-sync"}
