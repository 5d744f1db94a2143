# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A desired CloudWatch metric alarm against the one DescribeAlarms returns, and the rules
of a desired alarm (plugins/modules/cloudwatch_metric_alarms.py)."""

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
