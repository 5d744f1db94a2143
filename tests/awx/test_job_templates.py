"""The job templates of awx/, launched through ansible-runner as the controller launches them
(tools/awx/launch.py: the template's playbook, its inventory source's file, the survey's
answers and defaults, the credential type's environment, the launch prompts), on the local
endpoint with the overlay `make demo FLEET=skillancer ENV=staging` uses.

The staging templates run on an environment the provision template builds, in file order:
provision, the weekly drift check (its schedule), snapshot, failover, restore, rotate
credentials, report, maintenance (in check mode, then for real, on what a fixture planted
in the database). Each test asserts the outcome the template's description promises, read
back through boto3, the real PostgreSQL and the reports, and that every survey answer
reached the playbook: the answers differ from the playbooks' defaults and the runbook
reports echo the parameters they ran with, so a survey variable the playbook does not read
fails the test. Last, the prod templates refused without their confirmation (their runs:
test_prod_job_templates.py; dev's: test_dev_job_templates.py).
"""

import json
import threading
import time
from contextlib import closing
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from conftest import assert_no_secret, generated_secrets, read_secret, redis_connect
from job_runs import (assert_answers_read, connect, delete_restored, fail_over_and_check_the_zones_swap, instance,
                      launch, sql, succeeded)
from tools.awx import launch as awx

# The staging environment these modules build and share: one xdist worker, in file order.
XDIST_GROUP = "awx_staging"

REGION = "us-east-1"
HOST = "staging-us-east-1"
WRITER = "skillancer-staging"
MASTER_SECRET = "skillancer/staging/rds/master"
DRILL_TABLE = "awx_drill"


def writer(local_aws):
    return instance(local_aws, WRITER)


def write_rows(local_aws, note, rows):
    sql(local_aws, WRITER, MASTER_SECRET, f"CREATE TABLE IF NOT EXISTS {DRILL_TABLE} (id serial PRIMARY KEY, note text)")
    sql(local_aws, WRITER, MASTER_SECRET, f"INSERT INTO {DRILL_TABLE} (note) SELECT %s FROM generate_series(1, %s)",
        (note, rows))


def count_rows(local_aws, identifier):
    return sql(local_aws, identifier, MASTER_SECRET, f"SELECT count(*) FROM {DRILL_TABLE}")[0][0]


@pytest.fixture(scope="module")
def staging(local_aws, tmp_path_factory):
    """skillancer staging, provisioned by its provision template. The endpoint ships WAL at
    every describe meanwhile, so that a restore can reach the last second written."""
    shipping = local_aws.control("GET", "log-shipping")
    local_aws.control("POST", "log-shipping", {"seconds": 0})
    job = launch(local_aws, tmp_path_factory.mktemp("provision"), "dbfleet provision staging")
    yield SimpleNamespace(provision=job, drill={})
    local_aws.control("POST", "log-shipping", shipping)


def test_provision_template_builds_the_environment(staging, local_aws):
    succeeded(staging.provision)
    instance = writer(local_aws)
    assert (instance["DBInstanceStatus"], instance["MultiAZ"], instance["BackupRetentionPeriod"]) == (
        "available", True, 7)
    [group] = local_aws.client("elasticache", REGION).describe_replication_groups(
        ReplicationGroupId=WRITER)["ReplicationGroups"]
    assert (group["Status"], len(group["MemberClusters"]), group["MultiAZ"]) == ("available", 2, "enabled")
    assert {"CreateDBInstance", "CreateReplicationGroup"} <= {call["action"] for call in staging.provision.mutating}


def test_weekly_drift_check_schedule_finds_nothing_to_change(staging, local_aws, tmp_path):
    """provision.yml in check mode with diff, as the schedule launches it: a converged
    environment shows no change and gets no write."""
    job = succeeded(launch(local_aws, tmp_path, schedule="dbfleet weekly drift check staging"))
    assert job.stats.get("changed", {}) == {} and job.mutating == []
    assert HOST in job.stats["ok"]


