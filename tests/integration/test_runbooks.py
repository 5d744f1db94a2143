"""The runbooks (playbooks/failover.yml, restore.yml, snapshot.yml) on the local inventory,
read back through the AWS APIs, the real PostgreSQL and Redis, the recorder and the reports.

They run on the session's local environment (local_env, tests/conftest.py), in file order:
the snapshot test writes the drill's rows and keys around its snapshots, the restore tests
restore them.
Restored instances and groups are deleted, the drill's data removed and the connection secret
put back at the end.
"""

import json
import time
from contextlib import closing
from datetime import datetime, timedelta, timezone

import pytest
import redis

from conftest import (ansible_environment, assert_no_secret, db_parameters, generated_secrets, pg_connect,
                      read_secret as secret, run_playbook, verbose_environment)

# The session's local environment: these modules run on one xdist worker, in this order.
XDIST_GROUP = "local_env"

INVENTORY = "inventories/local"
PROD_INVENTORY = "examples/skillancer/prod"
REGION = "us-east-1"
WRITER = "dbfleet-local"
GROUP = "dbfleet-local"
MASTER_SECRET = "dbfleet/local/rds/master"
CONNECTION_SECRET = "dbfleet/local/rds/credentials"
AUTH_SECRET = "dbfleet/local/redis/auth-token"
DRILL_TABLE = "runbook_drill"
SNAPSHOT_RESTORE = "dbfleet-local-drill-snapshot"
PITR_RESTORE = "dbfleet-local-drill-pitr"
REDIS_RESTORE = "dbfleet-local-drill-redis"
DR_REGION = "us-west-2"
DR_REPLICA = "dbfleet-local-dr"
DR_PARAMETER_GROUP = "dbfleet-local-postgres15"   # the writer's, copied to DR_REGION
FAILOVER_TABLE = "failover_drill"


@pytest.fixture(scope="module")
def drill():
    """What the drill's tests hand on: the time between the two writes, the snapshot report."""
    return {}


@pytest.fixture(scope="module")
def provisioned(local_env, local_aws):
    """The session's local environment; what the drills add is removed afterwards."""
    rds = local_aws.client("rds", REGION)
    elasticache = local_aws.client("elasticache", REGION)
    secrets = local_aws.client("secretsmanager", REGION)
    connection_secret = secrets.get_secret_value(SecretId=CONNECTION_SECRET)["SecretString"]
    yield
    for identifier in (SNAPSHOT_RESTORE, PITR_RESTORE):
        try:
            rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True)
        except rds.exceptions.DBInstanceNotFoundFault:
            pass
    try:
        elasticache.delete_replication_group(ReplicationGroupId=REDIS_RESTORE)
    except elasticache.exceptions.ReplicationGroupNotFoundFault:
        pass
    secrets.put_secret_value(SecretId=CONNECTION_SECRET, SecretString=connection_secret)
    with closing(session_to(local_aws, WRITER)) as session:
        session.cursor().execute(f"DROP TABLE IF EXISTS {DRILL_TABLE}")
    redis_client(local_aws).delete("drill:before", "drill:after")


def instance(local_aws, identifier):
    return local_aws.client("rds", REGION).describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]


def session_to(local_aws, identifier):
    master = secret(local_aws, MASTER_SECRET)
    endpoint = instance(local_aws, identifier)["Endpoint"]
    return pg_connect(endpoint["Address"], endpoint["Port"], master["username"], master["password"], "dbfleet")


def count_rows(local_aws, identifier):
    with closing(session_to(local_aws, identifier)) as session:
        cursor = session.cursor()
        cursor.execute(f"SELECT count(*) FROM {DRILL_TABLE}")
        return cursor.fetchone()[0]


def insert_rows(local_aws, note, rows):
    with closing(session_to(local_aws, WRITER)) as session:
        cursor = session.cursor()
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {DRILL_TABLE} (id serial PRIMARY KEY, note text)")
        cursor.execute(f"INSERT INTO {DRILL_TABLE} (note) SELECT %s FROM generate_series(1, %s)", (note, rows))


