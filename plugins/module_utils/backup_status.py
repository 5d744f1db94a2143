# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Backup status and recovery point objective (RPO) of RDS DB instances, without AWS.

The inputs are the AWS answers as boto3 returns them (timestamps are timezone-aware
datetimes): one ``DBInstances`` entry, its ``DBInstanceAutomatedBackups`` entry (or
None) and its ``DBSnapshots``. The current RPO is the data a restore would lose now:
``now - LatestRestorableTime`` in whole seconds. An instance without automated backups
(backup retention period 0, or a read replica) has no point-in-time recovery, so no RPO:
it never meets a target.
"""

import re

IDENTIFIER = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}(?<!-)$")


def validate_options(identifiers, rpo_target_seconds):
    """Every problem with the module's options, as "<option>: <rule>" strings."""
    problems = []
    if not identifiers:
        problems.append("db_instance_identifier: give at least one DB instance identifier")
    for identifier in identifiers or []:
        if not IDENTIFIER.match(identifier):
            problems.append(
                "db_instance_identifier: %r is not a DB instance identifier (1-63 letters, "
                "digits or hyphens; starts with a letter; no trailing or double hyphen)" % identifier)
    if rpo_target_seconds is not None and rpo_target_seconds < 1:
        problems.append("rpo_target_seconds: must be at least 1, got %d" % rpo_target_seconds)
    return problems


def _iso(moment):
    return moment.isoformat() if moment is not None else None


def _newest(snapshots, kind):
    made = [snapshot for snapshot in snapshots
            if snapshot.get("SnapshotType") == kind and snapshot.get("SnapshotCreateTime")]
    if not made:
        return None
    newest = max(made, key=lambda snapshot: snapshot["SnapshotCreateTime"])
    return {"id": newest["DBSnapshotIdentifier"], "arn": newest.get("DBSnapshotArn"),
            "create_time": _iso(newest["SnapshotCreateTime"]), "status": newest.get("Status")}


def backup_status(instance, automated_backup, snapshots, now, rpo_target_seconds=None):
    """The backup status of one DB instance (see the module's RETURN for the keys)."""
    retention = instance.get("BackupRetentionPeriod") or 0
    latest = instance.get("LatestRestorableTime")
    window = (automated_backup or {}).get("RestoreWindow") or {}
    earliest = window.get("EarliestTime")
    if latest is None:
        latest = window.get("LatestTime")
    problem = None
    if instance.get("ReadReplicaSourceDBInstanceIdentifier") and not retention:
        problem = "read replica without automated backups: no point-in-time recovery"
    elif not retention:
        problem = "automated backups are disabled (backup retention period 0): no point-in-time recovery"
    elif latest is None:
        problem = "no latest restorable time reported yet"
    rpo = None if problem else max(0, int((now - latest).total_seconds()))
    if rpo_target_seconds is None:
        rpo_ok = None
    else:
        rpo_ok = rpo is not None and rpo <= rpo_target_seconds
    return {
        "db_instance_identifier": instance["DBInstanceIdentifier"],
        "dbi_resource_id": instance.get("DbiResourceId"),
        "status": instance.get("DBInstanceStatus"),
        "backup_retention_period": retention,
        "preferred_backup_window": instance.get("PreferredBackupWindow"),
        "automated_backups_enabled": bool(retention),
        "earliest_restorable_time": _iso(earliest),
        "latest_restorable_time": _iso(latest),
        "latest_automated_snapshot": _newest(snapshots, "automated"),
        "latest_manual_snapshot": _newest(snapshots, "manual"),
        "automated_snapshot_count": sum(1 for s in snapshots if s.get("SnapshotType") == "automated"),
        "manual_snapshot_count": sum(1 for s in snapshots if s.get("SnapshotType") == "manual"),
        "rpo_seconds": rpo,
        "rpo_target_seconds": rpo_target_seconds,
        "rpo_ok": rpo_ok,
        "problem": problem,
    }


def breach_message(statuses):
    """One message naming every instance that misses its RPO target, None if all meet it."""
    breaches = []
    for status in statuses:
        if status["rpo_ok"] is not False:
            continue
        if status["rpo_seconds"] is None:
            reason = status["problem"]
        else:
            reason = "RPO %ds exceeds the target of %ds (latest restorable time %s)" % (
                status["rpo_seconds"], status["rpo_target_seconds"], status["latest_restorable_time"])
        breaches.append("%s: %s" % (status["db_instance_identifier"], reason))
    if not breaches:
        return None
    return "RPO target missed by %d DB instance(s): %s" % (len(breaches), "; ".join(breaches))
