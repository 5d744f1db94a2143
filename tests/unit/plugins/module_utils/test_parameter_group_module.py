"""The parameter-group modules' flow (module_utils/parameter_group_module.py) over the RDS
service, against a stubbed client: the calls it makes, in order, and what it returns."""

import pytest

from ansible_collections.dbfleet.aws.plugins.module_utils import parameter_group_module as flow
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_parameters import RdsParameterGroups

from ..stubbed_aws import Exited, Failed, StubbedModule, params_from_spec, stubbed_client

NAME = "app-postgres16"
ARN = "arn:aws:rds:us-east-1:123456789012:pg:app-postgres16"
MAX_CONNECTIONS = {"ParameterName": "max_connections", "ParameterValue": "100", "Source": "engine-default",
                   "ApplyType": "static", "DataType": "integer", "AllowedValues": "6-262143", "IsModifiable": True}
WORK_MEM = {"ParameterName": "work_mem", "ParameterValue": "4096", "Source": "engine-default",
            "ApplyType": "dynamic", "DataType": "integer", "AllowedValues": "64-2147483647", "IsModifiable": True}
GROUP = {"DBParameterGroupName": NAME, "DBParameterGroupFamily": "postgres16", "Description": NAME,
         "DBParameterGroupArn": ARN}
SPEC = dict(name=dict(), family=dict(), description=dict(), parameters=dict(), purge=dict(default=False),
            tags=dict(), purge_tags=dict(default=True), state=dict(default="present"))


def params(**given):
    return params_from_spec(SPEC, **dict({"name": NAME, "family": "postgres16"}, **given))


@pytest.fixture
def rds():
    yield from stubbed_client("rds")


def expect_family_defaults(stubber):
    stubber.add_response("describe_engine_default_parameters",
                         {"EngineDefaults": {"DBParameterGroupFamily": "postgres16",
                                             "Parameters": [MAX_CONNECTIONS, WORK_MEM]}},
                         {"DBParameterGroupFamily": "postgres16"})


def test_a_new_group_is_created_with_its_tags_then_modified_once(rds):
    stubber, client = rds
    expect_family_defaults(stubber)
    stubber.add_response("create_db_parameter_group", {"DBParameterGroup": GROUP}, {
        "DBParameterGroupName": NAME, "DBParameterGroupFamily": "postgres16", "Description": NAME,
        "Tags": [{"Key": "env", "Value": "prod"}]})
    stubber.add_response("modify_db_parameter_group", {"DBParameterGroupName": NAME}, {
        "DBParameterGroupName": NAME, "Parameters": [
            {"ParameterName": "max_connections", "ParameterValue": "200", "ApplyMethod": "pending-reboot"},
            {"ParameterName": "work_mem", "ParameterValue": "8192", "ApplyMethod": "immediate"}]})
    module = StubbedModule(params(parameters={"max_connections": 200, "work_mem": 8192}, tags={"env": "prod"}))

    with pytest.raises(Exited) as exited:
        flow.ensure_present(module, RdsParameterGroups(), client, None)

    result = exited.value.result
    assert result["changed"] is True and result["reboot_required"] is True
    assert [(change["name"], change["after"]) for change in result["changed_parameters"]] == [
        ("max_connections", "200"), ("work_mem", "8192")]
    assert result["parameter_group"] == {"name": NAME, "family": "postgres16", "description": NAME, "arn": ARN,
                                         "tags": {"env": "prod"}}
    assert result["pending_reboot_instances"] == []


def test_a_converged_group_is_only_read(rds):
    """The group's own listing validates the values: the family's defaults are not read."""
    stubber, client = rds
    stubber.add_response("describe_db_parameters", {"Parameters": [
        dict(MAX_CONNECTIONS, ParameterValue="200", Source="user"), dict(WORK_MEM, ParameterValue="8192", Source="user")]},
        {"DBParameterGroupName": NAME})
    stubber.add_response("list_tags_for_resource", {"TagList": [{"Key": "env", "Value": "prod"}]}, {"ResourceName": ARN})
    stubber.add_response("describe_db_instances", {"DBInstances": [
        {"DBInstanceIdentifier": "app-db", "DBParameterGroups": [
            {"DBParameterGroupName": NAME, "ParameterApplyStatus": "in-sync"}]}]}, {})
    module = StubbedModule(params(parameters={"max_connections": 200, "work_mem": 8192}, tags={"env": "prod"}))

    with pytest.raises(Exited) as exited:
        flow.ensure_present(module, RdsParameterGroups(), client, GROUP)

    result = exited.value.result
    assert result["changed"] is False and result["changed_parameters"] == []
    assert result["diff"] == {"before": {}, "after": {}}


