"""Backup status and RPO of RDS DB instances: restorable window, snapshots, RPO check."""

import datetime

from ansible_collections.dbfleet.aws.plugins.module_utils.backup_status import backup_status
from ansible_collections.dbfleet.aws.plugins.module_utils.backup_status import breach_message
from ansible_collections.dbfleet.aws.plugins.module_utils.backup_status import validate_options

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def instance(identifier="app-db", retention=7, latest=NOW - datetime.timedelta(seconds=120), **extra):
    described = {"DBInstanceIdentifier": identifier, "DbiResourceId": "db-ABC", "DBInstanceStatus": "available",
                 "BackupRetentionPeriod": retention, "PreferredBackupWindow": "03:00-04:00", **extra}
    if latest is not None:
        described["LatestRestorableTime"] = latest
    return described


def snapshot(name, kind, minutes_ago):
    return {"DBSnapshotIdentifier": name, "DBSnapshotArn": "arn:aws:rds:us-east-1:1:snapshot:" + name,
            "SnapshotType": kind, "Status": "available",
            "SnapshotCreateTime": NOW - datetime.timedelta(minutes=minutes_ago)}


AUTOMATED = {"Status": "active",
             "RestoreWindow": {"EarliestTime": NOW - datetime.timedelta(days=7),
                               "LatestTime": NOW - datetime.timedelta(seconds=120)}}


def test_rpo_is_now_minus_latest_restorable_time():
    status = backup_status(instance(), AUTOMATED, [], NOW, rpo_target_seconds=300)
    assert (status["rpo_seconds"], status["rpo_ok"], status["problem"]) == (120, True, None)
    assert status["earliest_restorable_time"] == "2026-03-08T12:00:00+00:00"
    assert status["latest_restorable_time"] == "2026-03-15T11:58:00+00:00"
    assert status["automated_backups_enabled"] is True


def test_rpo_over_the_target_is_a_breach_named_in_the_message():
    late = instance(latest=NOW - datetime.timedelta(seconds=301))
    status = backup_status(late, AUTOMATED, [], NOW, rpo_target_seconds=300)
    assert (status["rpo_seconds"], status["rpo_ok"]) == (301, False)
    assert breach_message([status]) == (
        "RPO target missed by 1 DB instance(s): app-db: RPO 301s exceeds the target of 300s "
        "(latest restorable time 2026-03-15T11:54:59+00:00)")


def test_rpo_equal_to_the_target_meets_it():
    status = backup_status(instance(latest=NOW - datetime.timedelta(seconds=300)), AUTOMATED, [], NOW, 300)
    assert status["rpo_ok"] is True
    assert breach_message([status]) is None


def test_without_a_target_there_is_no_verdict():
    status = backup_status(instance(), AUTOMATED, [], NOW)
    assert (status["rpo_ok"], status["rpo_target_seconds"], status["rpo_seconds"]) == (None, None, 120)


def test_no_automated_backups_means_no_rpo_and_never_meets_a_target():
    status = backup_status(instance(retention=0, latest=None), None, [], NOW, rpo_target_seconds=300)
    assert (status["rpo_seconds"], status["rpo_ok"], status["automated_backups_enabled"]) == (None, False, False)
    assert "backup retention period 0" in status["problem"]
    assert "app-db: automated backups are disabled" in breach_message([status])


def test_read_replica_without_backups_is_reported_as_such():
    replica = instance(retention=0, latest=None, ReadReplicaSourceDBInstanceIdentifier="app-db")
    assert backup_status(replica, None, [], NOW)["problem"].startswith("read replica")


def test_latest_time_falls_back_to_the_automated_backup_window():
    status = backup_status(instance(latest=None), AUTOMATED, [], NOW, 60)
    assert (status["rpo_seconds"], status["rpo_ok"]) == (120, False)


def test_newest_snapshots_of_each_type_and_counts():
    snapshots = [snapshot("rds:app-db-old", "automated", 60 * 48), snapshot("rds:app-db-new", "automated", 60),
                 snapshot("pre-deploy", "manual", 30), snapshot("weekly", "manual", 60 * 24 * 3)]
    status = backup_status(instance(), AUTOMATED, snapshots, NOW)
    assert status["latest_automated_snapshot"]["id"] == "rds:app-db-new"
    assert status["latest_manual_snapshot"] == {
        "id": "pre-deploy", "arn": "arn:aws:rds:us-east-1:1:snapshot:pre-deploy",
        "create_time": "2026-03-15T11:30:00+00:00", "status": "available"}
    assert (status["automated_snapshot_count"], status["manual_snapshot_count"]) == (2, 2)


def test_snapshot_still_being_created_has_no_time_and_is_skipped():
    creating = {"DBSnapshotIdentifier": "now", "SnapshotType": "manual", "Status": "creating"}
    assert backup_status(instance(), AUTOMATED, [creating], NOW)["latest_manual_snapshot"] is None


def test_breach_message_lists_every_breach_only():
    ok = backup_status(instance("good-db"), AUTOMATED, [], NOW, 300)
    bad = backup_status(instance("late-db", latest=NOW - datetime.timedelta(hours=1)), AUTOMATED, [], NOW, 300)
    none = backup_status(instance("off-db", retention=0, latest=None), None, [], NOW, 300)
    message = breach_message([ok, bad, none])
    assert message.startswith("RPO target missed by 2 DB instance(s): late-db: RPO 3600s")
    assert "off-db: automated backups are disabled" in message
    assert "good-db" not in message


def test_options_are_validated_together():
    assert validate_options(["app-db"], 300) == []
    problems = validate_options(["1bad", "ok-db", "double--hyphen", "trailing-"], 0)
    assert [problem.split(":")[0] for problem in problems] == ["db_instance_identifier"] * 3 + ["rpo_target_seconds"]
    assert "'1bad' is not a DB instance identifier" in problems[0]
    assert problems[-1] == "rpo_target_seconds: must be at least 1, got 0"
    assert validate_options([], None) == ["db_instance_identifier: give at least one DB instance identifier"]
