# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Rules of the rds role's variables (roles/rds/meta/argument_specs.yml has their types)."""

import re

from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import aws_name
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import in_range
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import matches
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import needs
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import no_placeholders
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import offered
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import validate_parameters
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_parameters import RDS_FORMULA_VARIABLES
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_instances import connection_secret_key_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_instances import final_snapshot_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_instances import replica_specs
from ansible_collections.dbfleet.aws.plugins.module_utils.versions import is_lower
from ansible_collections.dbfleet.aws.plugins.module_utils.versions import major
from ansible_collections.dbfleet.aws.plugins.module_utils.windows import window_problems

# RDS wants the backup and the maintenance window each at least 30 minutes long.
MIN_WINDOW_MINUTES = 30
MAX_READ_REPLICAS = 15
INSTANCE_CLASS = r"^db\.[a-z0-9]+\.[a-z0-9]+$"
ENGINE_VERSION = r"^\d+\.\d+$"

# PostgreSQL's reserved key words (those that cannot be a role name without quotes), which
# RDS refuses as the master user name; rdsadmin and the rds_*/pg_* roles exist already.
POSTGRES_RESERVED_WORDS = frozenset("""
    all analyse analyze and any array as asc asymmetric authorization binary both case cast
    check collate collation column concurrently constraint create cross current_catalog
    current_date current_role current_schema current_time current_timestamp current_user
    default deferrable desc distinct do else end except false fetch for foreign freeze from
    full grant group having ilike in initially inner intersect into is isnull join lateral
    leading left like limit localtime localtimestamp natural not notnull null offset on only
    or order outer overlaps placing primary references returning right select session_user
    similar some symmetric system_user table tablesample then to trailing true union unique
    user using variadic verbose when where window with
""".split())


def master_username_problems(name, option="rds_master_username"):
    """AWS's rule for an RDS for PostgreSQL master user name: 1-63 letters, digits or
    underscores, starting with a letter, not a reserved word; `postgres` is allowed."""
    if name is None:
        return []
    if not re.match(r"^[A-Za-z][A-Za-z0-9_]{0,62}$", name):
        return ["%s: must be 1-63 letters, digits or underscores, starting with a letter (got %r)" % (option, name)]
    lowered = name.lower()
    if lowered in POSTGRES_RESERVED_WORDS:
        return ["%s: %r is a PostgreSQL reserved word" % (option, name)]
    if lowered == "rdsadmin" or lowered.startswith(("rds_", "pg_")):
        return ["%s: %r is reserved by RDS (rdsadmin, rds_*, pg_*)" % (option, name)]
    return []


def _family_problems(values):
    version, family = values.get("rds_engine_version"), values.get("rds_parameter_group_family")
    if version is None or family is None or not re.match(ENGINE_VERSION, version):
        return []
    expected = "postgres" + major(version)
    if family != expected:
        return ["rds_parameter_group_family: must be %s, the family of rds_engine_version %s (got %r)"
                % (expected, version, family)]
    return []


def _storage_problems(values):
    problems = in_range(values, "rds_allocated_storage", 20, 65536, " GiB")
    allocated, maximum = values.get("rds_allocated_storage"), values.get("rds_max_allocated_storage")
    if allocated is not None and maximum is not None and maximum != 0 and maximum <= allocated:
        problems.append("rds_max_allocated_storage: must be 0 (no autoscaling) or above rds_allocated_storage %d "
                        "(got %d)" % (allocated, maximum))
    return problems


# Storage performance of RDS for PostgreSQL. gp3 below 400 GiB runs at a baseline of 3,000
# IOPS and 125 MiB/s that cannot be changed; from 400 GiB it can be provisioned within these
# ranges (baseline 12,000 / 500), at most 0.25 MiB/s per IOPS. io1 and io2 need IOPS, in a
# ratio to the storage. (RDS User Guide, "Amazon RDS DB instance storage".)
GP3_PROVISIONED_FROM_GIB = 400
GP3_IOPS = (12000, 64000)
GP3_THROUGHPUT_MIBPS = (500, 4000)
GP3_MAX_MIBPS_PER_IOPS = 0.25
PROVISIONED_IOPS = (1000, 256000)
PROVISIONED_IOPS_PER_GIB = {"io1": (0.5, 50), "io2": (0.5, 1000)}


