# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The alarm set of an environment, without AWS calls: thresholds computed from the real
sizes (allocated storage, max_connections) and the per-environment settings, as
PutMetricAlarm requests (plugins/filter/alarms.py, roles/alarms)."""

GIB = 1024 ** 3
MIB = 1024 ** 2
BURSTABLE_PREFIXES = ("db.t2.", "db.t3.", "db.t4g.")


def is_burstable(instance_class):
    return (instance_class or "").startswith(BURSTABLE_PREFIXES)


RDS_NAMESPACE = "AWS/RDS"
ELASTICACHE_NAMESPACE = "AWS/ElastiCache"
GREATER = "GreaterThanThreshold"
LESS = "LessThanThreshold"

# key: (metric, statistic, comparison, applies to: all | replica | burstable)
RDS_ALARMS = (
    ("cpu", "CPUUtilization", "Average", GREATER, "all"),
    ("free-storage", "FreeStorageSpace", "Average", LESS, "all"),
    ("connections", "DatabaseConnections", "Maximum", GREATER, "all"),
    ("freeable-memory", "FreeableMemory", "Average", LESS, "all"),
    ("read-latency", "ReadLatency", "Average", GREATER, "all"),
    ("write-latency", "WriteLatency", "Average", GREATER, "all"),
    ("replica-lag", "ReplicaLag", "Maximum", GREATER, "replica"),
    ("disk-queue-depth", "DiskQueueDepth", "Average", GREATER, "all"),
    ("burst-balance", "BurstBalance", "Average", LESS, "burstable"),
)
# key: (metric, statistic, comparison, applies to: all | replicated); hit-rate is metric math.
REDIS_ALARMS = (
    ("cpu", "CPUUtilization", "Average", GREATER, "all"),
    ("engine-cpu", "EngineCPUUtilization", "Average", GREATER, "all"),
    ("memory", "DatabaseMemoryUsagePercentage", "Average", GREATER, "all"),
    ("connections", "CurrConnections", "Maximum", GREATER, "all"),
    ("evictions", "Evictions", "Sum", GREATER, "all"),
    ("hit-rate", None, None, LESS, "all"),
    ("replication-lag", "ReplicationLag", "Maximum", GREATER, "replicated"),
    ("swap", "SwapUsage", "Average", GREATER, "all"),
)
RDS_KEYS = tuple(spec[0] for spec in RDS_ALARMS)
REDIS_KEYS = tuple(spec[0] for spec in REDIS_ALARMS)


# What an alarm may set for itself over the role's common settings
# (alarms_rds_overrides, alarms_redis_overrides), and for each of its levels.
OVERRIDABLE = ("period", "evaluation_periods", "datapoints_to_alarm", "treat_missing_data", "alarm_actions",
               "ok_actions", "insufficient_data_actions")
ACTION_KEYS = ("alarm_actions", "ok_actions", "insufficient_data_actions")
# The setting that holds each alarm's threshold, in the unit the inventory writes it.
THRESHOLD_SETTINGS = {
    "rds": {"cpu": "cpu_percent", "free-storage": "free_storage_percent", "connections": "connections_percent",
            "freeable-memory": "freeable_memory_mib", "read-latency": "read_latency_ms",
            "write-latency": "write_latency_ms", "replica-lag": "replica_lag_seconds",
            "disk-queue-depth": "disk_queue_depth", "burst-balance": "burst_balance_percent"},
    "redis": {"cpu": "cpu_percent", "engine-cpu": "engine_cpu_percent", "memory": "memory_percent",
              "connections": "connections", "evictions": "evictions", "hit-rate": "hit_rate_percent",
              "replication-lag": "replication_lag_seconds", "swap": "swap_mib"},
}


def threshold_setting(service, key, settings):
    """The settings key of an alarm's threshold (free storage: the GiB floor when set)."""
    if service == "rds" and key == "free-storage" and settings.get("free_storage_gib"):
        return "free_storage_gib"
    return THRESHOLD_SETTINGS[service][key]


