# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Rules of the alarms role's variables (roles/alarms/meta/argument_specs.yml has their
types). The subscription rules are the sns_subscriptions module's."""

import re

from ansible_collections.dbfleet.aws.plugins.module_utils.alarm_specs import OVERRIDABLE
from ansible_collections.dbfleet.aws.plugins.module_utils.alarm_specs import RDS_KEYS
from ansible_collections.dbfleet.aws.plugins.module_utils.alarm_specs import REDIS_KEYS
from ansible_collections.dbfleet.aws.plugins.module_utils.alarm_specs import threshold_setting
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import aws_name
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import matches
from ansible_collections.dbfleet.aws.plugins.module_utils.sns_subscriptions import subscription_problems

# Variables of other roles these rules read.
CONTEXT = ("elasticache_notification_topic_arn", "rds_allocated_storage")
ACTION_LISTS = ("alarms_alarm_actions", "alarms_ok_actions", "alarms_insufficient_data_actions")
PERCENTAGES = ("alarms_rds_cpu_percent", "alarms_rds_free_storage_percent", "alarms_rds_connections_percent",
               "alarms_rds_burst_balance_percent", "alarms_redis_cpu_percent", "alarms_redis_engine_cpu_percent",
               "alarms_redis_memory_percent", "alarms_redis_hit_rate_percent")
POSITIVE = ("alarms_rds_freeable_memory_mib", "alarms_rds_read_latency_ms", "alarms_rds_write_latency_ms",
            "alarms_rds_replica_lag_seconds", "alarms_rds_disk_queue_depth", "alarms_redis_connections",
            "alarms_redis_replication_lag_seconds", "alarms_redis_swap_mib")
# Alarms above 0 (Evictions > 0: any eviction at all).
NOT_NEGATIVE = ("alarms_redis_evictions",)
LEVEL_NAME = r"^[a-z][a-z0-9-]{0,30}$"
ONE_DAY_SECONDS = 86400


def _period_problems(period, periods, datapoints, names):
    """names: the variables holding (period, evaluation_periods, datapoints_to_alarm)."""
    found = []
    if period is not None and not (period in (10, 30) or (period >= 60 and period % 60 == 0)):
        found.append("%s: must be 10, 30 or a multiple of 60 seconds (got %s)" % (names[0], period))
    if periods is not None and periods < 1:
        found.append("%s: must be at least 1 (got %s)" % (names[1], periods))
    elif periods is not None and period is not None and period * periods > ONE_DAY_SECONDS:
        found.append("%s: %s times %s must be at most one day, 86400 seconds (got %d)"
                     % (names[1], names[0], names[1], period * periods))
    if datapoints is not None and periods is not None and periods >= 1 and not 1 <= datapoints <= periods:
        found.append("%s: must be between 1 and %s %s (got %s)" % (names[2], names[1], periods, datapoints))
    return found


def _action_problems(name, actions, topic_enabled):
    found = ["%s: %r must be an ARN or the word topic" % (name, action) for action in actions or []
             if action != "topic" and not re.match(r"^arn:aws[a-z-]*:[a-z0-9-]+:", str(action))]
    if not topic_enabled and "topic" in (actions or []):
        found.append("%s: names the topic, but alarms_topic_enabled is false" % name)
    return found


def _override_problems(values, service, keys):
    """alarms_<service>_overrides: known alarms and settings, each checked as the common one."""
    name = "alarms_%s_overrides" % service
    found = []
    for key, override in sorted((values.get(name) or {}).items()):
        where = "%s.%s" % (name, key)
        if key not in keys:
            found.append("%s: no %s alarm is called %s (%s)" % (name, service, key, ", ".join(keys)))
            continue
        if not isinstance(override, dict):
            found.append("%s: must be a dict of %s" % (where, ", ".join(OVERRIDABLE)))
            continue
        unknown = sorted(set(override) - set(OVERRIDABLE) - {"levels"})
        if unknown:
            found.append("%s: %s cannot be set per alarm (%s, levels)"
                         % (where, ", ".join(unknown), ", ".join(OVERRIDABLE)))
        found += _level_problems(values, service, key, where, override)
        found += _timing_problems(values, where, override)
        found += _action_problems_of(where, override, values)
    return found


def _timing_problems(values, where, override):
    """An alarm's (or a level's) own period, evaluation_periods, datapoints_to_alarm and
    treat_missing_data, by the rules of the common settings."""
    periods = override.get("evaluation_periods", values.get("alarms_evaluation_periods"))
    datapoints = override.get("datapoints_to_alarm",
                              periods if "evaluation_periods" in override else values.get("alarms_datapoints_to_alarm"))
    found = _period_problems(
        override.get("period", values.get("alarms_period")), periods, datapoints,
        ["%s.%s" % (where, option) if option in override else "alarms_" + option
         for option in ("period", "evaluation_periods", "datapoints_to_alarm")])
    if override.get("treat_missing_data") not in (None, "missing", "notBreaching", "breaching", "ignore"):
        found.append("%s.treat_missing_data: must be missing, notBreaching, breaching or ignore (got %r)"
                     % (where, override["treat_missing_data"]))
    return found


