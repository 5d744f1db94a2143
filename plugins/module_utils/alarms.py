# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure logic of the alarms role and the CloudWatch modules, without AWS calls.

* DB instance class memory and the evaluation of RDS parameter formulas such as
  ``LEAST({DBInstanceClassMemory/9531392},5000)`` (the default of max_connections).
* The alarm set of an environment: thresholds computed from the real sizes (allocated
  storage, max_connections) and the per-environment settings, in PutMetricAlarm shape.
* The comparison of a desired alarm with the one CloudWatch describes.
* The body of the environment's dashboard.
"""

import re

GIB = 1024 ** 3
MIB = 1024 ** 2

# Memory of the DB instance classes in GiB, from the hardware specifications of the DB
# instance classes in the Amazon RDS User Guide ("Hardware specifications for DB
# instance classes"). Burstable classes (t) are listed; the general-purpose (m) and
# memory-optimised (r) classes follow their family's memory per vCPU, 4 and 8 GiB,
# with 2 vCPUs in a "large" and 2 n vCPUs in an "<n>xlarge".
_BURSTABLE_GIB = {"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32}
_GIB_PER_LARGE = {"m": 8, "r": 16}
_CLASS = re.compile(r"^db\.(?P<family>[a-z]+\d*[a-z]*)\.(?P<size>micro|small|medium|large|(?P<n>\d*)xlarge)$")
_FAMILY_KIND = re.compile(r"^(?P<kind>t|m|r)\d+[a-z]*$")
BURSTABLE_PREFIXES = ("db.t2.", "db.t3.", "db.t4g.")


def class_memory_bytes(instance_class):
    """Memory of a DB instance class in bytes; None for a class not in the table.

    RDS's DBInstanceClassMemory is this minus what the operating system and the RDS
    processes reserve, which AWS does not publish, so formulas evaluated with it give
    an upper bound (about 5 % high for max_connections).
    """
    match = _CLASS.match(instance_class or "")
    if not match:
        return None
    kind = _FAMILY_KIND.match(match.group("family"))
    if not kind:
        return None
    size = match.group("size")
    if kind.group("kind") == "t":
        gib = _BURSTABLE_GIB.get(size)
        return gib * GIB if gib else None
    if size in ("micro", "small", "medium"):
        return None
    units = 1 if size == "large" else 2 * int(match.group("n") or 1)
    return _GIB_PER_LARGE[kind.group("kind")] * units * GIB


def is_burstable(instance_class):
    return (instance_class or "").startswith(BURSTABLE_PREFIXES)


# --- RDS parameter formulas ---------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(?P<number>\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[{}(),*/+-]))")


class FormulaError(ValueError):
    pass


def _tokens(text):
    position, tokens = 0, []
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise FormulaError("unexpected %r at position %d" % (text[position:position + 10], position))
        tokens.append(match.group("number") or match.group("name") or match.group("op"))
        position = match.end()
    return tokens


class _Parser(object):
    """RDS formula grammar: value := number | {product} | FUNC(value, ...) with FUNC in
    LEAST, GREATEST, SUM; product := factor ((*|/) factor)*; factor := number | variable.
    Division is integer division, as RDS evaluates it."""

    FUNCTIONS = {"LEAST": min, "GREATEST": max, "SUM": sum}

    def __init__(self, tokens, variables):
        self.tokens = tokens
        self.variables = variables
        self.position = 0

    def peek(self):
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, expected=None):
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise FormulaError("expected %s, found %s" % (expected or "a value", token or "the end"))
        self.position += 1
        return token

    def factor(self):
        token = self.take()
        if token.isdigit():
            return int(token)
        if token in self.variables:
            return self.variables[token]
        raise FormulaError("unknown variable %s" % token)

    def product(self):
        value = self.factor()
        while self.peek() in ("*", "/"):
            operator = self.take()
            operand = self.factor()
            if operator == "*":
                value *= operand
            elif operand == 0:
                raise FormulaError("division by zero")
            else:
                value //= operand
        return value

    def value(self):
        token = self.peek()
        if token == "{":
            self.take("{")
            result = self.product()
            self.take("}")
            return result
        if token is not None and token.upper() in self.FUNCTIONS:
            function = self.FUNCTIONS[self.take().upper()]
            self.take("(")
            arguments = [self.value()]
            while self.peek() == ",":
                self.take(",")
                arguments.append(self.value())
            self.take(")")
            return function(arguments)
        if token is not None and token.isdigit():
            return int(self.take())
        raise FormulaError("expected a number, {formula} or LEAST/GREATEST/SUM, found %s" % (token or "the end"))

    def parse(self):
        result = self.value()
        if self.peek() is not None:
            raise FormulaError("unexpected %s after the value" % self.peek())
        return result


def evaluate_formula(text, variables):
    """Integer value of an RDS parameter value: a number or a formula over `variables`."""
    return _Parser(_tokens(str(text)), variables).parse()


def resolve_max_connections(value, instance_class, allocated_storage_gib=None):
    """(max_connections, how) for a parameter value read from the instance's parameter group.

    `how` is "explicit" for a number and "formula" for an evaluated formula. Raises
    FormulaError when the formula cannot be evaluated (unknown class memory, syntax)."""
    text = str(value).strip()
    if text.isdigit():
        return int(text), "explicit"
    memory = class_memory_bytes(instance_class)
    if memory is None:
        raise FormulaError("the memory of instance class %s is not known" % instance_class)
    variables = {"DBInstanceClassMemory": memory}
    if allocated_storage_gib is not None:
        variables["AllocatedStorage"] = int(allocated_storage_gib) * GIB
    return evaluate_formula(text, variables), "formula"


# --- the alarm set --------------------------------------------------------------------------

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


def rds_threshold(key, settings, instance):
    """Threshold of an RDS alarm in the metric's unit (bytes, seconds, count, percent)."""
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
            threshold = rds_threshold(key, settings, instance)
            alarms.append(_metric_alarm(
                common, alarm_name(prefix, "rds", instance["identifier"], key),
                "%s %s %s %s (%s)" % (instance["identifier"], metric, ">" if comparison == GREATER else "<",
                                      _number(threshold), describe_threshold(key, settings, instance)),
                RDS_NAMESPACE, metric, statistic, [("DBInstanceIdentifier", instance["identifier"])],
                comparison, threshold))
    return alarms