def test_check_mode_reads_and_predicts_the_reboot_of_the_instances_using_the_group(rds):
    stubber, client = rds
    stubber.add_response("describe_db_parameters", {"Parameters": [MAX_CONNECTIONS, WORK_MEM]},
                         {"DBParameterGroupName": NAME})
    stubber.add_response("list_tags_for_resource", {"TagList": []}, {"ResourceName": ARN})
    stubber.add_response("describe_db_instances", {"DBInstances": [
        {"DBInstanceIdentifier": "app-db", "DBParameterGroups": [
            {"DBParameterGroupName": NAME, "ParameterApplyStatus": "in-sync"}]}]}, {})
    module = StubbedModule(params(parameters={"max_connections": 300}), check_mode=True)

    with pytest.raises(Exited) as exited:
        flow.ensure_present(module, RdsParameterGroups(), client, GROUP)

    result = exited.value.result
    assert result["changed"] is True and result["pending_reboot_instances"] == ["app-db"]
    assert result["diff"] == {"before": {"parameters": {"max_connections": "100"}},
                              "after": {"parameters": {"max_connections": "300"}}}


def test_an_unknown_parameter_fails_after_reading_the_group_only(rds):
    stubber, client = rds
    stubber.add_response("describe_db_parameters", {"Parameters": [MAX_CONNECTIONS, WORK_MEM]},
                         {"DBParameterGroupName": NAME})
    module = StubbedModule(params(parameters={"max_conections": 200, "work_mem": "lots"}))
    with pytest.raises(Failed) as failed:
        flow.ensure_present(module, RdsParameterGroups(), client, GROUP)
    assert failed.value.result["problems"] == [
        "parameters.max_conections: unknown parameter for family postgres16 (did you mean max_connections?)",
        "parameters.work_mem: 'lots' is not an integer or a formula"]


def test_a_purge_reads_the_family_defaults_for_the_values_it_returns_to(rds):
    stubber, client = rds
    stubber.add_response("describe_db_parameters", {"Parameters": [
        MAX_CONNECTIONS, dict(WORK_MEM, ParameterValue="8192", Source="user")]}, {"DBParameterGroupName": NAME})
    expect_family_defaults(stubber)
    stubber.add_response("list_tags_for_resource", {"TagList": []}, {"ResourceName": ARN})
    stubber.add_response("describe_db_instances", {"DBInstances": []}, {})
    module = StubbedModule(params(parameters={"max_connections": 100}, purge=True), check_mode=True)

    with pytest.raises(Exited) as exited:
        flow.ensure_present(module, RdsParameterGroups(), client, GROUP)

    assert exited.value.result["diff"] == {"before": {"parameters": {"work_mem": "8192"}},
                                           "after": {"parameters": {"work_mem": "4096"}}}


def test_another_family_is_refused_without_any_call(rds):
    _stubber, client = rds
    module = StubbedModule(params(family="postgres17", parameters={"work_mem": 8192}))
    with pytest.raises(Failed) as failed:
        flow.ensure_present(module, RdsParameterGroups(), client, GROUP)
    assert failed.value.result["problems"][0].startswith(
        "family: parameter group app-postgres16 is family postgres16 and RDS cannot change a group's family")


def test_a_group_in_use_is_not_deleted(rds):
    stubber, client = rds
    stubber.add_response("describe_db_instances", {"DBInstances": [
        {"DBInstanceIdentifier": "app-db", "DBParameterGroups": [
            {"DBParameterGroupName": NAME, "ParameterApplyStatus": "in-sync"}]}]}, {})
    module = StubbedModule(params(state="absent"))
    with pytest.raises(Failed) as failed:
        flow.ensure_absent(module, RdsParameterGroups(), client, GROUP)
    assert failed.value.result["msg"] == ("Parameter group app-postgres16 is still used by DB instances app-db; "
                                          "attach them to another group before deleting it")


def test_an_unused_group_is_deleted(rds):
    stubber, client = rds
    stubber.add_response("describe_db_instances", {"DBInstances": []}, {})
    stubber.add_response("delete_db_parameter_group", {}, {"DBParameterGroupName": NAME})
    module = StubbedModule(params(state="absent"))
    with pytest.raises(Exited) as exited:
        flow.ensure_absent(module, RdsParameterGroups(), client, GROUP)
    assert exited.value.result["changed"] is True
