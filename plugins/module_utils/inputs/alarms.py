# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Rules of the alarms role's variables (roles/alarms/meta/argument_specs.yml has their
types). The subscription rules are the sns_subscriptions module's."""

import re

from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import aws_name
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import matches
from ansible_collections.dbfleet.aws.plugins.module_utils.sns_subscriptions import subscription_problems

# Variables of other roles these rules read.
CONTEXT = ("elasticache_notification_topic_arn",)
ACTION_LISTS = ("alarms_alarm_actions", "alarms_ok_actions", "alarms_insufficient_data_actions")
PERCENTAGES = ("alarms_rds_cpu_percent", "alarms_rds_free_storage_percent", "alarms_rds_connections_percent",
               "alarms_rds_burst_balance_percent", "alarms_redis_cpu_percent", "alarms_redis_engine_cpu_percent",
               "alarms_redis_memory_percent", "alarms_redis_hit_rate_percent")
POSITIVE = ("alarms_rds_freeable_memory_mib", "alarms_rds_read_latency_ms", "alarms_rds_write_latency_ms",
            "alarms_rds_replica_lag_seconds", "alarms_rds_disk_queue_depth", "alarms_redis_connections",
            "alarms_redis_evictions", "alarms_redis_replication_lag_seconds", "alarms_redis_swap_mib")
ONE_DAY_SECONDS = 86400


def _period_problems(values):
    period, periods = values.get("alarms_period"), values.get("alarms_evaluation_periods")
    datapoints = values.get("alarms_datapoints_to_alarm")
    found = []
    if period is not None and not (period in (10, 30) or (period >= 60 and period % 60 == 0)):
        found.append("alarms_period: must be 10, 30 or a multiple of 60 seconds (got %d)" % period)
    if periods is not None and periods < 1:
        found.append("alarms_evaluation_periods: must be at least 1 (got %d)" % periods)
    elif periods is not None and period is not None and period * periods > ONE_DAY_SECONDS:
        found.append("alarms_evaluation_periods: alarms_period times alarms_evaluation_periods must be at most "
                     "one day, 86400 seconds (got %d)" % (period * periods))
    if datapoints is not None and periods is not None and not 1 <= datapoints <= periods:
        found.append("alarms_datapoints_to_alarm: must be between 1 and alarms_evaluation_periods %d (got %d)"
                     % (periods, datapoints))
    return found


def _threshold_problems(values):
    found = ["%s: must be between 0 and 100 (got %s)" % (name, values[name]) for name in PERCENTAGES
             if values.get(name) is not None and not 0 <= values[name] <= 100]
    found += ["%s: must be above 0 (got %s)" % (name, values[name]) for name in POSITIVE
              if values.get(name) is not None and values[name] <= 0]
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
        found += ["%s: %r must be an ARN or the word topic" % (name, action) for action in values.get(name) or []
                  if action != "topic" and not re.match(r"^arn:aws[a-z-]*:[a-z0-9-]+:", str(action))]
    found += _period_problems(values)
    found += _threshold_problems(values)
    if values.get("alarms_elasticache_notifications") and values.get("elasticache_notification_topic_arn"):
        found.append("elasticache_notification_topic_arn: must be empty when alarms_elasticache_notifications is true "
                     "(the alarms role points the group at its topic)")
    return found
