"""dbfleet.aws.rds_parameter_group through ansible-playbook against the local endpoint.

Every test reads the resulting state back through boto3 and counts the API calls the
module made with the endpoint's recorder.
"""

import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

PLAYBOOK = Path(__file__).resolve().parent / "playbooks" / "rds_parameter_group.yml"
FAMILY = "postgres16"


@pytest.fixture
def rds(local_aws):
    return local_aws.client("rds")


@pytest.fixture
def group_name(rds):
    name = "pg-test-%s" % uuid.uuid4().hex[:10]
    yield name
    try:
        rds.delete_db_parameter_group(DBParameterGroupName=name)
    except ClientError:
        pass


@pytest.fixture
def apply(module_runner):
    return module_runner(PLAYBOOK)


def user_parameters(rds, name):
    """{name: (value, apply method)} of the parameters set on the group."""
    pages = rds.get_paginator("describe_db_parameters").paginate(DBParameterGroupName=name, Source="user")
    return dict((parameter["ParameterName"], (parameter["ParameterValue"], parameter.get("ApplyMethod")))
                for page in pages for parameter in page["Parameters"])


def user_values(rds, name):
    return dict((key, entry[0]) for key, entry in user_parameters(rds, name).items())


def group_exists(rds, name):
    try:
        return bool(rds.describe_db_parameter_groups(DBParameterGroupName=name)["DBParameterGroups"])
    except ClientError as error:
        assert error.response["Error"]["Code"] == "DBParameterGroupNotFound"
        return False


def tags_of(rds, name):
    arn = rds.describe_db_parameter_groups(DBParameterGroupName=name)["DBParameterGroups"][0]["DBParameterGroupArn"]
    return dict((tag["Key"], tag["Value"]) for tag in rds.list_tags_for_resource(ResourceName=arn)["TagList"])


def family_defaults(rds):
    pages = rds.get_paginator("describe_engine_default_parameters").paginate(DBParameterGroupFamily=FAMILY)
    return [parameter for page in pages for parameter in page["EngineDefaults"]["Parameters"]]


def calls_on(local_aws, since, name):
    return [call for call in local_aws.recorder.calls(since)
            if call["ids"].get("DBParameterGroupName", "").lower() == name]


def test_invalid_name_fails_before_any_aws_call(local_aws, apply):
    since = local_aws.recorder.mark()
    result = apply({"name": "bad--name-", "family": FAMILY, "parameters": {"work_mem": "{oops"}},
                   expect_failure=True)
    assert result["problems"] == ["name: must not end with a hyphen or contain two consecutive hyphens"]
    assert local_aws.recorder.calls(since) == []


def test_every_problem_reported_in_one_error_without_writing(local_aws, rds, apply, group_name):
    apply({"name": group_name, "family": FAMILY, "parameters": {"work_mem": 8192}})
    since = local_aws.recorder.mark()
    result = apply({"name": group_name, "family": FAMILY, "parameters": {
        "work_mem": "lots",
        "max_connections": 0,
        "shared_bufers": "128MB",
        "log_statement": "everything",
        "log_connections": "maybe",
        "shared_preload_libraries": "pg_stat_statements,not_a_library",
        "checkpoint_completion_target": 1.5,
        "fsync": False,
        "random_page_cost": 1.1,
    }}, expect_failure=True)
    problems = result["problems"]
    assert [problem.split(":")[0] for problem in problems] == [
        "parameters.checkpoint_completion_target",
        "parameters.fsync",
        "parameters.log_connections",
        "parameters.log_statement",
        "parameters.max_connections",
        "parameters.shared_bufers",
        "parameters.shared_preload_libraries",
        "parameters.work_mem",
    ]
    assert "did you mean shared_buffers?" in problems[5]
    assert "not modifiable" in problems[1]
    assert result["msg"].startswith("8 problem(s)")
    assert local_aws.recorder.mutating(since) == []
    assert user_values(rds, group_name) == {"work_mem": "8192"}