def describe_threshold(key, settings, instance):
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
            threshold = redis_threshold(key, settings)
            name = alarm_name(prefix, "redis", cluster_id, key)
            if key == "hit-rate":
                alarms.append(_hit_rate_alarm(common, name, "%s cache hit rate < %s %%" % (cluster_id, _number(threshold)),
                                              cluster_id, threshold))
                continue
            description = "%s %s %s %s" % (cluster_id, metric, ">" if comparison == GREATER else "<", _number(threshold))
            if key == "evictions":
                description += " per %s s" % int(common["period"])
            alarms.append(_metric_alarm(common, name, description, ELASTICACHE_NAMESPACE, metric, statistic,
                                        [("CacheClusterId", cluster_id)], comparison, threshold))
    return alarms


# --- comparing with CloudWatch ------------------------------------------------------------

COMPARED_KEYS = (
    "AlarmDescription", "ComparisonOperator", "Threshold", "EvaluationPeriods", "DatapointsToAlarm",
    "TreatMissingData", "ActionsEnabled", "AlarmActions", "OKActions", "InsufficientDataActions",
    "Namespace", "MetricName", "Statistic", "ExtendedStatistic", "Period", "Unit", "Dimensions", "Metrics",
    "EvaluateLowSampleCountPercentile", "ThresholdMetricId",
)
_DEFAULTS = {"TreatMissingData": "missing", "ActionsEnabled": True}
_EMPTY_LISTS = ("AlarmActions", "OKActions", "InsufficientDataActions", "Dimensions", "Metrics")


