"""The alarm set, its comparison with CloudWatch, the dashboard and the SNS subscription rules
(module_utils/alarm_specs.py, cloudwatch_alarms.py, dashboards.py, sns_subscriptions.py)."""

import copy
from pathlib import Path

import yaml

from ansible_collections.dbfleet.aws.plugins.module_utils.alarm_specs import GIB
from ansible_collections.dbfleet.aws.plugins.module_utils.alarm_specs import MIB
from ansible_collections.dbfleet.aws.plugins.module_utils.alarm_specs import RDS_KEYS
from ansible_collections.dbfleet.aws.plugins.module_utils.alarm_specs import REDIS_KEYS
from ansible_collections.dbfleet.aws.plugins.module_utils.alarm_specs import rds_alarms
from ansible_collections.dbfleet.aws.plugins.module_utils.alarm_specs import redis_alarms
from ansible_collections.dbfleet.aws.plugins.module_utils.cloudwatch_alarms import alarm_changes
from ansible_collections.dbfleet.aws.plugins.module_utils.cloudwatch_alarms import validate_alarm
from ansible_collections.dbfleet.aws.plugins.module_utils.dashboards import dashboard_body
from ansible_collections.dbfleet.aws.plugins.module_utils.sns_subscriptions import subscription_problems

ROLE = Path(__file__).resolve().parents[4] / "roles" / "alarms"
COMMON = {"period": 300, "evaluation_periods": 2, "datapoints_to_alarm": 2, "treat_missing_data": "missing",
          "alarm_actions": ["arn:aws:sns:us-east-1:123456789012:t"], "ok_actions": [], "insufficient_data_actions": []}
RDS_SETTINGS = {"cpu_percent": 80.0, "free_storage_percent": 20.0, "connections_percent": 80.0,
                "freeable_memory_mib": 256.0, "read_latency_ms": 20.0, "write_latency_ms": 50.0,
                "replica_lag_seconds": 60.0, "disk_queue_depth": 64.0, "burst_balance_percent": 20.0}
REDIS_SETTINGS = {"cpu_percent": 80.0, "engine_cpu_percent": 80.0, "memory_percent": 80.0, "connections": 5000.0,
                  "evictions": 1000.0, "hit_rate_percent": 80.0, "replication_lag_seconds": 1.0, "swap_mib": 50.0}
WRITER = {"identifier": "app-prod", "role": "writer", "instance_class": "db.r6g.large", "allocated_storage": 100,
          "max_connections": 200}
REPLICA = dict(WRITER, identifier="app-prod-replica-1", role="replica")


def by_name(alarms):
    return dict((alarm["AlarmName"], alarm) for alarm in alarms)


def test_rds_thresholds_from_sizes():
    alarms = by_name(rds_alarms("app-prod", [WRITER, REPLICA], RDS_SETTINGS, COMMON))
    storage = alarms["app-prod-rds-app-prod-free-storage"]
    assert storage["Threshold"] == 20 * GIB == 21474836480
    assert storage["ComparisonOperator"] == "LessThanThreshold"
    assert alarms["app-prod-rds-app-prod-connections"]["Threshold"] == 160
    assert alarms["app-prod-rds-app-prod-freeable-memory"]["Threshold"] == 256 * MIB
    assert alarms["app-prod-rds-app-prod-read-latency"]["Threshold"] == 0.02
    assert alarms["app-prod-rds-app-prod-write-latency"]["Threshold"] == 0.05
    assert alarms["app-prod-rds-app-prod-replica-1-replica-lag"]["Threshold"] == 60
    assert "app-prod-rds-app-prod-replica-lag" not in alarms
    assert not [name for name in alarms if name.endswith("burst-balance")]
    cpu = alarms["app-prod-rds-app-prod-cpu"]
    assert cpu["Dimensions"] == [{"Name": "DBInstanceIdentifier", "Value": "app-prod"}]
    assert (cpu["Period"], cpu["EvaluationPeriods"], cpu["DatapointsToAlarm"]) == (300, 2, 2)
    assert cpu["AlarmActions"] == COMMON["alarm_actions"]
    assert "20 % of 100 GiB" in storage["AlarmDescription"]
    assert len(alarms) == 7 + 8


