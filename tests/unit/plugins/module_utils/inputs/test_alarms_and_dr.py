"""The alarms and dr roles' input rules (plugins/module_utils/inputs/alarms.py, dr.py) on
the roles' defaults and the local inventory, broken one at a time."""

import pytest
import yaml

from ansible_collections.dbfleet.aws.plugins.module_utils.inputs import alarms
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs import dr
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import Values

from conftest import REPO_ROOT


def role_values(role, **changes):
    """The role's defaults that hold no template, with the changes."""
    defaults = yaml.safe_load((REPO_ROOT / "roles" / role / "defaults" / "main.yml").read_text())
    plain = dict((name, value) for name, value in defaults.items() if "{{" not in str(value))
    names = {"dbfleet_region": "us-east-1", "alarms_name_prefix": "dbfleet-local", "alarms_topic_name": "t",
             "alarms_dashboard_name": "d", "alarms_rds_event_subscription_name": "e"}
    return Values(plain, **{**names, **changes})


def test_the_defaults_pass():
    assert alarms.problems(role_values("alarms")) == []
    assert dr.problems(role_values("dr")) == []


@pytest.mark.parametrize("changes, expected", [
    ({"alarms_period": 45}, "alarms_period: must be 10, 30 or a multiple of 60 seconds (got 45)"),
    ({"alarms_period": 3600, "alarms_evaluation_periods": 25},
     "alarms_evaluation_periods: alarms_period times alarms_evaluation_periods must be at most one day"),
    ({"alarms_evaluation_periods": 2, "alarms_datapoints_to_alarm": 3},
     "alarms_datapoints_to_alarm: must be between 1 and alarms_evaluation_periods 2 (got 3)"),
    ({"alarms_rds_cpu_percent": 120.0}, "alarms_rds_cpu_percent: must be between 0 and 100 (got 120.0)"),
    ({"alarms_redis_swap_mib": 0.0}, "alarms_redis_swap_mib: must be above 0 (got 0.0)"),
    ({"alarms_ok_actions": ["sns-topic"]}, "alarms_ok_actions: 'sns-topic' must be an ARN or the word topic"),
    ({"alarms_name_prefix": "bad--prefix"}, "alarms_name_prefix: must be 1-100 letters"),
    ({"alarms_subscriptions": [{"protocol": "email", "endpoint": "ops"}]}, "alarms_subscriptions: "),
    ({"alarms_elasticache_notifications": True, "elasticache_notification_topic_arn": "arn:aws:sns:us-east-1:1:t"},
     "elasticache_notification_topic_arn: must be empty when alarms_elasticache_notifications is true"),
    ({"alarms_rds_free_storage_gib": 100.0, "rds_allocated_storage": 100},
     "alarms_rds_free_storage_gib: must be below rds_allocated_storage 100 GiB, or the alarm is always on (got 100.0)"),
    ({"alarms_rds_free_storage_gib": -1.0}, "alarms_rds_free_storage_gib: must be 0 (use the percentage) or above"),
    ({"alarms_rds_overrides": {"storage": {"period": 60}}},
     "alarms_rds_overrides: no rds alarm is called storage (cpu, free-storage, "),
    ({"alarms_rds_overrides": {"cpu": {"threshold": 90}}},
     "alarms_rds_overrides.cpu: threshold cannot be set per alarm (period, "),
    ({"alarms_redis_overrides": {"evictions": {"period": 3600, "evaluation_periods": 25}}},
     "alarms_redis_overrides.evictions.evaluation_periods: alarms_redis_overrides.evictions.period times "
     "alarms_redis_overrides.evictions.evaluation_periods must be at most one day"),
    ({"alarms_rds_overrides": {"cpu": {"datapoints_to_alarm": 3}}},
     "alarms_rds_overrides.cpu.datapoints_to_alarm: must be between 1 and alarms_evaluation_periods 2 (got 3)"),
    ({"alarms_rds_overrides": {"cpu": {"alarm_actions": ["pager"]}}},
     "alarms_rds_overrides.cpu.alarm_actions: 'pager' must be an ARN or the word topic"),
    ({"alarms_topic_enabled": False, "alarms_alarm_actions": [], "alarms_ok_actions": [],
      "alarms_rds_events_enabled": False, "alarms_elasticache_notifications": False,
      "alarms_rds_overrides": {"cpu": {"ok_actions": ["topic"]}}},
     "alarms_rds_overrides.cpu.ok_actions: names the topic, but alarms_topic_enabled is false"),
    ({"alarms_topic_enabled": False, "alarms_ok_actions": [], "alarms_rds_events_enabled": False,
      "alarms_elasticache_notifications": False},
     "alarms_alarm_actions: names the topic, but alarms_topic_enabled is false"),
    ({"alarms_topic_enabled": False, "alarms_alarm_actions": [], "alarms_ok_actions": [],
      "alarms_elasticache_notifications": False},
     "alarms_rds_events_enabled: must be false when alarms_topic_enabled is false"),
], ids=["period", "one-day", "datapoints", "percent", "positive", "actions", "prefix", "subscriptions", "notifications",
        "storage-floor", "storage-floor-negative", "override-alarm", "override-option", "override-one-day",
        "override-datapoints", "override-actions", "override-topic", "no-topic-actions", "no-topic-events"])
def test_each_broken_alarms_rule_names_its_variable(changes, expected):
    (problem,) = alarms.problems(role_values("alarms", **changes))
    assert problem.startswith(expected)


