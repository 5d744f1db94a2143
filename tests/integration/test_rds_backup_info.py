"""dbfleet.aws.rds_backup_info through ansible-playbook against the local endpoint, whose
restorable times come from the real WAL archive of each instance's PostgreSQL."""

import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

PLAYBOOK = Path(__file__).resolve().parent / "playbooks" / "rds_backup_info.yml"


@pytest.fixture(scope="module")
def rds(local_aws):
    return local_aws.client("rds")


@pytest.fixture(scope="module")
def databases(rds):
    """{"backed_up": id (retention 7, a manual snapshot), "no_backups": id (retention 0)}."""
    names = {"backed_up": f"bi-{uuid.uuid4().hex[:8]}", "no_backups": f"bi-{uuid.uuid4().hex[:8]}"}
    for key, retention in (("backed_up", 7), ("no_backups", 0)):
        rds.create_db_instance(DBInstanceIdentifier=names[key], Engine="postgres", EngineVersion="16.3",
                               DBInstanceClass="db.t3.micro", AllocatedStorage=20,
                               MasterUsername="fleetadmin", MasterUserPassword=uuid.uuid4().hex,
                               BackupRetentionPeriod=retention)
    rds.create_db_snapshot(DBInstanceIdentifier=names["backed_up"], DBSnapshotIdentifier=f"{names['backed_up']}-manual")
    yield names
    for identifier in names.values():
        try:
            rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True)
        except ClientError:
            pass
    rds.delete_db_snapshot(DBSnapshotIdentifier=f"{names['backed_up']}-manual")


@pytest.fixture
def apply(module_runner):
    return module_runner(PLAYBOOK)


def test_reports_window_snapshots_and_rpo_read_only(local_aws, rds, databases, apply):
    identifier = databases["backed_up"]
    since = local_aws.recorder.mark()
    result = apply({"db_instance_identifier": [identifier], "rpo_target_seconds": 300}, check=True)
    assert [call for call in local_aws.recorder.mutating(since) if identifier in call["ids"].values()] == []
    assert result["changed"] is False
    status = result["backups"][0]
    described = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    window = rds.describe_db_instance_automated_backups(DBInstanceIdentifier=identifier)[
        "DBInstanceAutomatedBackups"][0]["RestoreWindow"]
    assert (status["db_instance_identifier"], status["dbi_resource_id"], status["backup_retention_period"]) == (
        identifier, described["DbiResourceId"], 7)
    assert status["latest_restorable_time"] == described["LatestRestorableTime"].isoformat()
    assert status["earliest_restorable_time"] == window["EarliestTime"].isoformat()
    assert status["latest_manual_snapshot"]["id"] == f"{identifier}-manual"
    assert status["latest_automated_snapshot"]["id"].startswith(f"rds:{identifier}-")
    expected_rpo = (datetime.now(timezone.utc) - described["LatestRestorableTime"]).total_seconds()
    assert abs(status["rpo_seconds"] - expected_rpo) <= 30
    assert (status["rpo_ok"], result["rpo_ok"], result["breaches"]) == (True, True, [])


def test_instance_without_backups_misses_any_target(databases, apply):
    result = apply({"db_instance_identifier": [databases["no_backups"]], "rpo_target_seconds": 300})
    status = result["backups"][0]
    assert (status["automated_backups_enabled"], status["rpo_seconds"], status["latest_restorable_time"]) == (
        False, None, None)
    assert (result["rpo_ok"], result["breaches"]) == (False, [databases["no_backups"]])


def test_breach_fails_the_task_naming_the_instance(rds, databases, apply):
    identifier = databases["backed_up"]
    # A stopped instance ships no more WAL: its latest restorable time stays put.
    rds.stop_db_instance(DBInstanceIdentifier=identifier)
    try:
        time.sleep(2.5)
        result = apply({"db_instance_identifier": [identifier, databases["no_backups"]],
                        "rpo_target_seconds": 1, "fail_on_rpo_breach": True}, expect_failure=True)
    finally:
        rds.start_db_instance(DBInstanceIdentifier=identifier)
    assert result["msg"].startswith("RPO target missed by 2 DB instance(s): %s: RPO " % identifier)
    assert "exceeds the target of 1s" in result["msg"]
    assert "%s: automated backups are disabled" % databases["no_backups"] in result["msg"]
    assert result["breaches"] == [identifier, databases["no_backups"]]


def test_bad_input_is_refused_before_any_call(local_aws, apply):
    since = local_aws.recorder.mark()
    result = apply({"db_instance_identifier": ["9lives", "ok-db--x"], "rpo_target_seconds": 0}, expect_failure=True)
    assert result["msg"].startswith("3 problem(s) with the arguments, no AWS call was made")
    assert "rpo_target_seconds: must be at least 1, got 0" in result["msg"]
    assert [call for call in local_aws.recorder.calls(since)
            if {"9lives", "ok-db--x"} & set(call["ids"].values())] == []


def test_missing_instances_are_named(databases, apply):
    result = apply({"db_instance_identifier": ["bi-missing-one", databases["backed_up"], "bi-missing-two"]},
                   expect_failure=True)
    assert result["msg"] == "DB instance(s) not found: bi-missing-one, bi-missing-two"