def redis_client(local_aws, address=None, port=None):
    if address is None:
        group = local_aws.client("elasticache", REGION).describe_replication_groups(
            ReplicationGroupId=GROUP)["ReplicationGroups"][0]
        address, port = (group["NodeGroups"][0]["PrimaryEndpoint"][key] for key in ("Address", "Port"))
    return redis.Redis(host=address, port=port, password=secret(local_aws, AUTH_SECRET)["auth_token"],
                       socket_timeout=10, decode_responses=True)


def primary_of(local_aws):
    group = local_aws.client("elasticache", REGION).describe_replication_groups(
        ReplicationGroupId=GROUP)["ReplicationGroups"][0]
    return next(member["CacheClusterId"] for member in group["NodeGroups"][0]["NodeGroupMembers"]
                if member["CurrentRole"] == "primary")


def runbook(local_aws, tmp_path, playbook, inventory=INVENTORY, expect_rc=0, env=None, check=False, **extra):
    """Run a runbook with its reports in tmp_path; returns (result, JSON report or None).
    result.output is stdout and stderr with the line wrapping undone."""
    result = run_playbook(f"playbooks/{playbook}.yml", inventory,
                          extra_vars={"runbook_report_dir": str(tmp_path), **extra},
                          env=env or ansible_environment(local_aws), expect_rc=expect_rc, check=check)
    result.output = " ".join((result.stdout + result.stderr).split())
    reports = sorted(tmp_path.glob(f"{playbook}-*.json"))
    report = json.loads(reports[-1].read_text()) if reports else None
    if report is not None:
        assert reports[-1].with_suffix(".md").read_text().startswith(f"# {playbook.capitalize()} runbook: ")
    return result, report


def assert_timeline(report, steps, disruptive=None):
    """The timeline names the steps in order, each timed; the RTO spans disruption to recovery."""
    timeline = report["timeline"]
    assert [entry["step"] for entry in timeline] == steps
    assert all(entry["outcome"] == "ok" for entry in timeline)
    for entry in timeline:
        start, end = (datetime.strptime(entry[key], "%Y-%m-%dT%H:%M:%S.%fZ") for key in ("started_at", "finished_at"))
        assert end >= start and entry["seconds"] == pytest.approx((end - start).total_seconds(), abs=0.002)
    assert timeline == sorted(timeline, key=lambda entry: entry["started_at"])
    if disruptive is None:
        assert report["rto_seconds"] is None
        return
    assert [entry["step"] for entry in timeline if entry["disruptive"]] == [disruptive]
    start = next(entry["started_at"] for entry in timeline if entry["disruptive"])
    assert report["rto_from"] == start and report["rto_to"] == timeline[-1]["finished_at"]
    spanned = (datetime.strptime(report["rto_to"], "%Y-%m-%dT%H:%M:%S.%fZ")
               - datetime.strptime(start, "%Y-%m-%dT%H:%M:%S.%fZ")).total_seconds()
    assert report["rto_seconds"] == pytest.approx(spanned, abs=0.002) and report["rto_seconds"] > 0