def test_45_changes_take_three_modify_calls_and_second_run_changes_nothing(local_aws, rds, apply, group_name):
    booleans = [parameter for parameter in family_defaults(rds)
                if parameter["DataType"] == "boolean" and parameter["IsModifiable"]
                and parameter.get("ParameterValue") in ("0", "1")][:45]
    assert len(booleans) == 45
    # Flip each default, written the ways users write booleans.
    spellings = {"0": [True, "on", "yes"], "1": [False, "off", "no"]}
    desired = dict((parameter["ParameterName"], spellings[parameter["ParameterValue"]][index % 3])
                   for index, parameter in enumerate(booleans))
    expected = dict((parameter["ParameterName"], "1" if parameter["ParameterValue"] == "0" else "0")
                    for parameter in booleans)
    static = set(parameter["ParameterName"] for parameter in booleans if parameter["ApplyType"] == "static")

    since = local_aws.recorder.mark()
    result = apply({"name": group_name, "family": FAMILY, "parameters": desired})
    counts = local_aws.recorder.count_by_action(since)
    assert counts.get("ModifyDBParameterGroup") == 3
    assert counts.get("CreateDBParameterGroup") == 1
    written = user_parameters(rds, group_name)
    assert dict((key, entry[0]) for key, entry in written.items()) == expected
    assert all(entry[1] == ("pending-reboot" if key in static else "immediate") for key, entry in written.items())
    assert len(result["changed_parameters"]) == 45
    assert result["reboot_required"] == bool(static)

    since = local_aws.recorder.mark()
    result, process = apply({"name": group_name, "family": FAMILY, "parameters": desired}, with_process=True)
    assert result["changed"] is False and result["changed_parameters"] == []
    assert process.recap["localhost"]["changed"] == 0
    # Validated against the group's own listing: the family's defaults are not read again.
    read = local_aws.recorder.count_by_action(since)
    assert "DescribeEngineDefaultParameters" not in read and read.get("DescribeDBParameters") >= 1
    assert local_aws.recorder.mutating(since) == []


def test_equivalent_spellings_are_idempotent(local_aws, rds, apply, group_name):
    apply({"name": group_name, "family": FAMILY, "parameters": {
        "work_mem": "8MB", "random_page_cost": "1.10", "shared_preload_libraries": "pg_stat_statements, pg_cron",
        "checkpoint_timeout": "10min", "shared_buffers": "{DBInstanceClassMemory/16384}", "log_statement": "MOD",
    }})
    assert user_values(rds, group_name) == {
        "work_mem": "8192", "random_page_cost": "1.1", "shared_preload_libraries": "pg_stat_statements,pg_cron",
        "checkpoint_timeout": "600", "shared_buffers": "{DBInstanceClassMemory/16384}", "log_statement": "mod",
    }
    since = local_aws.recorder.mark()
    result = apply({"name": group_name, "family": FAMILY, "parameters": {
        "work_mem": 8192, "random_page_cost": 1.1, "shared_preload_libraries": ["pg_cron", "pg_stat_statements"],
        "checkpoint_timeout": 600, "shared_buffers": "{ DBInstanceClassMemory / 16384 }", "log_statement": "mod",
    }})
    assert result["changed"] is False
    assert local_aws.recorder.mutating(since) == []


