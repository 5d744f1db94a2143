"""The prod job templates of awx/, launched through ansible-runner as the controller launches
them (tools/awx/launch.py), on skillancer prod as tests/integration/test_fleet_skillancer*.py
provisioned it: this module joins their XDIST_GROUP and comes after them (pytest collects
tests/awx after tests/integration), so it runs on their environment as they leave it.

Every runbook of prod is confirmed with the answer `prod`. In file order: the nightly
snapshot (its schedule), failover, restore of that snapshot, rotation of the users'
passwords, maintenance, report, and provision in check mode limited to the DR region's host.
"""

import json
from contextlib import closing

import pytest

from conftest import pg_connect, read_secret
from job_runs import (assert_answers_read, delete_restored, fail_over_and_check_the_zones_swap, instance, launch, sql,
                      succeeded)

XDIST_GROUP = "skillancer_prod"

REGION = "us-east-1"
HOST, DR_HOST = "prod-us-east-1", "prod-us-west-2"
WRITER = "skillancer-prod"
SECRETS = "skillancer/prod/"
MASTER_SECRET = SECRETS + "rds/master"
USER_SECRETS = [SECRETS + "rds/users/skillancer_app", SECRETS + "rds/users/skillancer_readonly"]
DRILL_TABLE = "awx_prod_drill"
# Every test runs on the fleet tests' prod.
pytestmark = pytest.mark.usefixtures("prod")


@pytest.fixture(scope="module")
def prod(example_fleet):
    return example_fleet("skillancer", "prod")


@pytest.fixture(scope="module")
def drill():
    """What the tests hand on: the nightly snapshot's id."""
    return {}


def execute(local_aws, statement, identifier=WRITER):
    return sql(local_aws, identifier, MASTER_SECRET, statement)


def test_nightly_snapshot_schedule_snapshots_the_database_and_the_cache(local_aws, tmp_path, drill):
    execute(local_aws, f"CREATE TABLE {DRILL_TABLE} AS SELECT generate_series(1, 5) AS id")
    job = succeeded(launch(local_aws, tmp_path, schedule="dbfleet nightly snapshot prod"))
    [report] = job.reports
    assert_answers_read(report, {"target": "all", "purpose": "nightly"})
    execute(local_aws, f"INSERT INTO {DRILL_TABLE} SELECT generate_series(6, 8)")

    rds_snapshot = local_aws.client("rds", REGION).describe_db_snapshots(
        DBSnapshotIdentifier=report["details"]["rds_snapshot"]["id"])["DBSnapshots"][0]
    assert rds_snapshot["Status"] == "available"
    assert {tag["Key"]: tag["Value"] for tag in rds_snapshot["TagList"]}["Purpose"] == "nightly"
    [cache_snapshot] = local_aws.client("elasticache", REGION).describe_snapshots(
        SnapshotName=report["details"]["redis_snapshot"]["id"])["Snapshots"]
    assert (cache_snapshot["SnapshotStatus"], cache_snapshot["ReplicationGroupId"]) == ("available", WRITER)
    drill["snapshot"] = rds_snapshot["DBSnapshotIdentifier"]


def test_failover_template_swaps_the_zones_of_prod(local_aws, tmp_path):
    fail_over_and_check_the_zones_swap(local_aws, tmp_path, "prod", WRITER)


def test_restore_template_restores_the_nightly_snapshot_into_a_new_instance(local_aws, tmp_path, drill):
    answers = {"mode": "snapshot", "snapshot": drill["snapshot"], "confirm": "prod"}
    job = succeeded(launch(local_aws, tmp_path, "dbfleet restore prod", answers))
    assert_answers_read(job.reports[0], answers)
    [restored] = [call["ids"]["DBInstanceIdentifier"] for call in job.mutating
                  if call["action"] == "RestoreDBInstanceFromDBSnapshot"]
    assert restored.startswith(WRITER + "-restored-")
    count = f"SELECT count(*) FROM {DRILL_TABLE}"
    assert (execute(local_aws, count, restored), execute(local_aws, count)) == ([(5,)], [(8,)])
    delete_restored(local_aws, restored)
    execute(local_aws, f"DROP TABLE {DRILL_TABLE}")


def test_rotate_credentials_template_rotates_the_users_passwords_only(local_aws, tmp_path):
    names = [MASTER_SECRET, SECRETS + "redis/auth-token", *USER_SECRETS]
    before = {name: read_secret(local_aws, name) for name in names}
    succeeded(launch(local_aws, tmp_path, "dbfleet rotate credentials prod",
                     {"rotate_targets": "users", "confirm": "prod"}))
    after = {name: read_secret(local_aws, name) for name in names}
    assert [name for name in names if after[name] != before[name]] == USER_SECRETS
    address = instance(local_aws, WRITER)["Endpoint"]
    for name in USER_SECRETS:
        user = after[name]
        with closing(pg_connect(address["Address"], address["Port"], user["username"], user["password"],
                                "skillancer")) as connection:
            connection.cursor().execute("SELECT 1")


def test_maintenance_template_confirmed_finds_nothing_waiting(local_aws, tmp_path):
    job = succeeded(launch(local_aws, tmp_path, "dbfleet maintenance prod", {"confirm": "prod"}))
    assert job.mutating == []
    assert instance(local_aws, WRITER)["DBParameterGroups"][0]["ParameterApplyStatus"] == "in-sync"


def test_report_template_reports_prod(local_aws, tmp_path):
    job = succeeded(launch(local_aws, tmp_path, "dbfleet report prod"))
    assert job.mutating == []
    report = (tmp_path / "reports" / f"report-{HOST}.md").read_text()
    [group] = local_aws.client("elasticache", REGION).describe_replication_groups(
        ReplicationGroupId=WRITER)["ReplicationGroups"]
    assert f"| {WRITER} | available | db.r6g.large |" in report
    assert group["MemberClusters"] and all(f"| {node} | available |" in report for node in group["MemberClusters"])
    # Each replica the writer has (the fleet tests left one the inventory does not list), its
    # lag as it measures it; and the fleet of the run: both regions' hosts.
    replicas = instance(local_aws, WRITER)["ReadReplicaDBInstanceIdentifiers"]
    data = json.loads((tmp_path / "reports" / f"report-{HOST}.json").read_text())
    assert replicas and sorted(lag["identifier"] for lag in data["replica_lag"]) == sorted(replicas)
    for lag in data["replica_lag"]:
        assert lag["source"] == WRITER and lag["error"] == "" and 0 <= lag["lag_seconds"] < 60
    fleet = json.loads((tmp_path / "reports" / "report-fleet.json").read_text())
    assert sorted(report["host"] for report in fleet["environments"]) == [HOST, DR_HOST]
    assert f"| prod ({HOST}) | us-east-1 |" in (tmp_path / "reports" / "report-fleet.md").read_text()


def test_provision_template_in_check_mode_on_the_dr_host_changes_nothing(local_aws, tmp_path):
    """A scoped launch with the template's prompts: job type check, diff, limit."""
    job = succeeded(launch(local_aws, tmp_path, "dbfleet provision prod", job_type="check", diff_mode=True,
                           limit=DR_HOST))
    assert list(job.stats["ok"]) == [DR_HOST] and job.stats.get("changed", {}) == {}
    assert job.mutating == []