def test_snapshot_template_takes_the_rds_snapshot_with_its_purpose(staging, local_aws, tmp_path):
    write_rows(local_aws, "before the snapshot", 5)
    answers = {"target": "rds", "purpose": "awx-drill", "confirm": "staging"}
    job = succeeded(launch(local_aws, tmp_path, "dbfleet snapshot staging", answers))
    [report] = job.reports
    assert_answers_read(report, answers)
    snapshot = local_aws.client("rds", REGION).describe_db_snapshots(
        DBSnapshotIdentifier=report["details"]["rds_snapshot"]["id"])["DBSnapshots"][0]
    assert (snapshot["Status"], snapshot["DBInstanceIdentifier"]) == ("available", WRITER)
    assert {tag["Key"]: tag["Value"] for tag in snapshot["TagList"]}["Purpose"] == "awx-drill"
    # target=rds: the replication group is left alone.
    actions = {call["action"] for call in job.mutating}
    assert "CreateDBSnapshot" in actions and "CreateSnapshot" not in actions

    time.sleep(1.1)
    staging.drill["between"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    time.sleep(1.1)
    write_rows(local_aws, "after the snapshot", 3)


def test_failover_template_swaps_the_zones(staging, local_aws, tmp_path):
    fail_over_and_check_the_zones_swap(local_aws, tmp_path, "staging", WRITER)


def test_failover_template_moves_the_redis_primary(staging, local_aws, tmp_path):
    """target=redis, not the playbook's default: the report shows the answer was read."""
    answers = {"target": "redis", "confirm": "staging"}
    job = succeeded(launch(local_aws, tmp_path, "dbfleet failover staging", answers))
    [report] = job.reports
    assert_answers_read(report, answers)
    [group] = local_aws.client("elasticache", REGION).describe_replication_groups(
        ReplicationGroupId=WRITER)["ReplicationGroups"]
    primary = next(member["CacheClusterId"] for member in group["NodeGroups"][0]["NodeGroupMembers"]
                   if member["CurrentRole"] == "primary")
    assert report["details"]["primary_before"] != primary == report["details"]["primary_after"]


def test_restore_template_returns_the_rows_of_its_point_in_time(staging, local_aws, tmp_path):
    answers = {"mode": "pitr", "restore_time": staging.drill["between"], "confirm": "staging"}
    job = succeeded(launch(local_aws, tmp_path, "dbfleet restore staging", answers))
    [report] = job.reports
    assert_answers_read(report, answers)
    [restored] = [call["ids"]["TargetDBInstanceIdentifier"] for call in job.mutating
                  if call["action"] == "RestoreDBInstanceToPointInTime"]
    assert restored != WRITER and restored.startswith(WRITER + "-restored-")
    assert (count_rows(local_aws, restored), count_rows(local_aws, WRITER)) == (5, 8)
    delete_restored(local_aws, restored)


def test_rotate_credentials_template_rotates_only_the_master_password(staging, local_aws, tmp_path):
    before = {name: read_secret(local_aws, name) for name in (
        MASTER_SECRET, "skillancer/staging/redis/auth-token")}
    answers = {"rotate_targets": "master", "confirm": "staging"}
    succeeded(launch(local_aws, tmp_path, "dbfleet rotate credentials staging", answers))
    master = read_secret(local_aws, MASTER_SECRET)
    assert master["password"] != before[MASTER_SECRET]["password"]
    assert sql(local_aws, WRITER, MASTER_SECRET, "SELECT 1") == [(1,)]
    with pytest.raises(Exception, match="password authentication failed"):
        connect(local_aws, WRITER, MASTER_SECRET, password=before[MASTER_SECRET]["password"]).close()
    # rotate_targets=master: the Redis token (a default target) is untouched.
    assert read_secret(local_aws, "skillancer/staging/redis/auth-token") == before["skillancer/staging/redis/auth-token"]


def apply_status(local_aws):
    return writer(local_aws)["DBParameterGroups"][0]["ParameterApplyStatus"]


def test_report_template_shows_the_writer_pending_a_reboot(staging, local_aws, tmp_path):
    """A static parameter changed behind the inventory's back: the writer waits for a reboot;
    an alarm of the writer is in ALARM; the cache served a hit and a miss. The report
    (read-only) says so in its Markdown, HTML (with the RPO chart) and JSON files, for the
    environment and for the fleet of the run."""
    rds = local_aws.client("rds", REGION)
    [group] = writer(local_aws)["DBParameterGroups"]
    rds.modify_db_parameter_group(DBParameterGroupName=group["DBParameterGroupName"], Parameters=[
        {"ParameterName": "max_connections", "ParameterValue": "150", "ApplyMethod": "pending-reboot"}])
    assert apply_status(local_aws) == "pending-reboot"
    cloudwatch = local_aws.client("cloudwatch", REGION)
    [cpu_alarm] = [alarm["AlarmName"] for alarm in cloudwatch.describe_alarms(
        AlarmNamePrefix=f"skillancer-staging-rds-{WRITER}-cpu")["MetricAlarms"]]
    cloudwatch.set_alarm_state(AlarmName=cpu_alarm, StateValue="ALARM",
                               StateReason="Threshold Crossed: 1 datapoint [97.0] was greater than the threshold")
    [cache_group] = local_aws.client("elasticache", REGION).describe_replication_groups(
        ReplicationGroupId=WRITER)["ReplicationGroups"]
    endpoint = cache_group["NodeGroups"][0]["PrimaryEndpoint"]
    cache = redis_connect((endpoint["Address"], endpoint["Port"]),
                          read_secret(local_aws, "skillancer/staging/redis/auth-token")["auth_token"])
    before = cache.info("stats")
    cache.set("report:seen", "1")
    assert cache.get("report:seen") == "1" and cache.get("report:never-set") is None
    # Drift the inventory sets: 7 days of backups, 3 behind its back.
    rds.modify_db_instance(DBInstanceIdentifier=WRITER, BackupRetentionPeriod=3, ApplyImmediately=True)

    job = succeeded(launch(local_aws, tmp_path, "dbfleet report staging", {"drift": "true"}))
    assert job.mutating == []
    reports = tmp_path / "reports"
    data = json.loads((reports / f"report-{HOST}.json").read_text())
    markdown = (reports / f"report-{HOST}.md").read_text()
    [instance] = [entry for entry in data["rds_instances"] if entry["identifier"] == WRITER]
    assert (instance["status"], instance["pending_reboot"]) == ("available", True)
    assert (instance["backup_retention_days"], instance["multi_az"]) == (3, True)
    assert [line for line in data["drift"] if line.startswith("RDS writer settings")] == [
        "RDS writer settings: backup_retention_period"]
    assert len(data["cache_nodes"]) == 2 and data["environment"] == "staging"
    assert f"| {WRITER} | available | db.t3.medium | 15.10 | yes |" in markdown
    # RPO measured against the dr role's target, the alarm in ALARM alone, INFO of the primary.
    [backup] = data["backups"]
    assert backup["identifier"] == WRITER and backup["rpo_ok"] is True
    assert 0 <= backup["rpo_seconds"] <= backup["rpo_target_seconds"]
    assert [alarm["name"] for alarm in data["alarms_in_alarm"]] == [cpu_alarm]
    [primary] = [node for node in data["cache_info"] if node["role"] == "master"]
    assert primary["keyspace_hits"] >= before["keyspace_hits"] + 1
    assert primary["keyspace_misses"] >= before["keyspace_misses"] + 1
    assert primary["hit_rate_percent"] == round(
        100.0 * primary["keyspace_hits"] / (primary["keyspace_hits"] + primary["keyspace_misses"]), 1)
    assert primary["connected_clients"] >= 1 and primary["key_count"] >= 1
    assert f"| {cpu_alarm} |" in markdown and f"| {WRITER} | 3 |" in markdown
    assert "- RDS writer settings: backup_retention_period" in markdown
    html = (reports / f"report-{HOST}.html").read_text()
    assert "<svg" in html and f"staging {WRITER}" in html and "RPO of the automated backups" in html
    # The month's estimate of what the inventory sets: the Multi-AZ db.t3.medium writer and
    # the two cache.t3.small nodes at the shipped table's rates, and the reserved options.
    estimate = data["cost"]
    [writer_hours] = [line for line in estimate["lines"] if line["resource"] == WRITER and line["component"] == "instances"]
    assert writer_hours["monthly"] == round(0.072 * 730 * 2, 2) and estimate["currency"] == "USD"
    assert sum(line["monthly"] for line in estimate["lines"] if line["component"] == "cache_nodes") == round(
        0.034 * 730 * 2, 2)
    assert [option["option"] for option in estimate["reserved"]] == [
        "1-year no upfront", "1-year all upfront", "3-year all upfront"]
    assert all(option["monthly_total"] < estimate["monthly_total"] for option in estimate["reserved"])
    assert f"### staging ({HOST}): {estimate['monthly_total']:.2f} USD a month" in markdown
    assert "<title>Monthly cost</title>" in html and f"{estimate['monthly_total']:.2f} USD" in html
    fleet = json.loads((reports / "report-fleet.json").read_text())
    assert [report["host"] for report in fleet["environments"]] == [HOST]
    assert (reports / "report-fleet.html").is_file() and (reports / "report-fleet.md").is_file()


@pytest.fixture(scope="module")
def planted(staging, local_aws):
    """What the weekly maintenance SQL looks for, made real in staging's database: dead rows
    (autovacuum off), free space and a sparse index left by a VACUUM, two identical indexes
    never scanned, a slow query, and a session idle in a transaction holding a row that
    another session waits for, while a third runs a long query. The sessions are held until
    the module's tests end."""
    for statement in [
        "CREATE TABLE maint_dead (id serial PRIMARY KEY, kind int, note text) WITH (autovacuum_enabled = false)",
        "INSERT INTO maint_dead (kind, note) SELECT i % 10, repeat('x', 200) FROM generate_series(1, 60000) i",
        "CREATE INDEX maint_dead_kind ON maint_dead (kind)",
        "CREATE INDEX maint_dead_kind_again ON maint_dead (kind)",
        "DELETE FROM maint_dead WHERE id % 5 <> 0",
        "CREATE TABLE maint_bloat (id serial PRIMARY KEY, note text) WITH (autovacuum_enabled = false)",
        "INSERT INTO maint_bloat (note) SELECT repeat('y', 200) FROM generate_series(1, 60000)",
        "DELETE FROM maint_bloat WHERE id % 10 <> 0",
        "VACUUM maint_bloat",
        "CREATE TABLE maint_lock (id int PRIMARY KEY, n int)",
        "INSERT INTO maint_lock VALUES (1, 0)",
        "SELECT pg_sleep(2) AS planted_slow_query",
    ]:
        sql(local_aws, WRITER, MASTER_SECRET, statement)
    idle = connect(local_aws, WRITER, MASTER_SECRET)
    idle.autocommit = False
    idle.cursor().execute("UPDATE maint_lock SET n = n + 1 WHERE id = 1")
    # A connection left open by a leaking pool: idle, no transaction.
    leaked = connect(local_aws, WRITER, MASTER_SECRET)
    leaked.cursor().execute("SELECT 1")
    outcomes = {}

    def run(name, statement):
        try:
            with closing(connect(local_aws, WRITER, MASTER_SECRET)) as session:
                session.cursor().execute(statement)
            outcomes[name] = "done"
        except Exception as error:  # pylint: disable=broad-except
            outcomes[name] = type(error).__name__
    threads = [threading.Thread(target=run, args=("blocked", "UPDATE maint_lock SET n = n + 10 WHERE id = 1")),
               threading.Thread(target=run, args=("long", "SELECT pg_sleep(600) AS planted_long_query"))]
    for thread in threads:
        thread.start()

    def sessions():
        return sql(local_aws, WRITER, MASTER_SECRET, "SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                   "AND (query LIKE '%maint_lock%' OR query LIKE '%planted_long%')")
    deadline = time.monotonic() + 10
    while len(sessions()) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.5)  # past the 1 s thresholds the tests answer
    yield SimpleNamespace(idle=idle, idle_pid=idle.get_backend_pid(), leaked_pid=leaked.get_backend_pid(),
                          outcomes=outcomes, threads=threads)
    sql(local_aws, WRITER, MASTER_SECRET,
        "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%planted_long_query%' AND pid <> pg_backend_pid()")
    for thread in threads:
        thread.join(30)
    idle.close()
    leaked.close()


MAINTENANCE_ANSWERS = {"apply": "true", "terminate_idle_in_transaction": "true", "terminate_idle": "true",
                       "maintenance_long_running_seconds": 1, "maintenance_idle_in_transaction_seconds": 1,
                       "maintenance_idle_seconds": 1, "confirm": "staging"}


def dead_rows(local_aws):
    return dict(sql(local_aws, WRITER, MASTER_SECRET,
                    "SELECT relname, n_dead_tup FROM pg_stat_user_tables WHERE relname LIKE 'maint_%'"))


def test_maintenance_template_in_check_mode_finds_what_was_planted_and_changes_nothing(
        planted, local_aws, tmp_path):
    job = succeeded(launch(local_aws, tmp_path, "dbfleet maintenance staging", MAINTENANCE_ANSWERS,
                           job_type="check"))
    assert f"{WRITER} wait for a reboot to apply static parameters" in job.stdout
    assert job.mutating == [] and apply_status(local_aws) == "pending-reboot"
    [report] = job.reports
    assert_answers_read(report, {key[len("maintenance_"):] if key.startswith("maintenance_") else key: str(value)
                                 for key, value in MAINTENANCE_ANSWERS.items()})
    found = report["details"]["database"]
    [skillancer] = [db for db in found["databases"] if db["database"] == "skillancer"]
    assert {(entry["table"], entry["action"]) for entry in skillancer["vacuum"]} >= {
        ("public.maint_dead", "VACUUM (ANALYZE)")}
    assert "public.maint_bloat" in {entry["table"] for entry in skillancer["table_bloat"]}
    assert "public.maint_bloat_pkey" in {entry["index"] for entry in skillancer["index_bloat"]}
    assert {"public.maint_dead_kind", "public.maint_dead_kind_again"} <= {
        entry["index"] for entry in skillancer["unused_indexes"]}
    assert {"table": "public.maint_dead", "indexes": ["public.maint_dead_kind", "public.maint_dead_kind_again"],
            "drop": ["public.maint_dead_kind_again"]}.items() <= skillancer["duplicate_indexes"][0].items()
    assert skillancer["top_queries"][0]["query"] == "SELECT pg_sleep($1) AS planted_slow_query"
    assert "planted_long_query" in " ".join(entry["query"] for entry in found["long_running"])
    [blocking] = [entry for entry in found["blocking"] if entry["blocking_pid"] == planted.idle_pid]
    assert "n = n + 10" in blocking["blocked_query"] and blocking["blocking_state"] == "idle in transaction"
    assert planted.idle_pid in {entry["pid"] for entry in found["idle_in_transaction"]}
    assert planted.leaked_pid in {entry["pid"] for entry in found["idle"]}
    assert planted.idle_pid not in {entry["pid"] for entry in found["idle"]}
    assert {entry["database"]: entry["status"] for entry in found["wraparound"]}["skillancer"] == "ok"
    # Planned, not run: the dead rows and the idle transaction are still there.
    assert len(found["statements"]) >= 2 and report["checks"][-1]["passed"] is None
    assert dead_rows(local_aws)["maint_dead"] > 40000 and planted.outcomes == {}
    markdown = (tmp_path / "reports").glob("*.md").__next__().read_text()
    assert "| skillancer | public.maint_dead | VACUUM (ANALYZE) |" in markdown
    # ALTER ROLE ... PASSWORD of the provision run is in pg_stat_statements: masked.
    assert_no_secret(generated_secrets(local_aws, "skillancer/staging/"), job.stdout, markdown, json.dumps(report))


def test_maintenance_template_vacuums_ends_the_idle_transaction_then_reboots(planted, local_aws, tmp_path):
    job = succeeded(launch(local_aws, tmp_path, "dbfleet maintenance staging", MAINTENANCE_ANSWERS))
    assert [(call["action"], call["ids"].get("DBInstanceIdentifier")) for call in job.mutating] == [
        ("RebootDBInstance", WRITER)]
    assert apply_status(local_aws) == "in-sync"
    [report] = job.reports
    found = report["details"]["database"]
    assert found["errors"] == [] and report["checks"][-1]["passed"] is True
    assert [entry["terminated"] for entry in found["idle_in_transaction"] if entry["pid"] == planted.idle_pid] == [True]
    assert [entry["terminated"] for entry in found["idle"] if entry["pid"] == planted.leaked_pid] == [True]
    # The waiting UPDATE went through once the idle transaction was ended, before the reboot:
    # the idle one's +1 is rolled back, the waiting one's +10 is committed.
    planted.threads[0].join(30)
    assert planted.outcomes["blocked"] == "done"
    assert sql(local_aws, WRITER, MASTER_SECRET, "SELECT n FROM maint_lock") == [(10,)]
    vacuumed = dict(sql(local_aws, WRITER, MASTER_SECRET, "SELECT relname, last_vacuum IS NOT NULL AND "
                        "last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname LIKE 'maint_%'"))
    assert vacuumed["maint_dead"] is True and dead_rows(local_aws)["maint_dead"] == 0
    assert report["details"]["rebooted"] == [WRITER] and report["details"]["pending_reboot"] == []


def test_prod_templates_are_refused_without_their_confirmation(staging, local_aws, tmp_path):
    """Without the answer the controller refuses the launch; with another environment's name
    the playbook refuses before any AWS call."""
    with pytest.raises(awx.LaunchError, match="'confirm' value missing"):
        awx.job("dbfleet failover prod", {"target": "rds"}, credential=awx.LOCAL_CREDENTIAL)
    for name in ("dbfleet restore prod", "dbfleet maintenance prod"):
        job = launch(local_aws, tmp_path / name.split()[1], name, {"confirm": "staging"})
        assert job.rc != 0 and job.calls == [], name
        assert "confirm: environment prod is protected; run again with -e confirm=prod" in " ".join(
            job.stdout.split()), name
    # Confirmed, the maintenance template runs: prod is not provisioned on this endpoint, so
    # nothing waits for a reboot and nothing is written.
    confirmed = succeeded(launch(local_aws, tmp_path / "confirmed", "dbfleet maintenance prod", {"confirm": "prod"}))
    assert confirmed.mutating == [] and "DescribeDBInstances" in {call["action"] for call in confirmed.calls}
