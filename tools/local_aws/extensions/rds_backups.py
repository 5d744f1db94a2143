"""RDS backups that carry real data: snapshots, restores, point-in-time recovery and the
restorable window, on the WAL archive of each instance's PostgreSQL cluster
(tools.local_aws.dataplane.postgres, "backups" there).

* CreateDBSnapshot (also the final snapshot of DeleteDBInstance and the snapshot of
  StopDBInstance) records a restore point in the instance's WAL: one WAL record, no copy.
  A snapshot of a read replica records the LSN it has replayed in its source's WAL.
  The automated snapshot moto takes at creation is the base backup itself.
* CopyDBSnapshot (same or another region) shares the data of its source snapshot.
* RestoreDBInstanceFromDBSnapshot / RestoreDBInstanceToPointInTime (RestoreTime or
  UseLatestRestorableTime) build the new instance's cluster from the base backup and the
  archived WAL, recovered to the restore point or time. A target identifier that exists
  gives DBInstanceAlreadyExists before anything is touched; a time outside the restorable
  window gives InvalidRestoreFault; BackupRetentionPeriod 0 gives
  PointInTimeRestoreNotEnabled.
* LatestRestorableTime: the time up to which the archive is known complete. The WAL is
  shipped (current segment closed) when an instance is described and its last shipment
  is older than the log-shipping interval (default 300 s, as RDS uploads transaction logs
  every five minutes; LOCAL_AWS_LOG_SHIP_SECONDS or POST /_local_aws/log-shipping), and
  always before a stop, a deletion or a restore from it.
* DescribeDBInstanceAutomatedBackups answers for instances with a backup retention
  period, RestoreWindow.EarliestTime/LatestTime included; after DeleteDBInstance with
  DeleteAutomatedBackups=false the backup stays, status "retained", until
  DeleteDBInstanceAutomatedBackup removes it.
* A deleted instance's base backup and WAL stay while a snapshot or a retained automated
  backup needs them, and are removed with the last of those.
"""

import threading
import uuid
from datetime import datetime, timedelta, timezone

from moto.rds.exceptions import (DBInstanceAlreadyExists, InvalidParameterCombination,
                                 RDSClientError)
from moto.core.responses import ActionResult
from moto.rds.models import DBInstance, RDSBackend, rds_backends
from moto.rds.responses import RDSResponse

from ..dataplane import postgres
from ..runtime import runtime
from .patching import wrap
from .rds_instances import RESTORE_SOURCE, _data_plane_failure, has_data_plane, lineage_of

BACKUP = "_backup"            # on a DBSnapshot: {"lineage": ..., "target": {...}}
SHIPPED = "_shipped_through"  # on a DBInstance: archive complete up to this UTC time
CLOSING = "_closing"          # on a DBInstance being stopped or deleted
RETAINED = "_retained_backups"  # on an RDSBackend: {DbiResourceId: deleted DBInstance}

_ship_lock = threading.Lock()
_busy_lineages = set()


def _now():
    return datetime.now(timezone.utc)


def _aware(moment):
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _all_backends():
    for account in list(rds_backends.values()):
        yield from list(account.values())


def _instances_of(lineage):
    return [instance for backend in _all_backends()
            for instance in list(backend.databases.values()) if lineage_of(instance) == lineage]


def _is_running(instance):
    return (has_data_plane(instance) and instance.status != "stopped"
            and postgres.exists(runtime.state_dir, instance.region,
                                instance.db_instance_identifier))


def _ship(instance, wait):
    shipped = postgres.ship(runtime.state_dir, instance.region,
                            instance.db_instance_identifier, lineage_of(instance), wait=wait)
    instance.__dict__[SHIPPED] = shipped
    return shipped


def _ensure_archived(lineage):
    """Before a restore: whatever the lineage's live instance has written is archived."""
    for instance in _instances_of(lineage):
        if _is_running(instance) and not instance.is_replica:
            _ship(instance, wait=True)


def _collect(lineage):
    """Remove a lineage that no instance, snapshot or retained backup needs any more."""
    if not lineage or lineage in _busy_lineages:
        return
    for backend in _all_backends():
        if any(lineage_of(instance) == lineage
               for instance in list(backend.databases.values())
               + list(backend.__dict__.get(RETAINED, {}).values())):
            return
        if any((snapshot.__dict__.get(BACKUP) or {}).get("lineage") == lineage
               for snapshot in list(backend.database_snapshots.values())):
            return
    postgres.delete_lineage(runtime.state_dir, lineage)


# --- restorable window --------------------------------------------------------------------