def _normalise_metrics(metrics):
    result = []
    for query in metrics or []:
        query = dict(query)
        query.setdefault("ReturnData", True)
        stat = query.get("MetricStat")
        if stat:
            stat = dict(stat)
            metric = dict(stat["Metric"])
            metric["Dimensions"] = sorted(metric.get("Dimensions") or [], key=lambda d: d["Name"])
            stat["Metric"] = metric
            query["MetricStat"] = stat
        result.append(dict((k, v) for k, v in query.items() if v is not None))
    return result


def comparable(alarm):
    """The configuration of an alarm as PutMetricAlarm takes it, normalised so that a
    described alarm and a desired one compare equal when CloudWatch would not change."""
    result = {}
    for key in COMPARED_KEYS:
        value = alarm.get(key)
        if value is None:
            value = _DEFAULTS.get(key)
        if key in _EMPTY_LISTS and not value:
            continue
        if value is None:
            continue
        if key == "Threshold":
            value = float(value)
        elif key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
            value = sorted(value)
        elif key == "Dimensions":
            value = sorted(({"Name": d["Name"], "Value": d["Value"]} for d in value), key=lambda d: d["Name"])
        elif key == "Metrics":
            value = _normalise_metrics(value)
        result[key] = value
    return result


def alarm_changes(desired, current):
    """Keys whose value differs between a desired alarm and the described one."""
    want, have = comparable(desired), comparable(current)
    return sorted(key for key in set(want) | set(have) if want.get(key) != have.get(key))


def validate_alarm(alarm, index):
    """Problems of one desired alarm (PutMetricAlarm shape), each naming the field."""
    where = "alarms[%d]" % index
    problems = []
    name = alarm.get("AlarmName")
    if not name or not isinstance(name, str) or len(name) > 255:
        problems.append("%s.AlarmName: required, 1-255 characters" % where)
    else:
        where = "alarms[%s]" % name
    for key in ("ComparisonOperator", "EvaluationPeriods", "Threshold"):
        if alarm.get(key) is None and not (key == "Threshold" and alarm.get("ThresholdMetricId")):
            problems.append("%s.%s: required" % (where, key))
    has_metric = bool(alarm.get("MetricName"))
    has_metrics = bool(alarm.get("Metrics"))
    if has_metric == has_metrics:
        problems.append("%s: give either MetricName (with Namespace, Period, Statistic) or Metrics" % where)
    if has_metric:
        for key in ("Namespace", "Period"):
            if not alarm.get(key):
                problems.append("%s.%s: required with MetricName" % (where, key))
        if bool(alarm.get("Statistic")) == bool(alarm.get("ExtendedStatistic")):
            problems.append("%s: give exactly one of Statistic and ExtendedStatistic" % where)
    unknown = sorted(set(alarm) - set(COMPARED_KEYS) - set(["AlarmName"]))
    if unknown:
        problems.append("%s: unknown keys %s" % (where, ", ".join(unknown)))
    return problems


# --- the dashboard -----------------------------------------------------------------------------

def _widget(title, namespace, metric, dimension, resources, region, stat, x, y, width=12, height=6):
    return {
        "type": "metric", "x": x, "y": y, "width": width, "height": height,
        "properties": {
            "title": title, "region": region, "stat": stat, "period": 300, "view": "timeSeries",
            "metrics": [[namespace, metric, dimension, resource] for resource in resources],
        },
    }


