# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The monthly cost of an environment as its inventory sets it, from a price table
(playbooks/prices/aws.yml, or the operator's own), without AWS.

What is priced, per the target's variables (PLANNED_VARIABLES):
* RDS: the writer (twice when Multi-AZ), its read replicas and the DR replica, each with its
  storage; gp3 IOPS and throughput above the baseline, io1/io2 IOPS; Performance Insights
  retention beyond the free 7 days, per vCPU; Enhanced Monitoring's log volume;
* backups: the automated backups beyond the free amount (the region's provisioned
  storage), the manual snapshots the snapshot policy keeps (taken daily), the cross-region
  copies (stored in the copy region, their changes sent there) and the DR replica's WAL;
* ElastiCache: every node (Valkey at its factor of Redis OSS), snapshots beyond the one free
  per shard;
* reserved instances and nodes: the same month with each term's discount on the hours.

How much data there is and how fast it changes are assumptions (ASSUMPTIONS, the cost_<name>
variables): the estimate is an upper bound with the defaults (storage and memory full).
`problems` holds the rules of the inputs, `estimate` prices a target that has none.
"""

import numbers

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import command_line_number
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_instances import replica_specs

# cost_<name>: (default, low, high, rule).
ASSUMPTIONS = {
    "storage_used_percent": (100, 1, 100, "the share of the allocated storage that holds data"),
    "daily_change_percent": (1, 0, 100, "the share of the data written again each day"),
    "cache_used_percent": (100, 1, 100, "the share of a node's memory that holds data"),
    "enhanced_monitoring_event_kb": (10, 1, 1000, "the size of one Enhanced Monitoring event"),
}

PLANNED_VARIABLES = (
    "dbfleet_region",
    "rds_enabled", "rds_state", "rds_identifier", "rds_instance_class", "rds_multi_az",
    "rds_allocated_storage", "rds_storage_type", "rds_iops", "rds_storage_throughput",
    "rds_backup_retention_period", "rds_performance_insights_enabled",
    "rds_performance_insights_retention_period", "rds_monitoring_interval",
    "rds_read_replica_count", "rds_read_replicas", "rds_replica_instance_class",
    "elasticache_enabled", "elasticache_replication_group_id", "elasticache_engine", "elasticache_node_type",
    "elasticache_cluster_mode", "elasticache_num_cache_clusters", "elasticache_num_node_groups",
    "elasticache_replicas_per_node_group", "elasticache_snapshot_retention_limit",
    "dr_enabled", "dr_rds_snapshot_retention", "dr_copy_region", "dr_copy_retention",
    "dr_replica_enabled", "dr_replica_region", "dr_replica_identifier", "dr_replica_instance_class",
)

FREE_PERFORMANCE_INSIGHTS_DAYS = 7
GP3_BASELINE = ((400, 12000, 500), (0, 3000, 125))  # (from GiB, IOPS, MiB/s), largest first
# Days a snapshot policy's generation keeps (a snapshot a day, as the AWX schedule takes).
GENERATION_DAYS = {"keep_last": 1, "daily": 1, "weekly": 7, "monthly": 30, "yearly": 365}
REQUIRED_TABLE_KEYS = ("currency", "as_of", "hours_per_month", "regions", "reserved")
# What the estimate reads of a region's prices: None is a price, {} a price per kind (the
# storage types the table gives), [shape] the same shape for every class or node type.
REGION_SHAPE = {
    "rds": {
        "instances": [{"hourly": None, "vcpus": None}],
        "storage_gb_month": {}, "provisioned_iops_month": {},
        "gp3_iops_month": None, "gp3_throughput_mibps_month": None, "backup_gb_month": None,
        "transfer_to_region_gb": None,
        "performance_insights_vcpu_month": {"first_month": None, "further_month": None},
    },
    "elasticache": {"nodes": [{"hourly": None, "memory_gib": None}], "valkey_factor": None, "backup_gb_month": None},
    "cloudwatch": {"logs_ingested_gb": None},
}
SWITCHES = ("rds_enabled", "rds_multi_az", "rds_performance_insights_enabled", "elasticache_enabled", "dr_enabled",
            "dr_replica_enabled")


def settings_of(values):
    """The planned variables given (None or '' is not given), switches as booleans."""
    found = dict((name, values[name]) for name in PLANNED_VARIABLES if values.get(name) not in (None, ""))
    for name in SWITCHES:
        if name in found:
            found[name] = boolean(found[name], strict=False)
    return found


def _is_number(value):
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def assumptions_of(values):
    """{name: number} of the cost_<name> variables given (None or '' is the default)."""
    found = {}
    for name, (default, low, high, rule) in ASSUMPTIONS.items():
        value = values.get("cost_" + name)
        found[name] = default if value in (None, "") else value
    return found


def assumption_problems(values):
    problems = []
    for name, value in assumptions_of(values).items():
        default, low, high, rule = ASSUMPTIONS[name]
        value = command_line_number(value)
        if not _is_number(value) or not low <= value <= high:
            problems.append("cost_%s: must be a number from %s to %s, %s (got %r)" % (name, low, high, rule, value))
    return problems


def table_problems(table, where="cost_price_table"):
    """The shape the estimate reads: currency, as_of, hours_per_month, reserved, regions."""
    if not isinstance(table, dict):
        return ["%s: must be a mapping with %s" % (where, ", ".join(REQUIRED_TABLE_KEYS))]
    problems = ["%s: has no %s" % (where, key) for key in REQUIRED_TABLE_KEYS if key not in table]
    if problems:
        return problems
    if not _is_number(table["hours_per_month"]) or table["hours_per_month"] <= 0:
        problems.append("%s.hours_per_month: must be a positive number" % where)
    for service, options in (table["reserved"] or {}).items():
        for option, discount in (options or {}).items():
            if not _is_number(discount) or not 0 <= discount < 1:
                problems.append("%s.reserved.%s.%s: must be a discount from 0 to below 1 (got %r)"
                                % (where, service, option, discount))
    if not isinstance(table["regions"], dict) or not table["regions"]:
        problems.append("%s.regions: must map at least one region to its prices" % where)
    return problems


def _replicas(settings):
    """[(identifier, class)] of the writer's read replicas in its region, as the rds role names them."""
    values = dict(settings, rds_read_replica_count=int(settings.get("rds_read_replica_count") or 0))
    return [(spec["identifier"], spec["instance_class"]) for spec in replica_specs(values)]


def _rds_on(settings):
    return bool(settings.get("rds_enabled", True)) and settings.get("rds_state", "present") != "absent"


def _dr_on(settings, switch):
    return _rds_on(settings) and bool(settings.get("dr_enabled", True)) and bool(settings.get(switch))


def _cache_nodes(settings):
    """(shards, nodes) of the replication group."""
    if settings.get("elasticache_cluster_mode", "disabled") == "enabled":
        shards = int(settings.get("elasticache_num_node_groups") or 1)
        return shards, shards * (1 + int(settings.get("elasticache_replicas_per_node_group") or 0))
    return 1, int(settings.get("elasticache_num_cache_clusters") or 1)


def _priced(table, region):
    return (table.get("regions") or {}).get(region)


def _shape_problems(where, prices, shape):
    """The prices `shape` names (REGION_SHAPE)."""
    if not isinstance(prices, dict):
        return ["%s: must be a mapping" % where]
    if shape == {}:
        shape = dict.fromkeys(prices)
    problems = []
    for key, inner in shape.items():
        value = prices.get(key)
        if inner is None:
            if not _is_number(value) or value < 0:
                problems.append("%s.%s: must be a price, a number of 0 or more (got %r)" % (where, key, value))
        elif isinstance(inner, list):
            if not isinstance(value, dict) or not value:
                problems.append("%s.%s: must map each name to its prices" % (where, key))
            else:
                for name, entry in value.items():
                    problems += _shape_problems("%s.%s.%s" % (where, key, name), entry, inner[0])
        else:
            problems += _shape_problems("%s.%s" % (where, key), value, inner)
    return problems


def price_problems(settings, table, where="cost_price_table"):
    """The prices of each region the target uses, then each class, node type and storage type
    it uses, named by the variable that sets it."""
    problems, regions = [], []
    region = settings.get("dbfleet_region")

    def need_region(variable, name):
        if _priced(table, name) is None:
            problems.append("%s: the price table has no region %s (it has %s); add it or set cost_price_table"
                            % (variable, name, ", ".join(sorted(table.get("regions") or {}))))
            return False
        if name not in regions:
            regions.append(name)
        return True

    def need(variable, value, region_variable, name, service, key):
        if need_region(region_variable, name) and value not in ((_priced(table, name).get(service) or {}).get(key) or {}):
            problems.append("%s: %s has no price in the price table for %s; add it or set cost_price_table"
                            % (variable, value, name))

    if _rds_on(settings):
        need("rds_instance_class", settings.get("rds_instance_class"), "dbfleet_region", region, "rds", "instances")
        need("rds_storage_type", settings.get("rds_storage_type") or "gp3", "dbfleet_region", region, "rds",
             "storage_gb_month")
        for index, (_identifier, instance_class) in enumerate(_replicas(settings)):
            variable = ("rds_read_replicas[%d].instance_class" % index if settings.get("rds_read_replicas")
                        else "rds_replica_instance_class")
            need(variable, instance_class, "dbfleet_region", region, "rds", "instances")
        if _dr_on(settings, "dr_replica_enabled"):
            need("dr_replica_instance_class", settings.get("dr_replica_instance_class"),
                 "dr_replica_region", settings.get("dr_replica_region") or region, "rds", "instances")
        if _dr_on(settings, "dr_copy_region"):
            need_region("dr_copy_region", settings["dr_copy_region"])
    if settings.get("elasticache_enabled", True):
        need("elasticache_node_type", settings.get("elasticache_node_type"), "dbfleet_region", region,
             "elasticache", "nodes")
    for name in regions:
        problems += _shape_problems("%s.regions.%s" % (where, name), _priced(table, name), REGION_SHAPE)
    # One problem per variable is enough.
    return list(dict.fromkeys(problems))


def problems(values, table):
    """Every problem of a target's inputs (`values`: PLANNED_VARIABLES and the cost_<name>
    assumptions): the price table's shape, the assumptions, a price for each class and region
    the target uses."""
    found = table_problems(table) + assumption_problems(values)
    return found or price_problems(settings_of(values), table)


def _retention_days(policy, default_days):
    """(days the snapshot policy keeps snapshots, how many): a snapshot a day."""
    policy = policy or {}
    spans = [GENERATION_DAYS[rule] * int(policy[rule]) for rule in GENERATION_DAYS if policy.get(rule)]
    count = sum(int(policy[rule]) for rule in GENERATION_DAYS if policy.get(rule))
    days = max(spans) if spans else (policy.get("max_age_days") or default_days)
    if policy.get("max_age_days"):
        days = min(days, policy["max_age_days"])
        count = min(count, days) if count else days
    return days, count


class _Month:
    """The lines of one target's month."""

    def __init__(self, table, assumptions):
        self.table = table
        self.hours = table["hours_per_month"]
        self.days = self.hours / 24.0
        self.assumptions = assumptions
        self.lines = []

    def add(self, resource, component, region, what, monthly, reserved_service=None):
        if monthly > 0:
            self.lines.append({"resource": resource, "component": component, "region": region, "what": what,
                               "monthly": monthly, "reserved_service": reserved_service})

    def rds(self, region):
        return self.table["regions"][region]["rds"]

    def data_gb(self, allocated):
        return allocated * self.assumptions["storage_used_percent"] / 100.0

    def changed_gb_per_day(self, allocated):
        return self.data_gb(allocated) * self.assumptions["daily_change_percent"] / 100.0

    def instance(self, resource, region, instance_class, multi_az, storage, settings, role):
        prices = self.rds(region)
        copies = 2 if multi_az else 1
        hourly = prices["instances"][instance_class]["hourly"]
        what = "%s %s%s, %d h" % (role, instance_class, ", Multi-AZ" if multi_az else "", self.hours)
        self.add(resource, "instances", region, what, hourly * self.hours * copies, "rds")
        self.storage(resource, region, storage, copies)
        if role == "DR replica":
            return
        if settings.get("rds_performance_insights_enabled"):
            retention = int(settings.get("rds_performance_insights_retention_period") or FREE_PERFORMANCE_INSIGHTS_DAYS)
            if retention > FREE_PERFORMANCE_INSIGHTS_DAYS:
                months = 24 if retention >= 731 else max(1, retention // 31)   # 731: two years
                rates = prices["performance_insights_vcpu_month"]
                vcpus = prices["instances"][instance_class]["vcpus"] * copies
                self.add(resource, "performance_insights", region,
                         "Performance Insights, %d days, %d vCPU" % (retention, vcpus),
                         vcpus * (rates["first_month"] + (months - 1) * rates["further_month"]))
        interval = int(settings.get("rds_monitoring_interval") or 0)
        if interval:
            gigabytes = self.hours * 3600.0 / interval * self.assumptions["enhanced_monitoring_event_kb"] / 1024 / 1024
            self.add(resource, "monitoring", region, "Enhanced Monitoring every %d s, %.2f GB of logs" % (interval, gigabytes),
                     gigabytes * self.table["regions"][region]["cloudwatch"]["logs_ingested_gb"])

    def storage(self, resource, region, storage, copies):
        prices = self.rds(region)
        kind, allocated, iops, throughput = storage
        self.add(resource, "storage", region, "%d GB %s%s" % (allocated, kind, " x 2" if copies == 2 else ""),
                 allocated * prices["storage_gb_month"][kind] * copies)
        if kind == "gp3":
            base_iops, base_throughput = [(i, t) for start, i, t in GP3_BASELINE if allocated >= start][0]
            extra_iops, extra_throughput = max(0, (iops or 0) - base_iops), max(0, (throughput or 0) - base_throughput)
            self.add(resource, "storage", region, "%d IOPS above gp3's %d" % (extra_iops, base_iops),
                     extra_iops * prices["gp3_iops_month"] * copies)
            self.add(resource, "storage", region, "%d MiB/s above gp3's %d" % (extra_throughput, base_throughput),
                     extra_throughput * prices["gp3_throughput_mibps_month"] * copies)
        elif kind in prices["provisioned_iops_month"]:
            self.add(resource, "storage", region, "%d provisioned IOPS" % (iops or 0),
                     (iops or 0) * prices["provisioned_iops_month"][kind] * copies)


def _rds(month, settings):
    region = settings["dbfleet_region"]
    identifier = settings["rds_identifier"]
    storage = (settings.get("rds_storage_type") or "gp3", int(settings.get("rds_allocated_storage") or 20),
               int(settings.get("rds_iops") or 0), int(settings.get("rds_storage_throughput") or 0))
    allocated = storage[1]
    month.instance(identifier, region, settings["rds_instance_class"], bool(settings.get("rds_multi_az")),
                   storage, settings, "writer")
    replicas = _replicas(settings)
    for replica, instance_class in replicas:
        month.instance(replica, region, instance_class, False, storage, settings, "read replica")
    # Automated backups: the data once, then each day's changes over the retention; free up
    # to the region's provisioned storage (the writer's and its replicas').
    retention = int(settings.get("rds_backup_retention_period") or 0)
    backup_price = month.rds(region)["backup_gb_month"]
    if retention:
        stored = month.data_gb(allocated) + month.changed_gb_per_day(allocated) * retention
        free = allocated * (1 + len(replicas))
        month.add(identifier, "backups", region,
                  "automated backups, %d days: %.1f GB, %d GB free" % (retention, stored, free),
                  max(0.0, stored - free) * backup_price)
    # Manual snapshots the policy keeps beyond the automated window: their changed blocks.
    days, count = _retention_days(settings.get("dr_rds_snapshot_retention"), 0)
    if days > retention and count:
        kept = min(month.data_gb(allocated) * count, month.changed_gb_per_day(allocated) * (days - retention))
        month.add(identifier, "snapshots", region,
                  "manual snapshots kept %d days: %.1f GB beyond the automated backups" % (days, kept),
                  kept * backup_price)
    if _dr_on(settings, "dr_copy_region"):
        copy_region = settings["dr_copy_region"]
        days, count = _retention_days(settings.get("dr_copy_retention"), 1)
        stored = month.data_gb(allocated) + month.changed_gb_per_day(allocated) * max(0, days - 1)
        month.add(identifier, "cross_region", copy_region,
                  "snapshot copies in %s, kept %d days: %.1f GB" % (copy_region, days, stored),
                  stored * month.rds(copy_region)["backup_gb_month"])
        sent = month.changed_gb_per_day(allocated) * month.days
        month.add(identifier, "cross_region", region, "snapshot copies' changes sent to %s: %.1f GB" % (copy_region, sent),
                  sent * month.rds(region)["transfer_to_region_gb"])
    if _dr_on(settings, "dr_replica_enabled"):
        dr_region = settings.get("dr_replica_region") or region
        dr_identifier = settings.get("dr_replica_identifier") or identifier + "-dr"
        month.instance(dr_identifier, dr_region, settings["dr_replica_instance_class"], False, storage, settings,
                       "DR replica")
        if dr_region != region:
            sent = month.changed_gb_per_day(allocated) * month.days
            month.add(dr_identifier, "cross_region", region, "WAL sent to %s: %.1f GB" % (dr_region, sent),
                      sent * month.rds(region)["transfer_to_region_gb"])


def _elasticache(month, settings):
    region = settings["dbfleet_region"]
    prices = month.table["regions"][region]["elasticache"]
    node_type = settings["elasticache_node_type"]
    node = prices["nodes"][node_type]
    shards, nodes = _cache_nodes(settings)
    engine = settings.get("elasticache_engine") or "redis"
    factor = prices.get("valkey_factor", 1) if engine == "valkey" else 1
    resource = settings.get("elasticache_replication_group_id") or "elasticache"
    month.add(resource, "cache_nodes", region, "%d x %s (%s), %d h" % (nodes, node_type, engine, month.hours),
              node["hourly"] * factor * month.hours * nodes, "elasticache")
    kept = int(settings.get("elasticache_snapshot_retention_limit") or 0)
    if kept > 1:
        snapshot_gb = node["memory_gib"] * month.assumptions["cache_used_percent"] / 100.0
        month.add(resource, "cache_snapshots", region,
                  "%d snapshots x %d shard(s) beyond the free one: %.1f GB" % (kept - 1, shards,
                                                                               (kept - 1) * shards * snapshot_gb),
                  (kept - 1) * shards * snapshot_gb * prices["backup_gb_month"])


def estimate(values, table):
    """The month of a target whose inputs (as `problems` takes them) have none: {currency, as_of, source, lines:
    [{resource, component, region, what, monthly}], by_component, monthly_total, reserved:
    [{option, monthly_total, monthly_saving, saving_percent}], assumptions}."""
    assumptions = assumptions_of(values)
    assumptions = dict((name, float(value)) for name, value in assumptions.items())
    settings = settings_of(values)
    month = _Month(table, assumptions)
    if _rds_on(settings):
        _rds(month, settings)
    if settings.get("elasticache_enabled", True):
        _elasticache(month, settings)
    total = sum(line["monthly"] for line in month.lines)
    by_component = {}
    for line in month.lines:
        by_component[line["component"]] = by_component.get(line["component"], 0.0) + line["monthly"]
    options = []
    names = [name for service in table["reserved"].values() for name in (service or {})]
    for option in sorted(set(names), key=names.index):
        saving = sum(line["monthly"] * (table["reserved"].get(line["reserved_service"]) or {}).get(option, 0)
                     for line in month.lines if line["reserved_service"])
        options.append({"option": option, "monthly_total": round(total - saving, 2), "monthly_saving": round(saving, 2),
                        "saving_percent": round(100.0 * saving / total, 1) if total else 0.0})
    return {
        "currency": table["currency"],
        "as_of": str(table["as_of"]),
        "source": table.get("source", ""),
        "lines": [dict((key, round(value, 2) if key == "monthly" else value) for key, value in line.items()
                       if key != "reserved_service") for line in month.lines],
        "by_component": dict((name, round(value, 2)) for name, value in by_component.items()),
        "monthly_total": round(total, 2),
        "reserved": options,
        "assumptions": assumptions,
    }