def latest_restorable_time(instance):
    """LatestRestorableTime of a primary with backups; None for a replica or retention 0."""
    if not lineage_of(instance) or not instance.backup_retention_period:
        return None
    with _ship_lock:
        shipped = instance.__dict__.get(SHIPPED)
        if (not instance.__dict__.get(CLOSING) and _is_running(instance)
                and (shipped is None
                     or (_now() - shipped).total_seconds() >= runtime.log_ship_seconds)):
            try:
                shipped = _ship(instance, wait=False)
            except Exception:  # pylint: disable=broad-except
                pass  # e.g. the cluster is restarting: report the last shipment
        return shipped


def earliest_restorable_time(instance):
    lineage = lineage_of(instance)
    if not lineage or not postgres.lineage_exists(runtime.state_dir, lineage):
        return None
    created = postgres.lineage_created(runtime.state_dir, lineage)
    return max(created, _now() - timedelta(days=instance.backup_retention_period or 0))


def _latest_restorable_property(original_property):
    def get(instance):
        if not has_data_plane(instance):
            return original_property.fget(instance)
        return latest_restorable_time(instance)
    return property(get)


class AutomatedBackup:
    """One DBInstanceAutomatedBackup in the AWS shape."""

    def __init__(self, instance, status):
        self.db_instance_arn = instance.db_instance_arn
        self.dbi_resource_id = instance.dbi_resource_id
        self.region = instance.region
        self.db_instance_identifier = instance.db_instance_identifier
        latest = (instance.__dict__.get(SHIPPED) if status == "retained"
                  else latest_restorable_time(instance))
        self.restore_window = {"EarliestTime": earliest_restorable_time(instance),
                               "LatestTime": latest}
        self.allocated_storage = instance.allocated_storage
        self.status = status
        self.port = instance.port
        self.availability_zone = instance.availability_zone
        self.instance_create_time = instance.instance_create_time
        self.master_username = instance.master_username
        self.engine = instance.engine
        self.engine_version = instance.engine_version
        self.license_model = instance.license_model
        self.encrypted = bool(instance.storage_encrypted)
        self.storage_type = instance.storage_type
        self.kms_key_id = instance.kms_key_id
        self.iam_database_authentication_enabled = bool(
            instance.enable_iam_database_authentication)
        self.backup_retention_period = instance.backup_retention_period
        self.preferred_backup_window = instance.preferred_backup_window
        self.db_instance_automated_backups_arn = automated_backups_arn(instance)
        self.backup_target = "region"


def automated_backups_arn(instance):
    return (f"arn:{instance.partition}:rds:{instance.region}:{instance.account_id}:"
            f"auto-backup:ab-{instance.dbi_resource_id[3:].lower()}")


# --- backend hooks ------------------------------------------------------------------------

def _snapshot_target(backend, instance):
    """{"lineage", "target"} of a snapshot of `instance` taken now; None without data."""
    if not has_data_plane(instance):
        return None
    if instance.is_replica:
        source = backend.find_db_from_id(instance.source_db_instance_identifier)
        if not lineage_of(source):
            return None
        return {"lineage": lineage_of(source), "target": {"lsn": postgres.replay_position(
            runtime.state_dir, instance.region, instance.db_instance_identifier)}}
    lineage = lineage_of(instance)
    if not lineage:
        return None  # still being created: the create hook attaches the base backup
    if instance.__dict__.get(CLOSING) or instance.status == "stopped":
        return {"lineage": lineage, "target": {"time": instance.__dict__[SHIPPED]}}
    name = uuid.uuid4().hex
    postgres.snapshot(runtime.state_dir, instance.region, instance.db_instance_identifier, name)
    return {"lineage": lineage, "target": {"name": name}}


def _create_db_snapshot(original):
    def create_db_snapshot(self, db_instance_identifier, db_snapshot_identifier, *args,
                           **kwargs):
        snapshot = original(self, db_instance_identifier, db_snapshot_identifier, *args,
                            **kwargs)
        try:
            backup = _snapshot_target(self, self.databases[db_instance_identifier])
        except Exception as problem:
            self.database_snapshots.pop(snapshot.db_snapshot_identifier, None)
            raise _data_plane_failure(problem) from problem
        if backup:
            snapshot.__dict__[BACKUP] = backup
        return snapshot
    return create_db_snapshot


def _copy_db_snapshot(original):
    def copy_db_snapshot(self, source_db_snapshot_identifier, target_db_snapshot_identifier,
                         *args, **kwargs):
        copied = original(self, source_db_snapshot_identifier, target_db_snapshot_identifier,
                          *args, **kwargs)
        source = self.get_db_snapshot(source_db_snapshot_identifier)
        if BACKUP in source.__dict__:
            copied.__dict__[BACKUP] = source.__dict__[BACKUP]
        return copied
    return copy_db_snapshot