def storage_performance_problems(values):
    """rds_iops and rds_storage_throughput (0: the storage type's baseline) against
    rds_storage_type and rds_allocated_storage."""
    storage_type, allocated = values.get("rds_storage_type"), values.get("rds_allocated_storage")
    iops, throughput = values.get("rds_iops") or 0, values.get("rds_storage_throughput") or 0
    if storage_type == "gp3":
        if allocated is not None and allocated < GP3_PROVISIONED_FROM_GIB:
            return [] if not (iops or throughput) else [
                "rds_iops, rds_storage_throughput: gp3 storage below %d GiB runs at its baseline of 3000 IOPS "
                "and 125 MiB/s, which cannot be changed (rds_allocated_storage is %d); leave them 0 or give "
                "rds_allocated_storage %d or more" % (GP3_PROVISIONED_FROM_GIB, allocated, GP3_PROVISIONED_FROM_GIB)]
        problems = in_range(values, "rds_iops", GP3_IOPS[0], GP3_IOPS[1], " for gp3 storage") if iops else []
        if throughput:
            problems += in_range(values, "rds_storage_throughput", GP3_THROUGHPUT_MIBPS[0], GP3_THROUGHPUT_MIBPS[1],
                                 " MiB/s for gp3 storage")
            effective_iops = iops or GP3_IOPS[0]
            if throughput > effective_iops * GP3_MAX_MIBPS_PER_IOPS:
                problems.append("rds_storage_throughput: at most %s MiB/s per IOPS, %d for %d IOPS (got %d)"
                                % (GP3_MAX_MIBPS_PER_IOPS, effective_iops * GP3_MAX_MIBPS_PER_IOPS,
                                   effective_iops, throughput))
        return problems
    problems = []
    if throughput:
        problems.append("rds_storage_throughput: only gp3 storage takes a throughput (rds_storage_type is %s)"
                        % storage_type)
    if storage_type in PROVISIONED_IOPS_PER_GIB:
        if not iops:
            return problems + ["rds_iops: %s storage needs provisioned IOPS, %d to %d"
                               % (storage_type, PROVISIONED_IOPS[0], PROVISIONED_IOPS[1])]
        problems += in_range(values, "rds_iops", PROVISIONED_IOPS[0], PROVISIONED_IOPS[1], " for %s storage" % storage_type)
        low, high = PROVISIONED_IOPS_PER_GIB[storage_type]
        if allocated and not low <= iops / float(allocated) <= high:
            problems.append("rds_iops: %s storage takes %s to %s IOPS per GiB, %d to %d for %d GiB (got %d)"
                            % (storage_type, low, high, allocated * low, allocated * high, allocated, iops))
    elif iops:
        problems.append("rds_iops: only gp3 (from %d GiB), io1 and io2 storage take provisioned IOPS "
                        "(rds_storage_type is %s)" % (GP3_PROVISIONED_FROM_GIB, storage_type))
    return problems


def _performance_insights_problems(values):
    days = values.get("rds_performance_insights_retention_period")
    if days is None or days in (7, 731) or (days % 31 == 0 and 31 <= days <= 713):
        return []
    return ["rds_performance_insights_retention_period: must be 7, a multiple of 31 up to 713, or 731 (got %d)" % days]


def _replica_problems(values):
    problems = in_range(values, "rds_read_replica_count", 0, MAX_READ_REPLICAS)
    if values.get("rds_read_replicas") and values.get("rds_read_replica_count"):
        problems.append("rds_read_replicas: give either rds_read_replicas or rds_read_replica_count, not both")
    if values.get("rds_identifier") is None:
        return problems
    specs = replica_specs(values)
    if specs and values.get("rds_backup_retention_period") == 0:
        problems.append("rds_backup_retention_period: read replicas need backups, at least 1 day (got 0)")
    identifiers = [spec["identifier"] for spec in specs] + [values["rds_identifier"]]
    if len(set(identifiers)) != len(identifiers):
        problems.append("rds_read_replicas: replica identifiers must be unique and differ from rds_identifier")
    for index, replica in enumerate(values.get("rds_read_replicas") or []):
        if replica.get("instance_class") and not re.match(INSTANCE_CLASS, replica["instance_class"]):
            problems.append("rds_read_replicas[%d].instance_class: must look like db.r6g.large (got %r)"
                            % (index, replica["instance_class"]))
    return problems