def test_storage_threshold_follows_the_allocated_storage():
    big = dict(WRITER, allocated_storage=437, max_connections=1802)
    alarms = by_name(rds_alarms("p", [big], dict(RDS_SETTINGS, connections_percent=90), COMMON))
    assert alarms["p-rds-app-prod-free-storage"]["Threshold"] == 437 * GIB * 20 // 100
    assert alarms["p-rds-app-prod-connections"]["Threshold"] == 1621


def test_burst_balance_on_burstable_classes_only():
    small = dict(WRITER, instance_class="db.t4g.medium")
    names = set(by_name(rds_alarms("p", [small, dict(REPLICA, instance_class="db.t3.large")], RDS_SETTINGS, COMMON)))
    assert {"p-rds-app-prod-burst-balance", "p-rds-app-prod-replica-1-burst-balance"} <= names


def test_enabled_alarms_select_keys():
    settings = dict(RDS_SETTINGS, enabled_alarms=["cpu", "replica-lag"])
    names = set(by_name(rds_alarms("p", [WRITER, REPLICA], settings, COMMON)))
    assert names == {"p-rds-app-prod-cpu", "p-rds-app-prod-replica-1-cpu", "p-rds-app-prod-replica-1-replica-lag"}


def test_redis_alarms_per_node_with_hit_rate_math():
    clusters = {"app-prod-001": "primary", "app-prod-002": "replica"}
    alarms = by_name(redis_alarms("p", clusters, REDIS_SETTINGS, COMMON))
    assert len(alarms) == 2 * len(REDIS_KEYS)
    hit_rate = alarms["p-redis-app-prod-001-hit-rate"]
    assert "MetricName" not in hit_rate and hit_rate["TreatMissingData"] == "notBreaching"
    queries = dict((query["Id"], query) for query in hit_rate["Metrics"])
    assert queries["hit_rate"]["Expression"] == "100 * hits / (hits + misses)"
    assert queries["hits"]["MetricStat"]["Metric"]["MetricName"] == "CacheHits"
    assert queries["misses"]["ReturnData"] is False
    assert alarms["p-redis-app-prod-002-evictions"]["Statistic"] == "Sum"
    assert alarms["p-redis-app-prod-002-swap"]["Threshold"] == 50 * MIB
    single = by_name(redis_alarms("p", {"app-dev-001": "primary"}, REDIS_SETTINGS, COMMON))
    assert "p-redis-app-dev-001-replication-lag" not in single


def described(alarm):
    """An alarm as DescribeAlarms returns it: extra fields, other order, numbers as floats."""
    result = copy.deepcopy(alarm)
    result.update({"AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + alarm["AlarmName"],
                   "StateValue": "OK", "AlarmConfigurationUpdatedTimestamp": "now"})
    result["AlarmActions"] = list(reversed(result["AlarmActions"]))
    for query in result.get("Metrics", []):
        query.pop("ReturnData") if query.get("ReturnData") is True else None
    if "Metrics" not in result:
        result["Metrics"] = []
    else:
        result["Dimensions"] = []
    return result


def test_described_alarms_compare_equal():
    for alarm in rds_alarms("p", [WRITER, REPLICA], RDS_SETTINGS, COMMON) + redis_alarms(
            "p", {"c-001": "primary", "c-002": "replica"}, REDIS_SETTINGS, COMMON):
        assert alarm_changes(alarm, described(alarm)) == []