def _delete_db_snapshot(original):
    def delete_db_snapshot(self, db_snapshot_identifier):
        snapshot = original(self, db_snapshot_identifier)
        _collect((snapshot.__dict__.get(BACKUP) or {}).get("lineage"))
        return snapshot
    return delete_db_snapshot


def _create_db_instance(original):
    def create_db_instance(self, db_kwargs):
        instance = original(self, db_kwargs)
        lineage = lineage_of(instance)
        if lineage:
            instance.__dict__[SHIPPED] = _now()
            for snapshot in list(self.database_snapshots.values()):
                if (snapshot.snapshot_type == "automated" and BACKUP not in snapshot.__dict__
                        and snapshot.db_instance_identifier == instance.db_instance_identifier):
                    snapshot.__dict__[BACKUP] = {"lineage": lineage,
                                                 "target": {"immediate": True}}
        return instance
    return create_db_instance


def _closing_hook(original):
    """Stop and delete: archive the last WAL first; snapshots taken on the way are of that
    state; a lineage is not collected while its instance is being deleted."""
    def closing(self, db_instance_identifier, *args, **kwargs):
        instance = self.databases.get(db_instance_identifier)
        lineage = lineage_of(instance) if instance else None
        if not lineage:
            return original(self, db_instance_identifier, *args, **kwargs)
        if _is_running(instance):
            try:
                _ship(instance, wait=True)
            except Exception as problem:
                raise _data_plane_failure(problem) from problem
        instance.__dict__[CLOSING] = True
        _busy_lineages.add(lineage)
        try:
            return original(self, db_instance_identifier, *args, **kwargs)
        finally:
            instance.__dict__.pop(CLOSING, None)
            _busy_lineages.discard(lineage)
    return closing


def _delete_db_instance(original):
    def delete_db_instance(self, db_instance_identifier, *args, **kwargs):
        instance = original(self, db_instance_identifier, *args, **kwargs)
        lineage = lineage_of(instance)
        if lineage:
            if kwargs.get("delete_automated_backups") is False and \
                    instance.backup_retention_period:
                self.__dict__.setdefault(RETAINED, {})[instance.dbi_resource_id] = instance
            _collect(lineage)
        return instance
    return delete_db_instance


def _promote_read_replica(original):
    def promote_read_replica(self, db_kwargs):
        instance = original(self, db_kwargs)
        if lineage_of(instance) and SHIPPED not in instance.__dict__:
            instance.__dict__[SHIPPED] = _now()
        return instance
    return promote_read_replica


def _refuse_existing(backend, identifier):
    if identifier and identifier.lower() in {name.lower() for name in backend.databases}:
        raise DBInstanceAlreadyExists()


def _restore_from_snapshot(original):
    def restore_db_instance_from_db_snapshot(self, from_snapshot_id, overrides):
        _refuse_existing(self, overrides.get("db_instance_identifier"))
        name = from_snapshot_id
        if name.startswith("arn:"):
            name = self.extract_snapshot_name_from_arn(name)
        snapshot = self.describe_db_snapshots(None, name)[0]
        backup = snapshot.__dict__.get(BACKUP)
        if backup:
            try:
                _ensure_archived(backup["lineage"])
            except Exception as problem:
                raise _data_plane_failure(problem) from problem
            overrides[RESTORE_SOURCE] = backup
        if not overrides.get("availability_zone") and \
                not snapshot.database.availability_zone.startswith(self.region_name):
            overrides["availability_zone"] = f"{self.region_name}a"  # copied from a region
        return original(self, from_snapshot_id, overrides)
    return restore_db_instance_from_db_snapshot


def _restore_time(source, overrides):
    restore_time = overrides.get("restore_time")
    use_latest = overrides.get("use_latest_restorable_time")
    if restore_time and use_latest:
        raise InvalidParameterCombination(
            "Cannot specify both RestoreTime and UseLatestRestorableTime.")
    if not restore_time and not use_latest:
        raise InvalidParameterCombination(
            "Specify either RestoreTime or UseLatestRestorableTime.")
    if not source.backup_retention_period:
        raise RDSClientError(
            "PointInTimeRestoreNotEnabled",
            f"Point-in-time restore is not enabled for DB instance "
            f"{source.db_instance_identifier}: its backup retention period is 0.")
    earliest, latest = earliest_restorable_time(source), latest_restorable_time(source)
    if use_latest:
        return latest
    moment = _aware(restore_time)
    if not earliest <= moment <= latest:
        raise RDSClientError(
            "InvalidRestoreFault",
            f"Restore time {moment.isoformat()} is outside the restorable window of DB "
            f"instance {source.db_instance_identifier}: {earliest.isoformat()} to "
            f"{latest.isoformat()}.")
    return moment


