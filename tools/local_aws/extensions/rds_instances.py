"""RDS DB instances: real PostgreSQL behind them, state delays, Multi-AZ failover, and
the DescribeDBInstances fields moto 5.2.5 leaves out or gets wrong.

* CreateDBInstance / CreateDBInstanceReadReplica (engine postgres) start a cluster
  (tools.local_aws.dataplane.postgres) on the instance's Port (5432 by default) and a
  loopback address of its own: Endpoint.Address/Port point at it. A primary
  archives its WAL into its own backup lineage; restores (RESTORE_SOURCE in the create
  arguments, set by extensions.rds_backups) recover a cluster from one instead.
* CreateDBInstanceReadReplica accepts a source in another region (its ARN), as AWS does;
  without DBParameterGroupName such a replica gets the family's default group of its region.
* ModifyDBInstance MasterUserPassword changes the role's password in the cluster;
  a NewDBInstanceIdentifier moves the cluster along; DBPortNumber moves it to that port
  (a restart, as on AWS, whatever ApplyImmediately says).
* RebootDBInstance restarts the cluster; with ForceFailover on a Multi-AZ instance it
  swaps AvailabilityZone and SecondaryAvailabilityZone and records failover events.
* StopDBInstance / StartDBInstance stop and start the cluster.
* PromoteReadReplica promotes the standby; DeleteDBInstance removes the cluster.
* With a state delay set, instances report creating / modifying / rebooting / starting
  for that many seconds after the change (computed when described, no background work).
* Added fields: SecondaryAvailabilityZone, PerformanceInsightsEnabled/RetentionPeriod/
  KMSKeyId, EnhancedMonitoringResourceArn, PendingModifiedValues, StatusInfos of read
  replicas, a unique DbiResourceId,
  the gp3 baseline Iops and StorageThroughput. CreateDBInstance and ModifyDBInstance refuse
  Iops or StorageThroughput for gp3 storage below 400 GiB, which runs at that baseline
  (AWS's InvalidParameterCombination).
"""

import json
import secrets
import string
import time

from moto.core.utils import utcnow
import moto.rds.models as rds_models
from moto.rds.exceptions import RDSClientError
from moto.rds.models import DBInstance, Event, RDSBackend
from moto.rds.responses import RDSResponse

from ..dataplane import postgres
from ..runtime import runtime
from .patching import wrap

DATA_PLANE_ENGINES = ("postgres",)
# create_db_instance argument carrying {"lineage", "target"} of a restore.
RESTORE_SOURCE = "local_aws_restore_source"
DEFAULT_PERFORMANCE_INSIGHTS_RETENTION_DAYS = 7
# gp3 baseline for PostgreSQL: (below 400 GB, from 400 GB up).
GP3_LARGE_VOLUME_GB = 400
GP3_IOPS = (3000, 12000)
GP3_THROUGHPUT = (125, 500)

EVENTS = {
    "DB_INSTANCE_FAILOVER_STARTED": {
        "Categories": ["failover"],
        "Message": "Multi-AZ instance failover started.",
    },
    "DB_INSTANCE_FAILOVER_COMPLETED": {
        "Categories": ["failover"],
        "Message": "Multi-AZ instance failover completed",
    },
    "DB_INSTANCE_RESTARTED": {
        "Categories": ["availability"],
        "Message": "DB instance restarted",
    },
    "DB_INSTANCE_DELETED": {
        "Categories": ["deletion"],
        "Message": "DB instance deleted",
    },
    "DB_INSTANCE_READ_REPLICA_PROMOTED": {
        "Categories": ["read replica"],
        "Message": "Promoted Read Replica to a stand-alone database instance",
    },
}


# --- state transitions ----------------------------------------------------------------

def begin_transition(instance, transient_status):
    """Report `transient_status` for the configured delay, then the settled status."""
    if runtime.state_delay_seconds > 0:
        instance.__dict__["_transition"] = (transient_status,
                                            time.time() + runtime.state_delay_seconds)


def _get_status(instance):
    transition = instance.__dict__.get("_transition")
    if transition and time.time() < transition[1]:
        return transition[0]
    return instance.__dict__.get("_settled_status", "available")


def _set_status(instance, value):
    instance.__dict__["_settled_status"] = value
    instance.__dict__.pop("_transition", None)