def test_changes_are_detected():
    alarm = rds_alarms("p", [WRITER], RDS_SETTINGS, COMMON)[0]
    current = described(alarm)
    current["Threshold"] = 75.0
    current["OKActions"] = ["arn:aws:sns:us-east-1:123456789012:other"]
    assert alarm_changes(alarm, current) == ["OKActions", "Threshold"]
    hit_rate = redis_alarms("p", {"c-001": "primary"}, dict(REDIS_SETTINGS, enabled_alarms=["hit-rate"]), COMMON)[0]
    current = described(hit_rate)
    current["Metrics"][2]["Expression"] = "hits / (hits + misses)"
    assert alarm_changes(hit_rate, current) == ["Metrics"]


def test_validate_alarm_names_every_problem():
    assert validate_alarm(rds_alarms("p", [WRITER], RDS_SETTINGS, COMMON)[0], 0) == []
    problems = validate_alarm({"AlarmName": "x", "MetricName": "CPUUtilization", "Metrics": [{}], "Bogus": 1}, 3)
    assert "alarms[x].ComparisonOperator: required" in problems
    assert "alarms[x].Threshold: required" in problems
    assert any("either MetricName" in problem for problem in problems)
    assert any("unknown keys Bogus" in problem for problem in problems)
    assert validate_alarm({}, 3)[0] == "alarms[3].AlarmName: required, 1-255 characters"


def test_subscription_problems():
    good = [{"protocol": "email", "endpoint": "oncall@example.com"},
            {"protocol": "https", "endpoint": "https://hooks.example.com/x"},
            {"protocol": "sqs", "endpoint": "arn:aws:sqs:us-east-1:123456789012:alerts"},
            {"protocol": "lambda", "endpoint": "arn:aws:lambda:us-east-1:123456789012:function:page"}]
    assert subscription_problems(good) == []
    problems = subscription_problems([{"protocol": "sms", "endpoint": "+1"}, {"protocol": "https", "endpoint": "http://x"},
                                      {"protocol": "email"}])
    assert [problem.split(".")[0] for problem in problems] == ["[0]", "[1]", "[2]"]
    assert "https:// URL" in problems[1]


def test_dashboard_body():
    body = dashboard_body("us-east-1", ["db", "db-replica-1"], ["db-replica-1"], ["c-001", "c-002"])
    titles = [widget["properties"]["title"] for widget in body["widgets"]]
    assert "RDS replica lag (s)" in titles and "Redis cache hit rate (%)" in titles
    lag = body["widgets"][titles.index("RDS replica lag (s)")]
    assert lag["properties"]["metrics"] == [["AWS/RDS", "ReplicaLag", "DBInstanceIdentifier", "db-replica-1"]]
    positions = [(widget["x"], widget["y"]) for widget in body["widgets"]]
    assert len(set(positions)) == len(positions)
    no_replicas = dashboard_body("us-east-1", ["db"], [], [])
    assert "RDS replica lag (s)" not in [widget["properties"]["title"] for widget in no_replicas["widgets"]]


def test_role_argument_spec_lists_the_same_alarm_keys():
    options = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    assert tuple(options["alarms_rds_alarms"]["choices"]) == RDS_KEYS
    assert tuple(options["alarms_redis_alarms"]["choices"]) == REDIS_KEYS
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    assert tuple(defaults["alarms_rds_alarms"]) == RDS_KEYS and tuple(defaults["alarms_redis_alarms"]) == REDIS_KEYS