def _restore_to_point_in_time(original):
    def restore_db_instance_to_point_in_time(self, source_db_identifier, target_db_identifier,
                                             overrides):
        _refuse_existing(self, target_db_identifier)
        source = self.describe_db_instances(source_db_identifier)[0]
        overrides = dict(overrides)
        lineage = lineage_of(source)
        if lineage:
            moment = _restore_time(source, overrides)
            try:
                _ensure_archived(lineage)
            except Exception as problem:
                raise _data_plane_failure(problem) from problem
            overrides[RESTORE_SOURCE] = {"lineage": lineage, "target": {"time": moment}}
        # moto would copy these onto the new instance (making it a "replica" of its source).
        for key in ("source_db_instance_identifier", "target_db_instance_identifier",
                    "restore_time", "use_latest_restorable_time"):
            overrides.pop(key, None)
        return original(self, source_db_identifier, target_db_identifier, overrides)
    return restore_db_instance_to_point_in_time


def _describe_automated_backups(original):
    def describe_db_instance_automated_backups(self, db_instance_identifier=None, **kwargs):
        resource_id = kwargs.get("dbi_resource_id")
        ours = [AutomatedBackup(instance, "active")
                for instance in list(self.databases.values())
                if lineage_of(instance) and instance.backup_retention_period]
        ours += [AutomatedBackup(instance, "retained")
                 for instance in list(self.__dict__.get(RETAINED, {}).values())]
        covered = {backup.db_instance_identifier for backup in ours} | {
            instance.db_instance_identifier for instance in list(self.databases.values())
            if lineage_of(instance)}
        others = [] if resource_id else [  # moto's own entries carry no DbiResourceId
            backup for backup in original(self, db_instance_identifier, **kwargs)
            if backup.db_instance_identifier not in covered]
        found = [backup for backup in ours
                 if db_instance_identifier in (None, backup.db_instance_identifier)
                 and resource_id in (None, backup.dbi_resource_id)] + others
        if (db_instance_identifier or resource_id) and not found:
            raise RDSClientError("DBInstanceAutomatedBackupNotFound",
                                 f"No automated backup found for "
                                 f"{db_instance_identifier or resource_id}.")
        return found
    return describe_db_instance_automated_backups


def _delete_automated_backup(self):
    """DeleteDBInstanceAutomatedBackup (RDSResponse; moto has no such action): removes a
    retained backup by DbiResourceId or DBInstanceAutomatedBackupsArn, and its data once no
    snapshot needs it. The backup of a running instance cannot be deleted."""
    resource_id = self.params.get("DbiResourceId")
    arn = self.params.get("DBInstanceAutomatedBackupsArn")
    retained = self.backend.__dict__.setdefault(RETAINED, {})

    def wanted(instance):
        return resource_id == instance.dbi_resource_id or arn == automated_backups_arn(instance)

    for key, instance in list(retained.items()):
        if wanted(instance):
            del retained[key]
            for name, snapshot in list(self.backend.database_snapshots.items()):
                if snapshot.snapshot_type == "automated" and (
                        snapshot.database.db_instance_identifier, snapshot.database.instance_create_time) == (
                        instance.db_instance_identifier, instance.instance_create_time):
                    self.backend.delete_db_snapshot(name)  # moto's record of the backup
            _collect(lineage_of(instance))
            return ActionResult({"DBInstanceAutomatedBackup": AutomatedBackup(instance, "deleting")})
    if any(wanted(instance) for instance in list(self.backend.databases.values())):
        raise RDSClientError("InvalidDBInstanceAutomatedBackupState",
                             "Automated backups of a running DB instance cannot be deleted.")
    raise RDSClientError("DBInstanceAutomatedBackupNotFound",
                         f"No automated backup found for {resource_id or arn}.")


def install():
    DBInstance.latest_restorable_time = _latest_restorable_property(
        DBInstance.latest_restorable_time)
    wrap(RDSBackend, "create_db_snapshot", _create_db_snapshot)
    wrap(RDSBackend, "copy_db_snapshot", _copy_db_snapshot)
    wrap(RDSBackend, "delete_db_snapshot", _delete_db_snapshot)
    wrap(RDSBackend, "create_db_instance", _create_db_instance)
    wrap(RDSBackend, "stop_db_instance", _closing_hook)
    wrap(RDSBackend, "delete_db_instance", _closing_hook)
    wrap(RDSBackend, "delete_db_instance", _delete_db_instance)  # collects after closing
    wrap(RDSBackend, "promote_read_replica", _promote_read_replica)
    wrap(RDSBackend, "restore_db_instance_from_db_snapshot", _restore_from_snapshot)
    wrap(RDSBackend, "restore_db_instance_to_point_in_time", _restore_to_point_in_time)
    wrap(RDSBackend, "describe_db_instance_automated_backups", _describe_automated_backups)
    RDSResponse.delete_db_instance_automated_backup = _delete_automated_backup