# --- fields moto does not serialize ---------------------------------------------------

def _other_zone(region, zone):
    return f"{region}b" if zone != f"{region}b" else f"{region}a"


def _secondary_availability_zone(instance):
    if not instance.multi_az:
        return None
    recorded = instance.__dict__.get("_secondary_zone")
    return recorded or _other_zone(instance.region, instance.availability_zone)


def _performance_insights_enabled(instance):
    return bool(getattr(instance, "enable_performance_insights", False))


def _get_performance_insights_retention(instance):
    if not _performance_insights_enabled(instance):
        return None
    return (instance.__dict__.get("_performance_insights_retention")
            or DEFAULT_PERFORMANCE_INSIGHTS_RETENTION_DAYS)


def _set_performance_insights_retention(instance, value):
    instance.__dict__["_performance_insights_retention"] = value


def _enhanced_monitoring_resource_arn(instance):
    if not instance.monitoring_interval:
        return None
    return (f"arn:{instance.partition}:logs:{instance.region}:{instance.account_id}:"
            f"log-group:RDSOSMetrics:log-stream:{instance.dbi_resource_id}")


def _pending_modified_values(instance):
    """Changes are applied at once locally, so nothing is ever pending."""
    return {}


def _status_infos(instance):
    """A read replica's replication status, as AWS reports it (amazon.aws.rds_instance
    promotes only an instance that has it)."""
    if not instance.is_replica:
        return None
    return [{"StatusType": "read replication", "Normal": True, "Status": "replicating"}]


def _gp3_baseline_applies(instance):
    # Read the stored fields: these getters also run inside moto's __init__.
    return (instance.__dict__.get("_storage_type") == "gp3"
            and instance.__dict__.get("_allocated_storage") is not None)


def _gp3_large(instance):
    return int(instance.__dict__["_allocated_storage"]) >= GP3_LARGE_VOLUME_GB


def _refuse_gp3_provisioning_below_baseline(engine, storage_type, allocated_storage, db_kwargs):
    if (engine in DATA_PLANE_ENGINES and storage_type == "gp3" and allocated_storage
            and int(allocated_storage) < GP3_LARGE_VOLUME_GB
            and (db_kwargs.get("iops") or db_kwargs.get("storage_throughput"))):
        raise RDSClientError(
            "InvalidParameterCombination",
            f"You can't specify IOPS or storage throughput for engine {engine} and a storage size "
            f"less than {GP3_LARGE_VOLUME_GB}.")


def _get_iops(instance):
    iops = instance.__dict__.get("_iops")
    if iops is None and _gp3_baseline_applies(instance):
        return GP3_IOPS[_gp3_large(instance)]
    return iops


def _set_iops(instance, value):
    instance.__dict__["_iops"] = value


def _storage_throughput(original_property):
    def get(instance):
        throughput = original_property.fget(instance)
        if throughput is None and _gp3_baseline_applies(instance):
            return GP3_THROUGHPUT[_gp3_large(instance)]
        return throughput
    return property(get, original_property.fset)


def _new_dbi_resource_id():
    alphabet = string.ascii_uppercase + string.digits
    return "db-" + "".join(secrets.choice(alphabet) for _position in range(26))


# --- data plane helpers -----------------------------------------------------------------

def has_data_plane(instance):
    return bool(instance.__dict__.get("_data_plane"))


def _attach_data_plane(instance, address, lineage=None):
    instance.__dict__["_data_plane"] = True
    instance.__dict__["_address"] = address
    instance.__dict__["_lineage"] = lineage


def lineage_of(instance):
    """Backup lineage ("<region>/<DbiResourceId>") a primary archives to, None for none."""
    return instance.__dict__.get("_lineage")


def _new_lineage_name(instance):
    return f"{instance.region}/{instance.dbi_resource_id.lower()}"


def _master_password(instance, db_kwargs):
    if getattr(instance, "manage_master_user_password", False):
        return json.loads(instance.master_user_secret.secret.secret_string)["password"]
    # moto's master_user_password property refuses reads; restores pass no password.
    return db_kwargs.get("master_user_password") or instance.__dict__.get(
        "_master_user_password")