RDS_WIDGETS = (
    ("RDS CPU (%)", "CPUUtilization", "Average"),
    ("RDS connections", "DatabaseConnections", "Maximum"),
    ("RDS free storage (bytes)", "FreeStorageSpace", "Minimum"),
    ("RDS freeable memory (bytes)", "FreeableMemory", "Minimum"),
    ("RDS read latency (s)", "ReadLatency", "Average"),
    ("RDS write latency (s)", "WriteLatency", "Average"),
    ("RDS replica lag (s)", "ReplicaLag", "Maximum"),
    ("RDS disk queue depth", "DiskQueueDepth", "Average"),
)
REDIS_WIDGETS = (
    ("Redis engine CPU (%)", "EngineCPUUtilization", "Average"),
    ("Redis memory (%)", "DatabaseMemoryUsagePercentage", "Average"),
    ("Redis connections", "CurrConnections", "Maximum"),
    ("Redis evictions", "Evictions", "Sum"),
    ("Redis replication lag (s)", "ReplicationLag", "Maximum"),
    ("Redis swap (bytes)", "SwapUsage", "Average"),
)


def dashboard_body(region, db_instances, replicas, cache_clusters):
    """CloudWatch dashboard body (a dict) with RDS and Redis widgets, two per row."""
    widgets = []
    rows = []
    if db_instances:
        for title, metric, stat in RDS_WIDGETS:
            resources = replicas if metric == "ReplicaLag" else db_instances
            if resources:
                rows.append((title, RDS_NAMESPACE, metric, "DBInstanceIdentifier", resources, stat))
    if cache_clusters:
        for title, metric, stat in REDIS_WIDGETS:
            if metric == "ReplicationLag" and len(cache_clusters) < 2:
                continue
            rows.append((title, ELASTICACHE_NAMESPACE, metric, "CacheClusterId", cache_clusters, stat))
    for index, (title, namespace, metric, dimension, resources, stat) in enumerate(rows):
        widgets.append(_widget(title, namespace, metric, dimension, list(resources), region, stat,
                               x=(index % 2) * 12, y=(index // 2) * 6))
    if cache_clusters:
        index = len(rows)
        widgets.append({
            "type": "metric", "x": (index % 2) * 12, "y": (index // 2) * 6, "width": 12, "height": 6,
            "properties": {
                "title": "Redis cache hit rate (%)", "region": region, "period": 300, "view": "timeSeries",
                "metrics": [
                    [{"expression": "100 * h%d / (h%d + m%d)" % (n, n, n), "label": cluster, "id": "r%d" % n}]
                    for n, cluster in enumerate(cache_clusters)
                ] + [
                    item for n, cluster in enumerate(cache_clusters) for item in (
                        [ELASTICACHE_NAMESPACE, "CacheHits", "CacheClusterId", cluster,
                         {"id": "h%d" % n, "stat": "Sum", "visible": False}],
                        [ELASTICACHE_NAMESPACE, "CacheMisses", "CacheClusterId", cluster,
                         {"id": "m%d" % n, "stat": "Sum", "visible": False}],
                    )
                ],
            },
        })
    return {"widgets": widgets}


# --- SNS subscriptions ---------------------------------------------------------------------------

SUBSCRIPTION_ENDPOINTS = {
    "email": (re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), "an e-mail address"),
    "https": (re.compile(r"^https://\S+$"), "an https:// URL"),
    "sqs": (re.compile(r"^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:\S+$"), "an SQS queue ARN"),
    "lambda": (re.compile(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:\S+$"), "a Lambda function ARN"),
}


def subscription_problems(subscriptions):
    """Problems of SNS subscriptions ({protocol, endpoint}), each naming the entry."""
    problems = []
    for index, subscription in enumerate(subscriptions or []):
        if not isinstance(subscription, dict):
            problems.append("[%d] must be a dict with protocol and endpoint" % index)
            continue
        protocol, endpoint = subscription.get("protocol"), subscription.get("endpoint")
        if protocol not in SUBSCRIPTION_ENDPOINTS:
            problems.append("[%d].protocol must be one of %s (got %r)" % (index, ", ".join(sorted(SUBSCRIPTION_ENDPOINTS)), protocol))
            continue
        pattern, what = SUBSCRIPTION_ENDPOINTS[protocol]
        if not isinstance(endpoint, str) or not pattern.match(endpoint):
            problems.append("[%d].endpoint must be %s for protocol %s (got %r)" % (index, what, protocol, endpoint))
    return problems