def test_an_absolute_storage_floor_and_per_alarm_overrides():
    """A 4 GiB floor however large the storage; the storage alarm evaluates one period
    (its datapoints follow), the CPU alarm notifies nobody; the others keep the common settings."""
    settings = dict(RDS_SETTINGS, free_storage_gib=4.0, enabled_alarms=["cpu", "free-storage", "connections"],
                    overrides={"free-storage": {"evaluation_periods": 1}, "cpu": {"alarm_actions": [], "period": 60}})
    common = dict(COMMON, alarm_actions=["topic"], topic_arn="arn:aws:sns:us-east-1:123456789012:t")
    found = by_name(rds_alarms("p", [dict(WRITER, allocated_storage=20)], settings, common))
    storage = found["p-rds-app-prod-free-storage"]
    assert storage["Threshold"] == 4 * 1024 ** 3
    assert "4 GiB of 20 GiB" in storage["AlarmDescription"]
    assert (storage["EvaluationPeriods"], storage["DatapointsToAlarm"], storage["Period"]) == (1, 1, 300)
    assert storage["AlarmActions"] == ["arn:aws:sns:us-east-1:123456789012:t"]
    cpu = found["p-rds-app-prod-cpu"]
    assert (cpu["AlarmActions"], cpu["Period"], cpu["EvaluationPeriods"]) == ([], 60, 2)
    connections = found["p-rds-app-prod-connections"]
    assert (connections["EvaluationPeriods"], connections["AlarmActions"]) == (
        2, ["arn:aws:sns:us-east-1:123456789012:t"])


def test_redis_overrides_reach_the_hit_rate_metric_math():
    settings = dict(REDIS_SETTINGS, overrides={"hit-rate": {"period": 60}, "evictions": {"period": 60}})
    found = by_name(redis_alarms("p", {"c-001": "primary"}, settings, COMMON))
    hit_rate = found["p-redis-c-001-hit-rate"]
    assert {query["MetricStat"]["Period"] for query in hit_rate["Metrics"] if "MetricStat" in query} == {60}
    assert found["p-redis-c-001-evictions"]["AlarmDescription"].endswith("per 60 s")
    assert found["p-redis-c-001-cpu"]["Period"] == 300


def test_warning_and_critical_levels_of_one_metric_with_their_own_actions():
    """Redis memory: a warning at 75 % to one topic, critical at 85 % to the role's topic;
    the other alarms stay single."""
    settings = dict(REDIS_SETTINGS, enabled_alarms=["memory", "cpu"], overrides={"memory": {"levels": [
        {"name": "warning", "threshold": 75, "alarm_actions": ["arn:aws:sns:us-east-1:123456789012:warn"]},
        {"name": "critical", "threshold": 85}]}})
    common = dict(COMMON, alarm_actions=["topic"], topic_arn="arn:aws:sns:us-east-1:123456789012:t")
    found = by_name(redis_alarms("p", {"c-001": "primary"}, settings, common))
    assert sorted(found) == ["p-redis-c-001-cpu", "p-redis-c-001-memory-critical", "p-redis-c-001-memory-warning"]
    warning, critical = found["p-redis-c-001-memory-warning"], found["p-redis-c-001-memory-critical"]
    assert (warning["Threshold"], warning["AlarmActions"]) == (75, ["arn:aws:sns:us-east-1:123456789012:warn"])
    assert (critical["Threshold"], critical["AlarmActions"]) == (85, ["arn:aws:sns:us-east-1:123456789012:t"])
    assert warning["AlarmDescription"].startswith("warning: c-001 DatabaseMemoryUsagePercentage > 75")
    assert found["p-redis-c-001-cpu"]["Threshold"] == 80


def test_levels_of_an_rds_threshold_in_its_own_unit():
    settings = dict(RDS_SETTINGS, free_storage_gib=10.0, enabled_alarms=["free-storage"], overrides={
        "free-storage": {"evaluation_periods": 1, "levels": [
            {"name": "warning", "threshold": 10}, {"name": "critical", "threshold": 5, "period": 60}]}})
    found = by_name(rds_alarms("p", [WRITER], settings, COMMON))
    warning, critical = found["p-rds-app-prod-free-storage-warning"], found["p-rds-app-prod-free-storage-critical"]
    assert (warning["Threshold"], warning["EvaluationPeriods"], warning["Period"]) == (10 * 1024 ** 3, 1, 300)
    assert (critical["Threshold"], critical["EvaluationPeriods"], critical["Period"]) == (5 * 1024 ** 3, 1, 60)