def _data_plane_failure(problem):
    return RDSClientError("InternalFailure",
                          f"The local data plane could not serve this request: {problem}")


def _split_source(backend, source):
    """(region, identifier) of a read replica source given by identifier or ARN."""
    if backend.arn_regex.match(source):
        parts = source.split(":")
        return parts[3], parts[-1].lower()
    return backend.region_name, source.lower()


# --- backend hooks ----------------------------------------------------------------------

def _minutes(hhmm):
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _daily_spans(window):
    """Minute spans of a daily "hh24:mi-hh24:mi" window within [0, 1440), split at midnight."""
    start, end = (_minutes(part) for part in window.split("-"))
    return [(start, end)] if start < end else [(start, 1440), (0, end)]


def _windows_overlap(maintenance_window, backup_window):
    """True when the daily backup window shares a minute with the maintenance window's hours.

    Windows that only touch (backup 03:00-04:00, maintenance mon:04:00-mon:05:00, as the
    reference documents use) do not overlap on AWS; moto 5.2.5 refuses them.
    """
    maintenance_hours = f"{maintenance_window[4:9]}-{maintenance_window[14:19]}"
    return any(a_start < b_end and b_start < a_end
               for a_start, a_end in _daily_spans(backup_window)
               for b_start, b_end in _daily_spans(maintenance_hours))


def _valid_preferred_maintenance_window(original):
    def valid_preferred_maintenance_window(maintenance_window, backup_window):
        message = original(maintenance_window, None)
        if message is None and backup_window and _windows_overlap(maintenance_window, backup_window):
            return "The backup window and maintenance window must not overlap."
        return message

    return valid_preferred_maintenance_window


def _create_db_instance(original):
    def create_db_instance(self, db_kwargs):
        _refuse_gp3_provisioning_below_baseline(db_kwargs.get("engine"), db_kwargs.get("storage_type") or "gp2",
                                                db_kwargs.get("allocated_storage"), db_kwargs)
        instance = original(self, db_kwargs)
        instance.dbi_resource_id = _new_dbi_resource_id()
        for option in ("enable_performance_insights", "performance_insights_retention_period",
                       "performance_insights_kms_key_id"):
            if db_kwargs.get(option) is not None:
                setattr(instance, option, db_kwargs[option])
        if instance.engine in DATA_PLANE_ENGINES and instance.db_cluster_identifier is None:
            lineage = _new_lineage_name(instance)
            restore_source = db_kwargs.get(RESTORE_SOURCE)
            try:
                if restore_source:
                    address = postgres.restore(runtime.state_dir, instance.region,
                                               instance.db_instance_identifier, instance.port,
                                               restore_source["lineage"],
                                               restore_source["target"], lineage)
                else:
                    address = postgres.create(runtime.state_dir, instance.region,
                                              instance.db_instance_identifier, instance.port,
                                              instance.master_username,
                                              _master_password(instance, db_kwargs),
                                              instance.db_name, lineage=lineage)
            except Exception as problem:
                self.databases.pop(instance.db_instance_identifier, None)
                raise _data_plane_failure(problem) from problem
            _attach_data_plane(instance, address, lineage)
        begin_transition(instance, "creating")
        return instance
    return create_db_instance


