"""The dev job templates of awx/, launched through ansible-runner as the controller launches
them (tools/awx/launch.py), on skillancer dev as its provision template builds it: one
single-AZ instance without replicas and one cache node. In file order: provision, snapshot
of the cache only, failover (refused: nothing to fail over to), restore to the latest
restorable time, rotation of the Redis token, maintenance, report.
"""


import pytest
import redis

from conftest import read_secret
from job_runs import assert_answers_read, delete_restored, instance, launch, sql, succeeded

XDIST_GROUP = "awx_dev"

REGION = "us-east-1"
HOST = "dev-us-east-1"
WRITER = "skillancer-dev"
MASTER_SECRET = "skillancer/dev/rds/master"
TOKEN_SECRET = "skillancer/dev/redis/auth-token"
DRILL_TABLE = "awx_dev_drill"
# Every test runs on dev as its provision template built it.
pytestmark = pytest.mark.usefixtures("dev")


@pytest.fixture(scope="module")
def dev(local_aws, tmp_path_factory):
    """skillancer dev, provisioned by its template; WAL is shipped at every describe
    meanwhile, so that the latest restorable time covers the last write."""
    shipping = local_aws.control("GET", "log-shipping")
    local_aws.control("POST", "log-shipping", {"seconds": 0})
    yield launch(local_aws, tmp_path_factory.mktemp("provision"), "dbfleet provision dev")
    local_aws.control("POST", "log-shipping", shipping)


def execute(local_aws, statement, identifier=WRITER):
    return sql(local_aws, identifier, MASTER_SECRET, statement)


def cache(local_aws, token=None):
    [group] = local_aws.client("elasticache", REGION).describe_replication_groups(
        ReplicationGroupId=WRITER)["ReplicationGroups"]
    endpoint = group["NodeGroups"][0]["PrimaryEndpoint"]
    return redis.Redis(host=endpoint["Address"], port=endpoint["Port"], socket_timeout=10,
                       password=token or read_secret(local_aws, TOKEN_SECRET)["auth_token"])


def test_provision_template_builds_dev(dev, local_aws):
    succeeded(dev)
    writer = instance(local_aws, WRITER)
    assert (writer["DBInstanceStatus"], writer["MultiAZ"], writer["BackupRetentionPeriod"]) == ("available", False, 1)
    assert cache(local_aws).ping()


def test_snapshot_template_snapshots_the_cache_only(local_aws, tmp_path):
    answers = {"target": "redis", "purpose": "awx-dev", "confirm": "dev"}
    job = succeeded(launch(local_aws, tmp_path, "dbfleet snapshot dev", answers))
    [report] = job.reports
    assert_answers_read(report, answers)
    [snapshot] = local_aws.client("elasticache", REGION).describe_snapshots(
        SnapshotName=report["details"]["redis_snapshot"]["id"])["Snapshots"]
    assert (snapshot["SnapshotStatus"], snapshot["ReplicationGroupId"]) == ("available", WRITER)
    actions = {call["action"] for call in job.mutating}
    assert "CreateSnapshot" in actions and "CreateDBSnapshot" not in actions


def test_failover_template_refuses_a_single_az_instance(local_aws, tmp_path):
    """dev has no standby: the pre-checks stop the runbook before any change."""
    job = launch(local_aws, tmp_path, "dbfleet failover dev", {"target": "rds", "confirm": "dev"})
    assert job.rc != 0 and job.mutating == []
    [report] = job.reports
    assert report["outcome"] == "failed"
    assert [check["passed"] for check in report["checks"] if check["name"] == "instance is Multi-AZ"] == [False]


def test_restore_template_restores_the_latest_rows(local_aws, tmp_path):
    execute(local_aws, f"CREATE TABLE {DRILL_TABLE} AS SELECT generate_series(1, 4) AS id")
    job = succeeded(launch(local_aws, tmp_path, "dbfleet restore dev", {"confirm": "dev"}))
    assert job.reports[0]["parameters"]["restore_time"] == "latest"
    [restored] = [call["ids"]["TargetDBInstanceIdentifier"] for call in job.mutating
                  if call["action"] == "RestoreDBInstanceToPointInTime"]
    assert execute(local_aws, f"SELECT count(*) FROM {DRILL_TABLE}", restored) == [(4,)]
    delete_restored(local_aws, restored)


def test_rotate_credentials_template_rotates_the_redis_token_only(local_aws, tmp_path):
    master_before, token_before = read_secret(local_aws, MASTER_SECRET), read_secret(local_aws, TOKEN_SECRET)
    succeeded(launch(local_aws, tmp_path, "dbfleet rotate credentials dev",
                     {"rotate_targets": "redis", "confirm": "dev"}))
    token = read_secret(local_aws, TOKEN_SECRET)["auth_token"]
    assert token != token_before["auth_token"] and read_secret(local_aws, MASTER_SECRET) == master_before
    assert cache(local_aws, token).ping()
    with pytest.raises(redis.AuthenticationError):
        cache(local_aws, token_before["auth_token"]).ping()


def test_maintenance_template_finds_nothing_waiting(local_aws, tmp_path):
    job = succeeded(launch(local_aws, tmp_path, "dbfleet maintenance dev", {"confirm": "dev"}))
    assert job.mutating == []


def test_report_template_reports_dev(local_aws, tmp_path):
    job = succeeded(launch(local_aws, tmp_path, "dbfleet report dev"))
    assert job.mutating == []
    markdown = (tmp_path / "reports" / f"report-{HOST}.md").read_text()
    assert f"| {WRITER} | available |" in markdown