def test_failover_rds_swaps_the_zones(provisioned, local_aws, tmp_path):
    """At -vvv with a log file: no password or token in the output, the log or the report."""
    before = instance(local_aws, WRITER)
    log = tmp_path / "failover.log"
    result, report = runbook(local_aws, tmp_path, "failover", env=verbose_environment(local_aws, log), target="rds")
    assert_no_secret(generated_secrets(local_aws, "dbfleet/local/"), result.stdout + result.stderr, log.read_text(),
                     *[path.read_text() for path in tmp_path.glob("failover-*.*")])

    after = instance(local_aws, WRITER)
    assert (after["AvailabilityZone"], after["SecondaryAvailabilityZone"]) == (
        before["SecondaryAvailabilityZone"], before["AvailabilityZone"])
    assert report["outcome"] == "succeeded" and report["parameters"] == {"target": "rds"}
    assert_timeline(report, ["pre-checks", "forced Multi-AZ failover", "verification"],
                    disruptive="forced Multi-AZ failover")
    assert report["details"]["zones_before"] == {"primary": before["AvailabilityZone"],
                                                 "secondary": before["SecondaryAvailabilityZone"]}
    assert report["details"]["zones_after"] == {"primary": after["AvailabilityZone"],
                                                "secondary": after["SecondaryAvailabilityZone"]}
    assert all(check["passed"] for check in report["checks"])
    (written,) = [check for check in report["checks"] if check["name"] == "writer accepts connections and writes"]
    assert written["detail"] == "committed a row to dbfleet_runbook_heartbeat and read it back"
    with closing(session_to(local_aws, WRITER)) as session:
        cursor = session.cursor()
        cursor.execute("SELECT runbook, at FROM dbfleet_runbook_heartbeat WHERE id = 1")
        runbook_name, written_at = cursor.fetchone()
    assert runbook_name == "failover"
    assert report["started_at"] <= written_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ") \
        <= report["finished_at"]
    reboots = [c["ids"].get("DBInstanceIdentifier") for c in result.mutating if c["action"] == "RebootDBInstance"]
    assert reboots == [WRITER]


def test_failover_redis_moves_the_primary(provisioned, local_aws, tmp_path):
    before = primary_of(local_aws)
    _result, report = runbook(local_aws, tmp_path, "failover", target="redis")

    after = primary_of(local_aws)
    assert after != before
    assert (report["details"]["primary_before"], report["details"]["primary_after"]) == (before, after)
    assert report["details"]["members_after"][after] == "primary"
    assert_timeline(report, ["pre-checks", "test failover", "verification"], disruptive="test failover")
    assert all(check["passed"] for check in report["checks"])