def problems(values):
    """Every rule of the rds role's variables that values break."""
    if values.get("rds_state") == "absent":
        identifier = values.get("rds_identifier")
        if values.get("rds_confirm_deletion") != identifier:
            return ["rds_confirm_deletion: rds_state absent deletes %s and its replicas; set rds_confirm_deletion "
                    "to %s to confirm" % (identifier, identifier)]
        return final_snapshot_problems(values.get("rds_skip_final_snapshot"), values.get("rds_final_snapshot_identifier"),
                                       "rds_skip_final_snapshot", "rds_final_snapshot_identifier")
    found = aws_name(values, "rds_identifier", 63, letters="a-z")
    found += aws_name(values, "rds_final_snapshot_identifier", 255)
    found += matches(values, "rds_engine_version", ENGINE_VERSION, "must look like 15.10 (major.minor)")
    found += _family_problems(values)
    found += matches(values, "rds_instance_class", INSTANCE_CLASS, "must look like db.r6g.large")
    found += matches(values, "rds_replica_instance_class", INSTANCE_CLASS, "must look like db.r6g.large")
    found += matches(values, "rds_db_name", r"^[A-Za-z][A-Za-z0-9_]{0,62}$",
                     "must be 1-63 letters, digits or underscores, starting with a letter")
    found += master_username_problems(values.get("rds_master_username"))
    found += in_range(values, "rds_port", 1150, 65535)
    found += _storage_problems(values)
    found += storage_performance_problems(values)
    found += in_range(values, "rds_backup_retention_period", 0, 35, " days")
    found += window_problems("rds_backup_window", values.get("rds_backup_window"),
                             "rds_maintenance_window", values.get("rds_maintenance_window"), MIN_WINDOW_MINUTES)
    found += _performance_insights_problems(values)
    found += no_placeholders(values, "rds_subnet_ids", "rds_allowed_security_group_ids")
    if set(values.get("rds_allowed_cidrs") or []) & {"0.0.0.0/0", "::/0"}:
        found.append("rds_allowed_cidrs: must not contain 0.0.0.0/0 or ::/0 (no public access)")
    found += needs(values, "rds_kms_key_id", values.get("rds_storage_encrypted"), "needs rds_storage_encrypted true")
    found += needs(values, "rds_performance_insights_kms_key_id", values.get("rds_performance_insights_enabled"),
                   "needs rds_performance_insights_enabled true")
    found += needs(values, "rds_availability_zone", not values.get("rds_multi_az"),
                   "must be empty when rds_multi_az is true (RDS picks the zones)")
    found += _replica_problems(values)
    found += connection_secret_key_problems(values.get("rds_connection_secret_keys"),
                                            values.get("rds_sqlalchemy_driver", "psycopg2"))
    return found


def instance_classes_used(values):
    """The DB instance classes of the writer and the replicas, sorted."""
    replicas = values.get("rds_read_replicas") or []
    used = [values.get("rds_instance_class")] + [replica.get("instance_class") for replica in replicas]
    if not replicas:
        used.append(values.get("rds_replica_instance_class"))
    return sorted(set(name for name in used if name))


def offering_problems(values, instance_classes, parameters, running_version=None):
    """The rules that need what AWS offers: the instance classes orderable for
    rds_engine_version (DescribeOrderableDBInstanceOptions), the family's parameters
    ({name: ParameterSpec}, None when not read), and the version the writer runs now, which
    RDS cannot lower and provision.yml only moves within its major version."""
    version = values.get("rds_engine_version")
    if not instance_classes:
        return ["rds_engine_version: RDS offers no DB instance class for postgres %s in this region; "
                "is the version right?" % version]
    where = "for postgres %s in this region" % version
    found = offered("rds_instance_class", values.get("rds_instance_class"), instance_classes, where)
    if not values.get("rds_read_replicas"):
        found += offered("rds_replica_instance_class", values.get("rds_replica_instance_class"), instance_classes, where)
    for index, replica in enumerate(values.get("rds_read_replicas") or []):
        found += offered("rds_read_replicas[%d].instance_class" % index, replica.get("instance_class"),
                         instance_classes, where)
    if parameters is not None:
        found += validate_parameters(values.get("rds_parameters") or {}, parameters,
                                     values.get("rds_parameter_group_family"), RDS_FORMULA_VARIABLES,
                                     option="rds_parameters")[1]
    if running_version and version and is_lower(version, running_version):
        found.append("rds_engine_version: %s is lower than %s, the version %s runs; RDS cannot downgrade "
                     "(restore a snapshot into a new instance instead)"
                     % (version, running_version, values.get("rds_identifier")))
    elif running_version and version and major(version) != major(running_version):
        found.append("rds_engine_version: %s is a major upgrade of %s, which runs %s; provision.yml moves minor "
                     "versions only: a major upgrade changes the parameter group's family and needs "
                     "AllowMajorVersionUpgrade, a snapshot first and the upgrade's own checks and downtime"
                     % (version, values.get("rds_identifier"), running_version))
    return found
