# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The rds role's instances: the replicas its variables ask for, how the writer differs
from them, which instances wait for a reboot, and the connection secret. Pure functions, used by
plugins/filter/rds.py and the preflight rules."""

from urllib.parse import quote

from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import aws_name
from ansible_collections.dbfleet.aws.plugins.module_utils.versions import is_lower


def replica_specs(values):
    """rds_read_replicas or rds_read_replica_count, as a list of {identifier, instance_class,
    availability_zone ('' for any)}."""
    identifier = values.get("rds_identifier")
    default_class = values.get("rds_replica_instance_class")
    listed = values.get("rds_read_replicas") or []
    if listed:
        return [{"identifier": replica.get("identifier") or "%s-replica-%d" % (identifier, index),
                 "instance_class": replica.get("instance_class") or default_class,
                 "availability_zone": replica.get("availability_zone") or ""}
                for index, replica in enumerate(listed, start=1)]
    return [{"identifier": "%s-replica-%d" % (identifier, index), "instance_class": default_class,
             "availability_zone": ""}
            for index in range(1, (values.get("rds_read_replica_count") or 0) + 1)]


def instances_pending_reboot(instances):
    """Identifiers of the instances (as amazon.aws.rds_instance_info returns them) whose
    parameter group waits for a reboot."""
    return [instance["db_instance_identifier"] for instance in instances
            if any(group.get("parameter_apply_status") == "pending-reboot"
                   for group in instance.get("db_parameter_groups") or [])]


def instance_drift(current, desired):
    """{setting: {current, desired}} where an instance (as amazon.aws.rds_instance_info
    returns it; {} for none) differs from the `desired` settings, named as that module
    names them (`port`: the endpoint's). Storage autoscaling and automatic minor upgrades
    move an instance above the inventory on purpose: only storage or a version below it
    count."""
    if not current:
        return {}
    current = dict(current, port=(current.get("endpoint") or {}).get("port"))
    drift = {}
    for name, wanted in desired.items():
        actual = current.get(name)
        if name == "enabled_cloudwatch_logs_exports":
            differs = sorted(actual or []) != sorted(wanted)
        elif name == "allocated_storage":
            differs = actual < wanted
        elif name == "engine_version":
            differs = is_lower(actual, wanted)
        else:
            differs = actual != wanted
        if differs:
            drift[name] = {"current": actual, "desired": wanted}
    return drift


def endpoints(instances):
    """{identifier: "address:port"} of the instances (as amazon.aws.rds_instance_info returns
    them); an instance without an endpoint yet gives its status instead."""
    return dict((instance["db_instance_identifier"],
                 "%s:%s" % (instance["endpoint"]["address"], instance["endpoint"]["port"])
                 if instance.get("endpoint") else instance.get("db_instance_status"))
                for instance in instances)


def parameter_apply_status(instances):
    """{identifier: ParameterApplyStatus of its parameter group} of the instances."""
    return dict((instance["db_instance_identifier"], group.get("parameter_apply_status"))
                for instance in instances for group in instance.get("db_parameter_groups") or [])


# The keys of the connection secret, under these names unless rds_connection_secret_keys
# renames them, and the SQLAlchemy drivers of the postgresql dialect (sqlalchemy_url).
CONNECTION_SECRET_KEYS = ("engine", "host", "port", "dbname", "username", "password", "url", "sqlalchemy_url",
                          "dbInstanceIdentifier")
SQLALCHEMY_DRIVERS = ("psycopg2", "psycopg", "asyncpg", "pg8000", "psycopg2cffi")


def connection_secret(instance, credentials, dbname, key_names=None, driver="psycopg2"):
    """The connection secret of an instance ({identifier, address, port}) for applications:
    its keys renamed by key_names ({our name: theirs}), sqlalchemy_url for the driver."""
    url = "postgresql://%s:%s@%s:%s/%s" % (quote(credentials["username"], safe=""),
                                           quote(credentials["password"], safe=""),
                                           instance["address"], instance["port"], dbname)
    body = {
        "engine": "postgres",
        "host": instance["address"],
        "port": int(instance["port"]),
        "dbname": dbname,
        "username": credentials["username"],
        "password": credentials["password"],
        "url": url,
        "sqlalchemy_url": url.replace("postgresql://", "postgresql+%s://" % driver, 1),
        "dbInstanceIdentifier": instance["identifier"],
    }
    names = key_names or {}
    return dict((names.get(key, key), value) for key, value in body.items())


def connection_secret_key_problems(key_names, driver):
    """Rules of rds_connection_secret_keys and rds_sqlalchemy_driver."""
    found = []
    names = key_names or {}
    unknown = sorted(set(names) - set(CONNECTION_SECRET_KEYS))
    if unknown:
        found.append("rds_connection_secret_keys: %s not keys of the connection secret (%s)"
                     % (", ".join(unknown), ", ".join(CONNECTION_SECRET_KEYS)))
    final = [names.get(key, key) for key in CONNECTION_SECRET_KEYS]
    empty = sorted(key for key, name in names.items() if not isinstance(name, str) or not name.strip())
    if empty:
        found.append("rds_connection_secret_keys: %s must be renamed to a non-empty name" % ", ".join(empty))
    twice = sorted(set(name for name in final if final.count(name) > 1))
    if twice:
        found.append("rds_connection_secret_keys: %s would name two keys of the secret" % ", ".join(map(str, twice)))
    if driver not in SQLALCHEMY_DRIVERS:
        found.append("rds_sqlalchemy_driver: must be one of %s, a driver of SQLAlchemy's postgresql dialect (got %r)"
                     % (", ".join(SQLALCHEMY_DRIVERS), driver))
    return found


def final_snapshot_problems(skip, identifier, skip_name="skip_final_snapshot",
                            identifier_name="final_db_snapshot_identifier"):
    """The rule of a deletion's final snapshot, under the caller's variable names: an identifier
    unless skipped, named as RDS names snapshots."""
    if skip:
        return []
    if not identifier:
        return ["%s: required unless %s is true (the deletion keeps a final snapshot)"
                % (identifier_name, skip_name)]
    return aws_name({identifier_name: identifier}, identifier_name, 255)


def deletion_blockers(instance, skip_final_snapshot, taken_snapshot=None):
    """Why DeleteDBInstance of instance (as DescribeDBInstances returns it) would fail, read
    before the call: deletion protection, a final snapshot of a read replica, or a final
    snapshot identifier (taken_snapshot) that exists already."""
    identifier = instance["DBInstanceIdentifier"]
    found = []
    if instance.get("DeletionProtection"):
        found.append("%s has deletion protection; turn it off on a previous run (rds_deletion_protection: false)"
                     % identifier)
    if instance.get("ReadReplicaSourceDBInstanceIdentifier") and not skip_final_snapshot:
        found.append("%s is a read replica: RDS takes no final snapshot of one, set skip_final_snapshot" % identifier)
    if taken_snapshot:
        found.append("final snapshot %s exists already; choose another identifier or delete that snapshot"
                     % taken_snapshot)
    return found