def _create_db_instance_read_replica(original):
    def create_db_instance_read_replica(self, db_kwargs):
        source_region, source_id = _split_source(self, db_kwargs["source_db_instance_identifier"])
        subnet_group = None
        if source_region != self.region_name:
            # moto would look the subnet group up in the source's region: set it afterwards.
            subnet_group = db_kwargs.pop("db_subnet_group_name", None)
            if subnet_group:
                self.describe_db_subnet_groups(subnet_group)  # DBSubnetGroupNotFoundFault
        replica = original(self, db_kwargs)
        # moto copies the source object: give the replica its own identity and lists.
        for own in ("_data_plane", "_address", "_secondary_zone", "_lineage", "_shipped_through"):
            replica.__dict__.pop(own, None)
        replica.dbi_resource_id = _new_dbi_resource_id()
        replica.instance_create_time = utcnow()
        replica.multi_az = bool(db_kwargs.get("multi_az", False))
        replica.vpc_security_group_ids = list(replica.vpc_security_group_ids)
        replica.enabled_cloudwatch_logs_exports = list(replica.enabled_cloudwatch_logs_exports)
        replica.status = "available"
        if not replica.availability_zone.startswith(replica.region):  # cross-region
            replica.availability_zone = db_kwargs.get("availability_zone") or \
                f"{replica.region}a"
        if subnet_group:
            replica.db_subnet_group_name = subnet_group
        if source_region != self.region_name and not db_kwargs.get("db_parameter_group_name"):
            # The source's group is regional: AWS uses the family's default of this region.
            replica.db_parameter_group_name = None
        if postgres.exists(runtime.state_dir, source_region, source_id):
            try:
                if db_kwargs.get("port"):
                    replica.port = int(db_kwargs["port"])
                address = postgres.create_replica(runtime.state_dir, replica.region,
                                                  replica.db_instance_identifier, replica.port,
                                                  source_region, source_id)
            except Exception as problem:
                self.databases.pop(replica.db_instance_identifier, None)
                self.find_db_from_id(db_kwargs["source_db_instance_identifier"]).remove_replica(
                    replica)
                raise _data_plane_failure(problem) from problem
            _attach_data_plane(replica, address)
        begin_transition(replica, "creating")
        return replica
    return create_db_instance_read_replica


def _modify_db_instance(original):
    def modify_db_instance(self, db_instance_identifier, db_kwargs):
        new_password = db_kwargs.get("master_user_password")
        new_port = db_kwargs.get("db_port_number")
        old_identifier = db_instance_identifier.lower()
        before = self.describe_db_instances(db_instance_identifier)[0]
        _refuse_gp3_provisioning_below_baseline(
            before.engine, db_kwargs.get("storage_type") or before.storage_type,
            db_kwargs.get("allocated_storage") or before.allocated_storage, db_kwargs)
        instance = original(self, db_instance_identifier, db_kwargs)
        if has_data_plane(instance):
            try:
                if instance.db_instance_identifier != old_identifier:
                    postgres.rename(runtime.state_dir, instance.region, old_identifier,
                                    instance.db_instance_identifier)
                if new_port and int(new_port) != instance.port:
                    postgres.change_port(runtime.state_dir, instance.region,
                                         instance.db_instance_identifier, int(new_port))
                    instance.port = int(new_port)
                if new_password and not instance.is_replica:
                    postgres.set_password(runtime.state_dir, instance.region,
                                          instance.db_instance_identifier,
                                          instance.master_username, new_password)
            except Exception as problem:
                raise _data_plane_failure(problem) from problem
        if new_password:
            instance.add_event("DB_INSTANCE_RESET_MASTER_CREDENTIALS")
        begin_transition(instance, "modifying")
        return instance
    return modify_db_instance


def _reboot_db_instance(original):
    def reboot_db_instance(self, db_instance_identifier):
        instance = original(self, db_instance_identifier)
        if has_data_plane(instance):
            try:
                postgres.restart(runtime.state_dir, instance.region,
                                 instance.db_instance_identifier)
            except Exception as problem:
                raise _data_plane_failure(problem) from problem
        instance.add_event("DB_INSTANCE_RESTARTED")
        begin_transition(instance, "rebooting")
        return instance
    return reboot_db_instance


def _stop_db_instance(original):
    def stop_db_instance(self, db_instance_identifier, *args, **kwargs):
        instance = original(self, db_instance_identifier, *args, **kwargs)
        if has_data_plane(instance):
            postgres.stop(runtime.state_dir, instance.region, instance.db_instance_identifier)
        return instance
    return stop_db_instance


def _start_db_instance(original):
    def start_db_instance(self, db_instance_identifier):
        instance = original(self, db_instance_identifier)
        if has_data_plane(instance):
            try:
                postgres.start(runtime.state_dir, instance.region,
                               instance.db_instance_identifier)
            except Exception as problem:
                raise _data_plane_failure(problem) from problem
        begin_transition(instance, "starting")
        return instance
    return start_db_instance


def _delete_db_instance(original):
    def delete_db_instance(self, *args, **kwargs):
        instance = original(self, *args, **kwargs)
        if has_data_plane(instance):
            postgres.delete(runtime.state_dir, instance.region, instance.db_instance_identifier)
        instance.add_event("DB_INSTANCE_DELETED")
        return instance
    return delete_db_instance