@pytest.mark.parametrize("changes, expected", [
    ({"dr_copy_retention": {"keep_last": 2}}, ["dr_copy_retention: needs dr_copy_region"]),
    ({"dr_copy_region": "us-east-1"}, ["dr_copy_region: must differ from dbfleet_region us-east-1"]),
    ({"dr_rto_minutes": 0}, ["dr_rto_minutes: must be at least 1 (got 0)"]),
    ({"dr_elasticache_snapshot_retention": {"max_age_days": 0}},
     ["dr_elasticache_snapshot_retention.max_age_days: 0 would delete every unprotected snapshot; use at least 1 "
      "or leave it out"]),
    ({"dr_replica_enabled": True, "dr_replica_region": "us-east-1", "dr_replica_identifier": "db-"},
     ["dr_replica_region: dr_replica_enabled needs a region other than dbfleet_region us-east-1 (got 'us-east-1')",
      "dr_replica_identifier: must be 1-63 letters, digits or single hyphens, starting with a letter and not ending "
      "with a hyphen (got 'db-')"]),
], ids=["copy-without-region", "same-region", "rto", "max-age-zero", "replica"])
def test_each_broken_dr_rule_names_its_variable(changes, expected):
    assert dr.problems(role_values("dr", **changes)) == expected


def test_overrides_and_a_storage_floor_that_keep_the_rules_pass():
    assert alarms.problems(role_values(
        "alarms", alarms_rds_free_storage_gib=4.0, rds_allocated_storage=20,
        alarms_rds_overrides={"free-storage": {"evaluation_periods": 1}, "cpu": {"period": 60, "alarm_actions": []}},
        alarms_topic_enabled=False, alarms_alarm_actions=[], alarms_ok_actions=[], alarms_rds_events_enabled=False,
        alarms_elasticache_notifications=False)) == []


def test_without_a_cache_its_notifications_need_no_topic():
    assert alarms.problems(role_values(
        "alarms", alarms_topic_enabled=False, alarms_alarm_actions=[], alarms_ok_actions=[],
        alarms_rds_events_enabled=False, alarms_redis_enabled=False)) == []


def test_levels_of_one_alarm_pass_when_each_keeps_the_rules():
    assert alarms.problems(role_values("alarms", alarms_redis_evictions=0.0, alarms_redis_overrides={"memory": {
        "levels": [{"name": "warning", "threshold": 75, "alarm_actions": ["arn:aws:sns:us-east-1:1:warn"]},
                   {"name": "critical", "threshold": 85}]}})) == []


@pytest.mark.parametrize("levels, expected", [
    ([{"name": "warning", "threshold": 175}],
     ["alarms_redis_overrides.memory.levels[0].threshold: must be between 0 and 100 (got 175.0)"]),
    ([{"name": "Warning", "threshold": 75}, {"name": "x", "threshold": "high"}],
     ["alarms_redis_overrides.memory.levels[0].name: must be 1-31 lower-case letters, digits or hyphens, "
      "starting with a letter (got 'Warning')",
      "alarms_redis_overrides.memory.levels[1].threshold: must be a number in the unit of alarms_redis_memory_percent "
      "(got 'high')"]),
    ([{"name": "warning", "threshold": 75}, {"name": "warning", "threshold": 85, "evaluation_periods": 0}],
     ["alarms_redis_overrides.memory.levels[0].name: warning names two levels",
      "alarms_redis_overrides.memory.levels[1].name: warning names two levels",
      "alarms_redis_overrides.memory.levels[1].evaluation_periods: must be at least 1 (got 0)"]),
    ([{"name": "warning", "threshold": 75, "severity": 2, "ok_actions": ["pager"]}],
     ["alarms_redis_overrides.memory.levels[0]: severity cannot be set per level (name, threshold, period, "
      "evaluation_periods, datapoints_to_alarm, treat_missing_data, alarm_actions, ok_actions, "
      "insufficient_data_actions)",
      "alarms_redis_overrides.memory.levels[0].ok_actions: 'pager' must be an ARN or the word topic"]),
], ids=["threshold-rule", "name-and-type", "twice-and-timing", "unknown-and-actions"])
def test_each_broken_level_rule_names_the_level(levels, expected):
    assert alarms.problems(role_values("alarms", alarms_redis_overrides={"memory": {"levels": levels}})) == expected


def test_evictions_may_alarm_on_any_eviction_but_not_below_zero():
    assert alarms.problems(role_values("alarms", alarms_redis_evictions=0.0)) == []
    assert alarms.problems(role_values("alarms", alarms_redis_evictions=-1.0)) == [
        "alarms_redis_evictions: must be 0 or above (got -1.0)"]


def test_a_storage_level_follows_the_unit_of_the_storage_threshold():
    """With a GiB floor, a free-storage level is in GiB (below the allocated storage);
    without, a percentage."""
    levels = {"free-storage": {"levels": [{"name": "critical", "threshold": 150}]}}
    assert alarms.problems(role_values("alarms", alarms_rds_overrides=levels, alarms_rds_free_storage_gib=5.0,
                                       rds_allocated_storage=100)) == [
        "alarms_rds_overrides.free-storage.levels[0].threshold: must be below rds_allocated_storage 100 GiB, or the "
        "alarm is always on (got 150.0)"]
    assert alarms.problems(role_values("alarms", alarms_rds_overrides=levels)) == [
        "alarms_rds_overrides.free-storage.levels[0].threshold: must be between 0 and 100 (got 150.0)"]