def _level_problems(values, service, key, where, override):
    """override's levels: [{name, threshold, <overridable>...}], each threshold by the rule of
    the alarm's own threshold variable, its settings over the override's."""
    levels = override.get("levels")
    if levels is None:
        return []
    if not isinstance(levels, list) or not all(isinstance(level, dict) for level in levels):
        return ["%s.levels: must be a list of {name, threshold, ...}" % where]
    found = []
    setting = threshold_setting(service, key, {"free_storage_gib": values.get("alarms_rds_free_storage_gib")})
    variable = "alarms_%s_%s" % (service, setting)
    names = [level.get("name") for level in levels]
    for index, level in enumerate(levels):
        at = "%s.levels[%d]" % (where, index)
        if not re.match(LEVEL_NAME, str(level.get("name") or "")):
            found.append("%s.name: must be 1-31 lower-case letters, digits or hyphens, starting with a letter "
                         "(got %r)" % (at, level.get("name")))
        elif names.count(level["name"]) > 1:
            found.append("%s.name: %s names two levels" % (at, level["name"]))
        unknown = sorted(set(level) - set(OVERRIDABLE) - {"name", "threshold"})
        if unknown:
            found.append("%s: %s cannot be set per level (name, threshold, %s)"
                         % (at, ", ".join(unknown), ", ".join(OVERRIDABLE)))
        threshold = level.get("threshold")
        if not isinstance(threshold, (int, float)) or isinstance(threshold, bool):
            found.append("%s.threshold: must be a number in the unit of %s (got %r)" % (at, variable, threshold))
            continue
        found += [problem.replace(variable, at + ".threshold", 1) for problem in _threshold_problems(
            dict(values, **{variable: float(threshold)})) if problem.startswith(variable + ":")]
        own = dict((name, value) for name, value in override.items() if name != "levels")
        own.update((name, value) for name, value in level.items() if name in OVERRIDABLE)
        found += _timing_problems(values, at, own)
        found += _action_problems_of(at, level, values)
    return found


def _action_problems_of(where, settings, values):
    found = []
    for actions in ("alarm_actions", "ok_actions", "insufficient_data_actions"):
        found += _action_problems("%s.%s" % (where, actions), settings.get(actions),
                                  values.get("alarms_topic_enabled", True))
    return found


def _topic_problems(values):
    if values.get("alarms_topic_enabled", True):
        return []
    found = []
    if values.get("alarms_subscriptions"):
        found.append("alarms_subscriptions: must be empty when alarms_topic_enabled is false (no topic to subscribe to)")
    if values.get("alarms_rds_events_enabled") and values.get("alarms_rds_enabled", True):
        found.append("alarms_rds_events_enabled: must be false when alarms_topic_enabled is false (RDS events go to "
                     "the topic)")
    if values.get("alarms_elasticache_notifications") and values.get("alarms_redis_enabled", True):
        found.append("alarms_elasticache_notifications: must be false when alarms_topic_enabled is false "
                     "(ElastiCache notifies the topic)")
    return found


def _threshold_problems(values):
    found = ["%s: must be between 0 and 100 (got %s)" % (name, values[name]) for name in PERCENTAGES
             if values.get(name) is not None and not 0 <= values[name] <= 100]
    found += ["%s: must be above 0 (got %s)" % (name, values[name]) for name in POSITIVE
              if values.get(name) is not None and values[name] <= 0]
    found += ["%s: must be 0 or above (got %s)" % (name, values[name]) for name in NOT_NEGATIVE
              if values.get(name) is not None and values[name] < 0]
    floor, storage = values.get("alarms_rds_free_storage_gib"), values.get("rds_allocated_storage")
    if floor is not None and floor < 0:
        found.append("alarms_rds_free_storage_gib: must be 0 (use the percentage) or above (got %s)" % floor)
    elif floor and storage and floor >= storage:
        found.append("alarms_rds_free_storage_gib: must be below rds_allocated_storage %s GiB, or the alarm is "
                     "always on (got %s)" % (storage, floor))
    return found


def problems(values):
    """Every rule of the alarms role's variables that values break."""
    found = aws_name(values, "alarms_name_prefix", 100)
    found += matches(values, "alarms_topic_name", r"^[A-Za-z0-9_-]{1,256}$",
                     "must be 1-256 letters, digits, hyphens or underscores")
    found += matches(values, "alarms_dashboard_name", r"^[A-Za-z0-9_-]{1,255}$",
                     "must be 1-255 letters, digits, hyphens or underscores")
    found += matches(values, "alarms_rds_event_subscription_name", r"^[A-Za-z][A-Za-z0-9-]{0,254}$",
                     "must be 1-255 letters, digits or hyphens, starting with a letter")
    if values.get("alarms_subscriptions") is not None:
        found += ["alarms_subscriptions: %s" % problem for problem in subscription_problems(values["alarms_subscriptions"])]
    for name in ACTION_LISTS:
        found += _action_problems(name, values.get(name), values.get("alarms_topic_enabled", True))
    found += _topic_problems(values)
    found += _period_problems(values.get("alarms_period"), values.get("alarms_evaluation_periods"),
                              values.get("alarms_datapoints_to_alarm"),
                              ("alarms_period", "alarms_evaluation_periods", "alarms_datapoints_to_alarm"))
    found += _override_problems(values, "rds", RDS_KEYS)
    found += _override_problems(values, "redis", REDIS_KEYS)
    found += _threshold_problems(values)
    if values.get("alarms_elasticache_notifications") and values.get("elasticache_notification_topic_arn"):
        found.append("elasticache_notification_topic_arn: must be empty when alarms_elasticache_notifications is true "
                     "(the alarms role points the group at its topic)")
    return found