def _promote_read_replica(original):
    def promote_read_replica(self, db_kwargs):
        instance = self.describe_db_instances(db_kwargs["db_instance_identifier"])[0]
        was_replica = instance.is_replica
        instance = original(self, db_kwargs)
        if was_replica:
            source = instance.source_db_instance_identifier
            if source:
                try:
                    self.find_db_from_id(source).remove_replica(instance)
                except RDSClientError:
                    pass  # the source is already gone
                instance.source_db_instance_identifier = None
            if has_data_plane(instance):
                lineage = _new_lineage_name(instance)
                try:
                    postgres.promote(runtime.state_dir, instance.region,
                                     instance.db_instance_identifier, lineage)
                except Exception as problem:
                    raise _data_plane_failure(problem) from problem
                instance.__dict__["_lineage"] = lineage
            instance.add_event("DB_INSTANCE_READ_REPLICA_PROMOTED")
            begin_transition(instance, "modifying")
        return instance
    return promote_read_replica


def _delete_replica_entry(original):
    """A replica in another region is listed by its ARN (moto removes by identifier only)."""
    def remove_replica(self, replica):
        if replica.db_instance_identifier in self.replicas:
            original(self, replica)
        elif replica.db_instance_arn in self.replicas:
            self.replicas.remove(replica.db_instance_arn)
    return remove_replica


def fail_over(instance):
    """Multi-AZ failover: the standby's zone becomes the primary's."""
    instance.add_event("DB_INSTANCE_FAILOVER_STARTED")
    old_primary_zone = instance.availability_zone
    instance.availability_zone = _secondary_availability_zone(instance)
    instance.__dict__["_secondary_zone"] = old_primary_zone
    instance.add_event("DB_INSTANCE_FAILOVER_COMPLETED")


def _reboot_response(original):
    def reboot_db_instance(self):
        force_failover = bool(self.params.get("ForceFailover"))
        if force_failover:
            instance = self.backend.describe_db_instances(
                self.params.get("DBInstanceIdentifier"))[0]
            if not instance.multi_az:
                raise RDSClientError(
                    "InvalidParameterCombination",
                    "ForceFailover is only supported for Multi-AZ DB instances.")
        result = original(self)
        if force_failover:
            fail_over(instance)
        return result
    return reboot_db_instance


def _address(original_property):
    def address(instance):
        if has_data_plane(instance):
            return instance.__dict__["_address"]
        return original_property.fget(instance)
    return property(address)


def install():
    Event.EVENT_MAP.update(EVENTS)
    DBInstance.status = property(_get_status, _set_status)
    DBInstance.address = _address(DBInstance.address)
    DBInstance.secondary_availability_zone = property(_secondary_availability_zone)
    DBInstance.performance_insights_enabled = property(_performance_insights_enabled)
    DBInstance.performance_insights_retention_period = property(
        _get_performance_insights_retention, _set_performance_insights_retention)
    DBInstance.enhanced_monitoring_resource_arn = property(_enhanced_monitoring_resource_arn)
    DBInstance.pending_modified_values = property(_pending_modified_values)
    DBInstance.status_infos = property(_status_infos)
    DBInstance.iops = property(_get_iops, _set_iops)
    DBInstance.storage_throughput = _storage_throughput(DBInstance.storage_throughput)
    wrap(rds_models, "valid_preferred_maintenance_window", _valid_preferred_maintenance_window)
    wrap(DBInstance, "remove_replica", _delete_replica_entry)
    wrap(RDSBackend, "create_db_instance", _create_db_instance)
    wrap(RDSBackend, "create_db_instance_read_replica", _create_db_instance_read_replica)
    wrap(RDSBackend, "modify_db_instance", _modify_db_instance)
    wrap(RDSBackend, "reboot_db_instance", _reboot_db_instance)
    wrap(RDSBackend, "stop_db_instance", _stop_db_instance)
    wrap(RDSBackend, "start_db_instance", _start_db_instance)
    wrap(RDSBackend, "delete_db_instance", _delete_db_instance)
    wrap(RDSBackend, "promote_read_replica", _promote_read_replica)
    wrap(RDSResponse, "reboot_db_instance", _reboot_response)