def test_check_mode_reports_changes_and_writes_nothing(local_aws, rds, apply, group_name):
    since = local_aws.recorder.mark()
    result = apply({"name": group_name, "family": FAMILY, "parameters": {"work_mem": 8192}}, check=True)
    assert result["changed"] is True
    assert local_aws.recorder.mutating(since) == []
    assert not group_exists(rds, group_name)

    apply({"name": group_name, "family": FAMILY, "parameters": {"work_mem": 8192}, "tags": {"env": "dev"}})
    since = local_aws.recorder.mark()
    result = apply({"name": group_name, "family": FAMILY, "parameters": {"work_mem": 16384, "max_connections": 300},
                    "tags": {"env": "prod"}, "purge": True}, check=True)
    assert result["changed"] is True
    assert [(change["name"], change["before"], change["after"]) for change in result["changed_parameters"]] == [
        ("max_connections", "LEAST({DBInstanceClassMemory/9531392},5000)", "300"),
        ("work_mem", "8192", "16384"),
    ]
    assert result["reboot_required"] is True
    assert local_aws.recorder.mutating(since) == []
    assert user_values(rds, group_name) == {"work_mem": "8192"}
    assert tags_of(rds, group_name) == {"env": "dev"}


def test_diff_shows_only_what_changes(apply, group_name):
    apply({"name": group_name, "family": FAMILY, "tags": {"env": "dev", "team": "db"},
           "parameters": {"work_mem": 8192, "log_lock_waits": True, "random_page_cost": 1.1}})
    result, process = apply({"name": group_name, "family": FAMILY, "tags": {"env": "prod", "team": "db"},
                             "parameters": {"work_mem": 8192, "log_lock_waits": False, "random_page_cost": 1.1}},
                            diff=True, with_process=True)
    assert result["diff"] == {
        "before": {"parameters": {"log_lock_waits": "1"}, "tags": {"env": "dev"}},
        "after": {"parameters": {"log_lock_waits": "0"}, "tags": {"env": "prod"}},
    }
    assert "log_lock_waits" in process.stdout
    assert "work_mem" not in process.stdout and "random_page_cost" not in process.stdout


def test_static_change_reports_reboot_and_pending_instance(local_aws, rds, apply, group_name):
    apply({"name": group_name, "family": FAMILY, "parameters": {"log_lock_waits": True}})
    instance_id = "pg-inst-%s" % uuid.uuid4().hex[:8]
    rds.create_db_instance(
        DBInstanceIdentifier=instance_id, Engine="postgres", EngineVersion="16.3", DBInstanceClass="db.t3.micro",
        AllocatedStorage=20, MasterUsername="app", MasterUserPassword="Secret-password-1",
        DBParameterGroupName=group_name,
    )
    try:
        rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=instance_id,
                                                     WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        result = apply({"name": group_name, "family": FAMILY,
                        "parameters": {"log_lock_waits": True, "work_mem": 8192}})
        assert result["reboot_required"] is False
        assert result["pending_reboot_instances"] == []

        result = apply({"name": group_name, "family": FAMILY,
                        "parameters": {"log_lock_waits": True, "work_mem": 8192, "max_connections": 250}})
        assert result["reboot_required"] is True
        assert result["pending_reboot_instances"] == [instance_id]
        assert [(change["name"], change["apply_method"]) for change in result["changed_parameters"]] == [
            ("max_connections", "pending-reboot")]
        attached = rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"][0]["DBParameterGroups"]
        assert attached == [{"DBParameterGroupName": group_name, "ParameterApplyStatus": "pending-reboot"}]

        since = local_aws.recorder.mark()
        result = apply({"name": group_name, "state": "absent"}, expect_failure=True)
        assert instance_id in result["msg"] and "still used" in result["msg"]
        assert local_aws.recorder.mutating(since) == []
        assert group_exists(rds, group_name)
    finally:
        rds.delete_db_instance(DBInstanceIdentifier=instance_id, SkipFinalSnapshot=True)