def alarm_levels(service, key, settings):
    """[(name suffix, settings, override)]: the alarm once, or once per level of its
    override (`levels: [{name, threshold, <overridable>...}]`), each level with its own
    threshold (in the unit of the alarm's variable) over the alarm's override."""
    override = dict((settings.get("overrides") or {}).get(key) or {})
    levels = override.pop("levels", None)
    if not levels:
        return [("", settings, override)]
    found = []
    for level in levels:
        level_settings = dict(settings)
        level_settings[threshold_setting(service, key, settings)] = float(level["threshold"])
        level_override = dict(override)
        level_override.update((name, value) for name, value in level.items() if name in OVERRIDABLE)
        found.append(("-" + level["name"], level_settings, level_override))
    return found


def alarm_common(common, override):
    """The common settings of one alarm: the role's, with the alarm's override over them
    (datapoints_to_alarm follows an overridden evaluation_periods unless set too), and the
    word topic in its actions replaced by the topic's ARN."""
    merged = dict(common)
    merged.update(override or {})
    if "evaluation_periods" in (override or {}) and "datapoints_to_alarm" not in override:
        merged["datapoints_to_alarm"] = override["evaluation_periods"]
    for name in ACTION_KEYS:
        merged[name] = [common.get("topic_arn") if action == "topic" else action for action in merged.get(name) or []]
    return merged