def test_snapshot_runbook_takes_tagged_available_snapshots(provisioned, local_aws, tmp_path, drill):
    """The first half of the drill: rows and a key written before the snapshots, more after."""
    insert_rows(local_aws, "before the snapshot", 5)
    cache = redis_client(local_aws)
    cache.set("drill:before", "1")
    time.sleep(1.1)
    drill["between"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    _result, report = runbook(local_aws, tmp_path, "snapshot", purpose="drill")

    insert_rows(local_aws, "after the snapshot", 3)
    cache.set("drill:after", "1")
    drill["report"] = report
    assert_timeline(report, ["pre-checks", "snapshot of the RDS instance", "snapshot of the replication group"])
    rds = local_aws.client("rds", REGION)
    rds_snapshot = rds.describe_db_snapshots(
        DBSnapshotIdentifier=report["details"]["rds_snapshot"]["id"])["DBSnapshots"][0]
    assert rds_snapshot["Status"] == "available" and rds_snapshot["DBInstanceIdentifier"] == WRITER
    assert rds_snapshot["SnapshotType"] == "manual"
    tags = {tag["Key"]: tag["Value"] for tag in rds_snapshot["TagList"]}
    assert tags["Purpose"] == "drill" and tags["Environment"] == "local"

    elasticache = local_aws.client("elasticache", REGION)
    [cache_snapshot] = elasticache.describe_snapshots(
        SnapshotName=report["details"]["redis_snapshot"]["id"])["Snapshots"]
    assert cache_snapshot["SnapshotStatus"] == "available" and cache_snapshot["ReplicationGroupId"] == GROUP
    cache_tags = {tag["Key"]: tag["Value"] for tag in elasticache.list_tags_for_resource(
        ResourceName=report["details"]["redis_snapshot"]["arn"])["TagList"]}
    assert cache_tags["Purpose"] == "drill" and cache_tags["Environment"] == "local"


def test_restore_drill_from_a_snapshot_holds_only_the_first_rows(provisioned, local_aws, tmp_path, drill):
    """Restore the snapshot (and switch to it): the restored database holds the first rows only;
    the report shows the timeline. At -vvv, so the output can be searched for secrets."""
    snapshot_id = drill["report"]["details"]["rds_snapshot"]["id"]
    connection_before = secret(local_aws, CONNECTION_SECRET)

    log = tmp_path / "restore.log"
    result, report = runbook(local_aws, tmp_path, "restore", env=verbose_environment(local_aws, log),
                             mode="snapshot", snapshot=snapshot_id,
                             restore_identifier=SNAPSHOT_RESTORE, switch=True, tables=[DRILL_TABLE],
                             expect_rows={DRILL_TABLE: 5})

    assert count_rows(local_aws, SNAPSHOT_RESTORE) == 5
    assert count_rows(local_aws, WRITER) == 8
    restored = instance(local_aws, SNAPSHOT_RESTORE)
    assert restored["DBInstanceStatus"] == "available"
    assert report["outcome"] == "succeeded"
    assert_timeline(report, ["pre-checks", "restore snapshot into a new instance", "verification",
                             "point the connection secret at the restored instance"],
                    disruptive="restore snapshot into a new instance")
    snapshot = local_aws.client("rds", REGION).describe_db_snapshots(DBSnapshotIdentifier=snapshot_id)["DBSnapshots"][0]
    assert report["restored_to"][:19] == snapshot["SnapshotCreateTime"].astimezone(timezone.utc).isoformat()[:19]
    assert report["details"]["row_counts"] == [{"table": DRILL_TABLE, "source": 8, "restored": 5}]

    # The connection secret now points at the restored instance, keeps its shape, and the
    # report remembers where it pointed before (never the password).
    connection = secret(local_aws, CONNECTION_SECRET)
    assert set(connection) == set(connection_before)
    assert (connection["host"], int(connection["port"]), connection["dbInstanceIdentifier"]) == (
        restored["Endpoint"]["Address"], restored["Endpoint"]["Port"], SNAPSHOT_RESTORE)
    assert report["details"]["connection_secret"]["before"] == {
        "host": connection_before["host"], "port": connection_before["port"],
        "dbInstanceIdentifier": WRITER}
    with closing(pg_connect(connection["host"], connection["port"], connection["username"],
                            connection["password"], connection["dbname"])) as session:
        cursor = session.cursor()
        cursor.execute(f"SELECT count(*) FROM {DRILL_TABLE}")
        assert cursor.fetchone()[0] == 5

    assert_no_secret(generated_secrets(local_aws, "dbfleet/local/"), result.stdout + result.stderr, log.read_text(),
                     *[path.read_text() for path in tmp_path.glob("restore-*.*")])


def test_restore_pitr_to_a_time_between_two_writes(provisioned, local_aws, tmp_path, drill):
    _result, report = runbook(local_aws, tmp_path, "restore", mode="pitr", restore_time=drill["between"],
                              restore_identifier=PITR_RESTORE, tables=[DRILL_TABLE])

    assert count_rows(local_aws, PITR_RESTORE) == 5
    assert report["restored_to"] == drill["between"]
    assert_timeline(report, ["pre-checks", "restore pitr into a new instance", "verification"],
                    disruptive="restore pitr into a new instance")
    assert report["details"]["row_counts"] == [{"table": DRILL_TABLE, "source": 8, "restored": 5}]


def test_restore_redis_snapshot_into_a_new_group(provisioned, local_aws, tmp_path, drill):
    snapshot = drill["report"]["details"]["redis_snapshot"]
    _result, report = runbook(local_aws, tmp_path, "restore", target="redis", mode="snapshot",
                              snapshot=snapshot["id"], restore_identifier=REDIS_RESTORE)

    group = local_aws.client("elasticache", REGION).describe_replication_groups(
        ReplicationGroupId=REDIS_RESTORE)["ReplicationGroups"][0]
    assert group["Status"] == "available" and group["AuthTokenEnabled"] is True
    assert len(group["MemberClusters"]) == 3
    endpoint = group["NodeGroups"][0]["PrimaryEndpoint"]
    restored = redis_client(local_aws, endpoint["Address"], endpoint["Port"])
    assert restored.get("drill:before") == "1" and restored.get("drill:after") is None
    assert report["restored_to"] == snapshot["created"]
    assert_timeline(report, ["pre-checks", "restore snapshot into a new replication group", "verification"],
                    disruptive="restore snapshot into a new replication group")
    assert report["details"]["restored_endpoint"]["port"] == endpoint["Port"]
    assert report["details"]["key_count"]["restored"] == restored.dbsize()
    assert secret(local_aws, AUTH_SECRET)["auth_token"] not in json.dumps(report)


@pytest.mark.parametrize("playbook, extra, message", [
    ("restore", {"mode": "snapshot", "snapshot": "any", "restore_identifier": "dbfleet-local-replica-1"},
     "restore target identifier is free (dbfleet-local-replica-1 already exists"),
    ("restore", {"target": "redis", "mode": "snapshot", "snapshot": "any", "restore_identifier": GROUP},
     "restore target differs from the source (dbfleet-local (source dbfleet-local))"),
    ("restore", {"mode": "latest", "restore_time": "yesterday", "tables": ["x; DROP TABLE y"]},
     "mode: must be pitr or snapshot (got 'latest'); restore_time: only with mode=pitr; "
     "tables: x; DROP TABLE y must be table or schema.table"),
    ("restore", {"mode": "snapshot", "snapshot": "any", "switch": "maybe"},
     "restore refused on local-us-east-1, nothing was changed: switch: must be true or false (got 'maybe')"),
    ("failover", {"target": "region"},
     "failover refused on local-us-east-1, nothing was changed: target: region fails over to the DR replica of the "
     "dr role, and no target of this run has one (dr_enabled and dr_replica_enabled); there is nothing to fail over to"),
    ("failover", {"target": "everything", "dbfleet_protected": True, "confirm": "prod"},
     "target: must be one of rds, redis, region (got 'everything'); "
     "confirm: environment local is protected; run again with -e confirm=local (got prod)"),
])
def test_refusals_make_no_mutating_call(provisioned, local_aws, tmp_path, playbook, extra, message):
    since = local_aws.recorder.mark()
    result, _report = runbook(local_aws, tmp_path, playbook, expect_rc=2, **extra)

    assert message in result.output
    assert local_aws.recorder.mutating(since) == []


def test_prod_runbook_needs_the_confirmation(provisioned, local_aws, tmp_path):
    """The prod inventory, pointed at the local endpoint: no call at all, no report."""
    since = local_aws.recorder.mark()
    result, report = runbook(local_aws, tmp_path, "restore", inventory=PROD_INVENTORY, expect_rc=2,
                             dbfleet_aws_endpoint_url=local_aws.url, mode="pitr")

    assert result.recap["prod-us-east-1"]["failed"] == result.recap["prod-us-west-2"]["failed"] == 1
    assert "confirm: environment prod is protected; run again with -e confirm=prod" in result.output
    assert local_aws.recorder.calls(since) == []
    assert report is None


def test_check_mode_makes_no_mutating_call(provisioned, local_aws, tmp_path):
    since = local_aws.recorder.mark()
    _result, report = runbook(local_aws, tmp_path, "failover", check=True, target="rds")
    runbook(local_aws, tmp_path / "restore", "restore", check=True, mode="pitr",
            restore_identifier=PITR_RESTORE + "-check")

    assert local_aws.recorder.mutating(since) == []
    assert report["check_mode"] is True and report["outcome"] == "succeeded"
    # Nothing failed over: no recovery time, and the checks that would prove a failover did not run.
    assert (report["rto_seconds"], report["rto_from"], report["rto_to"]) == (None, None, None)
    not_run = {check["name"]: check["detail"] for check in report["checks"] if check["passed"] is None}
    assert set(not_run) == {"primary moved to the former standby zone", "writer accepts connections and writes"}
    assert not_run["writer accepts connections and writes"] == "not run: check mode, nothing failed over"


def test_restore_time_before_the_window_stops_at_the_pre_checks(provisioned, local_aws, tmp_path):
    """The start of the window comes from DescribeDBInstanceAutomatedBackups: a time before it
    fails the pre-checks, nothing is restored, and the report claims no restored point."""
    automated = local_aws.client("rds", REGION).describe_db_instance_automated_backups(
        DBInstanceIdentifier=WRITER)["DBInstanceAutomatedBackups"][0]
    too_early = (automated["RestoreWindow"]["EarliestTime"] - timedelta(hours=1)).astimezone(timezone.utc)
    since = local_aws.recorder.mark()
    result, report = runbook(local_aws, tmp_path, "restore", expect_rc=2, mode="pitr",
                             restore_time=too_early.strftime("%Y-%m-%dT%H:%M:%SZ"),
                             restore_identifier=PITR_RESTORE + "-early")

    assert "check failed: restore time within the restorable window" in result.output
    assert report["outcome"] == "failed" and report["restored_to"] is None
    assert report["details"]["restorable_window"]["earliest"][:19] == \
        automated["RestoreWindow"]["EarliestTime"].astimezone(timezone.utc).isoformat()[:19]
    assert [entry["step"] for entry in report["timeline"]] == ["pre-checks"]
    assert local_aws.recorder.mutating(since) == []
    markdown = sorted(tmp_path.glob("restore-*.md"))[-1].read_text()
    assert "| Point in time restored to | n/a: nothing was restored" in markdown


@pytest.fixture
def dr_replica(provisioned, local_env, local_aws):
    """The dr role's cross-region replica of the writer, made by provision.yml (the rds and dr
    roles, dr_replica_enabled) with the writer's parameter group copied to its region, and rows
    written before; removed afterwards with that group and its secret."""
    dr_rds = local_aws.client("rds", DR_REGION)
    with closing(session_to(local_aws, WRITER)) as session:
        session.cursor().execute(f"CREATE TABLE {FAILOVER_TABLE} AS SELECT generate_series(1, 7) AS id")
    local_env.run(only=["rds", "dr"], dr_replica_enabled=True, dr_replica_region=DR_REGION)
    yield dr_rds
    dr_rds.delete_db_instance(DBInstanceIdentifier=DR_REPLICA, SkipFinalSnapshot=True)
    dr_rds.delete_db_parameter_group(DBParameterGroupName=DR_PARAMETER_GROUP)
    # What the promoted instance's alarms left in its region.
    cloudwatch = local_aws.client("cloudwatch", DR_REGION)
    alarms = [alarm["AlarmName"] for alarm in cloudwatch.describe_alarms(AlarmNamePrefix="dbfleet-local-")["MetricAlarms"]]
    if alarms:
        cloudwatch.delete_alarms(AlarmNames=alarms)
    cloudwatch.delete_dashboards(DashboardNames=["dbfleet-local-databases"])
    sns = local_aws.client("sns", DR_REGION)
    for topic in sns.list_topics()["Topics"]:
        sns.delete_topic(TopicArn=topic["TopicArn"])
    dr_rds.delete_event_subscription(SubscriptionName="dbfleet-local-rds-events")
    local_aws.client("secretsmanager", DR_REGION).delete_secret(SecretId=CONNECTION_SECRET,
                                                                ForceDeleteWithoutRecovery=True)
    with closing(session_to(local_aws, WRITER)) as session:
        session.cursor().execute(f"DROP TABLE {FAILOVER_TABLE}")


def test_failover_region_promotes_the_dr_replica(dr_replica, local_aws, tmp_path):
    result, report = runbook(local_aws, tmp_path, "failover", target="region", dr_replica_enabled=True,
                             dr_replica_region=DR_REGION)

    promoted = dr_replica.describe_db_instances(DBInstanceIdentifier=DR_REPLICA)["DBInstances"][0]
    assert promoted["DBInstanceStatus"] == "available"
    assert "ReadReplicaSourceDBInstanceIdentifier" not in promoted
    assert promoted["DBInstanceArn"] not in instance(local_aws, WRITER)["ReadReplicaDBInstanceIdentifiers"]
    connection = json.loads(local_aws.client("secretsmanager", DR_REGION).get_secret_value(
        SecretId=CONNECTION_SECRET)["SecretString"])
    assert (connection["host"], int(connection["port"]), connection["dbInstanceIdentifier"]) == (
        promoted["Endpoint"]["Address"], promoted["Endpoint"]["Port"], DR_REPLICA)
    with closing(pg_connect(connection["host"], connection["port"], connection["username"],
                            connection["password"], connection["dbname"])) as session:
        cursor = session.cursor()
        cursor.execute(f"SELECT count(*) FROM {FAILOVER_TABLE}")
        assert cursor.fetchone()[0] == 7
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is False
    assert report["outcome"] == "succeeded" and report["parameters"] == {"target": "region"}
    assert_timeline(report, ["pre-checks", "promote the DR replica", "verification",
                             "bring the promoted instance to the writer's production settings",
                             "alarms of the promoted instance in its region",
                             "point the connection secret at the promoted instance"],
                    disruptive="promote the DR replica")
    assert all(check["passed"] for check in report["checks"])
    assert report["details"]["replica_source"] == instance(local_aws, WRITER)["DBInstanceArn"]
    # The writer's parameters (rds.force_ssl and the tuned ones) came along, in its region.
    assert [group["DBParameterGroupName"] for group in promoted["DBParameterGroups"]] == [DR_PARAMETER_GROUP]
    primary_parameters = db_parameters(local_aws.client("rds", REGION), DR_PARAMETER_GROUP)
    dr_parameters = db_parameters(dr_replica, DR_PARAMETER_GROUP)
    assert dr_parameters["rds.force_ssl"] == "1" and dr_parameters == primary_parameters
    # Watched in its region: the alarms role's alarms on it, notifying a topic of that region.
    dr_alarms = local_aws.client("cloudwatch", DR_REGION).describe_alarms(
        AlarmNamePrefix=f"dbfleet-local-rds-{DR_REPLICA}-")["MetricAlarms"]
    assert {f"dbfleet-local-rds-{DR_REPLICA}-{metric}" for metric in ("cpu", "free-storage", "connections")} <= {
        alarm["AlarmName"] for alarm in dr_alarms}
    assert all(action.split(":")[3] == DR_REGION for alarm in dr_alarms for action in alarm["AlarmActions"])
    assert sorted(alarm["AlarmName"] for alarm in dr_alarms) == sorted(report["details"]["dr_alarms"])
    # The writer's production settings (inventories/local), not a replica's.
    assert (promoted["BackupRetentionPeriod"], promoted["MultiAZ"], promoted["DeletionProtection"],
            promoted["PerformanceInsightsEnabled"], promoted["MonitoringInterval"]) == (30, True, False, True, 60)
    # The old writer's last row, written just before the promotion, reached the promoted
    # instance: nothing was lost, within the dr role's targets.
    with closing(session_to(local_aws, WRITER)) as session:
        cursor = session.cursor()
        cursor.execute("SELECT at::text FROM dbfleet_runbook_heartbeat WHERE id = 1")
        assert report["details"]["old_writer_last_write"] == cursor.fetchone()[0]
    [caught_up] = [check for check in report["checks"]
                   if check["name"] == "DR replica replayed the old writer's last write"]
    assert caught_up["passed"] is True and report["details"]["old_writer_last_write"] in caught_up["detail"]
    assert (report["details"]["data_loss_seconds"], report["details"]["rpo_met"]) == (0, True)
    assert report["details"]["rpo_target_seconds"] == 60 * 60 and report["details"]["promoted_replayed_to"]
    assert report["rto_target_seconds"] == 60 * 60 and report["rto_met"] is True
    markdown = sorted(tmp_path.glob("failover-*.md"))[-1].read_text()
    assert "| Data-loss window | 0 s (the old writer's last write" in markdown and "RPO target 3600 s: met" in markdown
    promotions = [c["ids"].get("DBInstanceIdentifier") for c in result.mutating
                  if c["action"] == "PromoteReadReplica"]
    assert promotions == [DR_REPLICA]