def test_purge_resets_unlisted_parameters_to_family_default(local_aws, rds, apply, group_name):
    apply({"name": group_name, "family": FAMILY,
           "parameters": {"work_mem": 8192, "max_connections": 300, "log_statement": "ddl"}})
    result = apply({"name": group_name, "family": FAMILY, "parameters": {"work_mem": 8192}})
    assert result["changed"] is False

    since = local_aws.recorder.mark()
    result = apply({"name": group_name, "family": FAMILY, "parameters": {"work_mem": 8192}, "purge": True})
    assert user_values(rds, group_name) == {"work_mem": "8192"}
    assert local_aws.recorder.count_by_action(since).get("ResetDBParameterGroup") == 1
    assert [(change["name"], change["before"], change["after"], change["apply_method"])
            for change in result["changed_parameters"]] == [
        ("log_statement", "ddl", "none", "immediate"),
        ("max_connections", "300", "LEAST({DBInstanceClassMemory/9531392},5000)", "pending-reboot"),
    ]

    result = apply({"name": group_name, "family": FAMILY, "parameters": {"work_mem": 8192}, "purge": True})
    assert result["changed"] is False


def test_tags_are_set_replaced_and_kept(rds, apply, group_name):
    result = apply({"name": group_name, "family": FAMILY, "description": "app settings",
                    "tags": {"env": "dev", "team": "db"}})
    assert tags_of(rds, group_name) == {"env": "dev", "team": "db"}
    assert result["parameter_group"]["description"] == "app settings"
    assert result["parameter_group"]["arn"].endswith(":pg:%s" % group_name)

    result = apply({"name": group_name, "tags": {"env": "prod", "owner": "ops"}})
    assert tags_of(rds, group_name) == {"env": "prod", "owner": "ops"}
    assert result["parameter_group"]["tags"] == {"env": "prod", "owner": "ops"}

    apply({"name": group_name, "tags": {"cost": "42"}, "purge_tags": False})
    assert tags_of(rds, group_name) == {"env": "prod", "owner": "ops", "cost": "42"}

    result = apply({"name": group_name, "tags": {"env": "prod", "owner": "ops", "cost": "42"}})
    assert result["changed"] is False


def test_throttled_writes_are_retried(local_aws, rds, apply, group_name):
    apply({"name": group_name, "family": FAMILY})
    local_aws.set_faults([{"action": "ModifyDBParameterGroup", "first_n": 2, "error": "Throttling"}])
    try:
        since = local_aws.recorder.mark()
        # botocore's own retries are off, so only the module's backoff can succeed.
        apply({"name": group_name, "parameters": {"work_mem": 8192}},
              aws_config={"retries": {"mode": "standard", "total_max_attempts": 1}})
    finally:
        local_aws.clear_faults()
    modify_calls = [call for call in calls_on(local_aws, since, group_name) if call["action"] == "ModifyDBParameterGroup"]
    assert [call["error"] for call in modify_calls] == ["Throttling", "Throttling", None]
    assert user_values(rds, group_name) == {"work_mem": "8192"}


def test_family_cannot_change(local_aws, rds, apply, group_name):
    apply({"name": group_name, "family": FAMILY})
    since = local_aws.recorder.mark()
    result = apply({"name": group_name, "family": "postgres15", "parameters": {"work_mem": 8192}},
                   expect_failure=True)
    assert result["problems"][0].startswith("family: parameter group %s is family postgres16" % group_name)
    assert "new name" in result["msg"]
    assert local_aws.recorder.mutating(since) == []
    group = rds.describe_db_parameter_groups(DBParameterGroupName=group_name)["DBParameterGroups"][0]
    assert group["DBParameterGroupFamily"] == FAMILY


def test_family_required_to_create(rds, apply, group_name):
    result = apply({"name": group_name, "parameters": {"work_mem": 8192}}, expect_failure=True)
    assert result["problems"] == ["family: required to create parameter group %s" % group_name]
    assert not group_exists(rds, group_name)


def test_absent_deletes_the_group(rds, apply, group_name):
    apply({"name": group_name, "family": FAMILY})
    result = apply({"name": group_name, "state": "absent"}, check=True)
    assert result["changed"] is True and group_exists(rds, group_name)
    result = apply({"name": group_name, "state": "absent"})
    assert result["changed"] is True and not group_exists(rds, group_name)
    result = apply({"name": group_name, "state": "absent"})
    assert result["changed"] is False