def rds_threshold(key, settings, instance):
    """Threshold of an RDS alarm in the metric's unit (bytes, seconds, count, percent)."""
    if key == "free-storage" and settings.get("free_storage_gib"):
        return int(float(settings["free_storage_gib"]) * GIB)
    if key == "free-storage":
        return int(instance["allocated_storage"] * GIB * settings["free_storage_percent"] // 100)
    if key == "connections":
        return int(instance["max_connections"] * settings["connections_percent"] // 100)
    if key == "freeable-memory":
        return int(settings["freeable_memory_mib"] * MIB)
    if key in ("read-latency", "write-latency"):
        return settings[key.replace("-", "_") + "_ms"] / 1000.0
    return {
        "cpu": settings["cpu_percent"],
        "replica-lag": settings["replica_lag_seconds"],
        "disk-queue-depth": settings["disk_queue_depth"],
        "burst-balance": settings["burst_balance_percent"],
    }[key]


def redis_threshold(key, settings):
    if key == "swap":
        return int(settings["swap_mib"] * MIB)
    return {
        "cpu": settings["cpu_percent"],
        "engine-cpu": settings["engine_cpu_percent"],
        "memory": settings["memory_percent"],
        "connections": settings["connections"],
        "evictions": settings["evictions"],
        "hit-rate": settings["hit_rate_percent"],
        "replication-lag": settings["replication_lag_seconds"],
    }[key]


def _level(suffix):
    """The "warning: " that opens the description of a level's alarm."""
    return "%s: " % suffix[1:] if suffix else ""


def alarm_name(prefix, service, resource, key):
    return "%s-%s-%s-%s" % (prefix, service, resource, key)


def _number(value):
    """CloudWatch stores thresholds as doubles; keep integers integral for stable comparisons."""
    value = float(value)
    return int(value) if value.is_integer() else value


def _base(common, name, description, comparison, threshold):
    return {
        "AlarmName": name,
        "AlarmDescription": description,
        "ComparisonOperator": comparison,
        "Threshold": float(_number(threshold)),
        "EvaluationPeriods": int(common["evaluation_periods"]),
        "DatapointsToAlarm": int(common.get("datapoints_to_alarm") or common["evaluation_periods"]),
        "TreatMissingData": common.get("treat_missing_data") or "missing",
        "ActionsEnabled": True,
        "AlarmActions": list(common.get("alarm_actions") or []),
        "OKActions": list(common.get("ok_actions") or []),
        "InsufficientDataActions": list(common.get("insufficient_data_actions") or []),
    }


def _metric_alarm(common, name, description, namespace, metric, statistic, dimensions, comparison, threshold):
    alarm = _base(common, name, description, comparison, threshold)
    alarm.update({
        "Namespace": namespace,
        "MetricName": metric,
        "Statistic": statistic,
        "Period": int(common["period"]),
        "Dimensions": [{"Name": key, "Value": value} for key, value in dimensions],
    })
    return alarm


def _hit_rate_alarm(common, name, description, cluster_id, threshold):
    alarm = _base(common, name, description, LESS, threshold)
    # No requests in a period gives no data point (0 / 0), which is not a breach.
    alarm["TreatMissingData"] = "notBreaching"

    def stat(query_id, metric):
        return {
            "Id": query_id,
            "MetricStat": {
                "Metric": {"Namespace": ELASTICACHE_NAMESPACE, "MetricName": metric,
                           "Dimensions": [{"Name": "CacheClusterId", "Value": cluster_id}]},
                "Period": int(common["period"]),
                "Stat": "Sum",
            },
            "ReturnData": False,
        }

    alarm["Metrics"] = [
        stat("hits", "CacheHits"),
        stat("misses", "CacheMisses"),
        {"Id": "hit_rate", "Expression": "100 * hits / (hits + misses)", "Label": "Cache hit rate (%)",
         "ReturnData": True},
    ]
    return alarm


def rds_alarms(prefix, instances, settings, common):
    """Alarms of the writer and replicas; `instances` hold identifier, role (writer or
    replica), instance_class, allocated_storage (GiB) and max_connections."""
    alarms = []
    enabled = settings.get("enabled_alarms") or RDS_KEYS
    for instance in instances:
        for key, metric, statistic, comparison, applies in RDS_ALARMS:
            if key not in enabled:
                continue
            if applies == "replica" and instance["role"] != "replica":
                continue
            if applies == "burstable" and not is_burstable(instance["instance_class"]):
                continue
            for suffix, level_settings, override in alarm_levels("rds", key, settings):
                threshold = rds_threshold(key, level_settings, instance)
                alarms.append(_metric_alarm(
                    alarm_common(common, override), alarm_name(prefix, "rds", instance["identifier"], key) + suffix,
                    "%s%s %s %s %s (%s)" % (_level(suffix), instance["identifier"], metric,
                                            ">" if comparison == GREATER else "<", _number(threshold),
                                            describe_threshold(key, level_settings, instance)),
                    RDS_NAMESPACE, metric, statistic, [("DBInstanceIdentifier", instance["identifier"])],
                    comparison, threshold))
    return alarms


def describe_threshold(key, settings, instance):
    if key == "free-storage" and settings.get("free_storage_gib"):
        return "%s GiB of %s GiB" % (_number(settings["free_storage_gib"]), instance["allocated_storage"])
    if key == "free-storage":
        return "%s %% of %s GiB" % (_number(settings["free_storage_percent"]), instance["allocated_storage"])
    if key == "connections":
        return "%s %% of max_connections %s" % (_number(settings["connections_percent"]), instance["max_connections"])
    if key == "freeable-memory":
        return "%s MiB" % _number(settings["freeable_memory_mib"])
    if key in ("read-latency", "write-latency"):
        return "%s ms" % _number(settings[key.replace("-", "_") + "_ms"])
    return "managed by dbfleet.aws"


def redis_alarms(prefix, clusters, settings, common):
    """Alarms of every member cluster (node) of a replication group; `clusters` is
    {cache_cluster_id: role}."""
    alarms = []
    enabled = settings.get("enabled_alarms") or REDIS_KEYS
    replicated = len(clusters) > 1
    for cluster_id in sorted(clusters):
        for key, metric, statistic, comparison, applies in REDIS_ALARMS:
            if key not in enabled or (applies == "replicated" and not replicated):
                continue
            for suffix, level_settings, override in alarm_levels("redis", key, settings):
                threshold = redis_threshold(key, level_settings)
                name = alarm_name(prefix, "redis", cluster_id, key) + suffix
                alarm_settings = alarm_common(common, override)
                if key == "hit-rate":
                    alarms.append(_hit_rate_alarm(alarm_settings, name, "%s%s cache hit rate < %s %%" % (
                        _level(suffix), cluster_id, _number(threshold)), cluster_id, threshold))
                    continue
                description = "%s%s %s %s %s" % (_level(suffix), cluster_id, metric,
                                                 ">" if comparison == GREATER else "<", _number(threshold))
                if key == "evictions":
                    description += " per %s s" % int(alarm_settings["period"])
                alarms.append(_metric_alarm(alarm_settings, name, description, ELASTICACHE_NAMESPACE, metric,
                                            statistic, [("CacheClusterId", cluster_id)], comparison, threshold))
    return alarms
