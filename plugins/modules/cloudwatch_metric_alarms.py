#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudwatch_metric_alarms
version_added: 0.1.0
short_description: Manage a set of CloudWatch metric alarms in one call
description:
  - Creates and updates a whole set of Amazon CloudWatch metric alarms, including metric-math
    alarms (C(Metrics) in an alarm), and removes the alarms of the set that are no longer wanted.
  - Reads the existing alarms with a few paginated C(DescribeAlarms) calls, compares each desired
    alarm with the described one (thresholds as numbers, actions and dimensions as sets, metric
    queries with their defaults) and calls C(PutMetricAlarm) only for alarms that differ.
  - With O(purge=true), alarms whose name starts with O(purge_prefix) and that carry the tag
    O(purge_tag) but are not in O(alarms) are deleted; alarms without that tag are never touched,
    so alarms created by hand or by other tools under the same prefix stay.
  - Validates every alarm before the first AWS call and reports all problems in one error.
author:
  - dbfleet maintainers (@dbfleet)
options:
  alarms:
    description:
      - The desired alarms, each a dict with the keys of the C(PutMetricAlarm) request except C(Tags)
        (C(AlarmName), C(AlarmDescription), C(Namespace), C(MetricName), C(Dimensions), C(Statistic),
        C(Period), C(Threshold), C(ComparisonOperator), C(EvaluationPeriods), C(DatapointsToAlarm),
        C(TreatMissingData), C(AlarmActions), C(OKActions), C(InsufficientDataActions), C(Metrics), ...).
      - Either C(MetricName) with C(Namespace), C(Period) and C(Statistic), or C(Metrics).
    type: list
    elements: dict
    default: []
  tags:
    description:
      - Tags given to created alarms and added to updated ones. Must contain O(purge_tag) when
        O(purge=true), so that the alarms can be found again.
    type: dict
    default: {}
  purge:
    description:
      - Delete the alarms starting with O(purge_prefix) that carry O(purge_tag) and are not in O(alarms).
    type: bool
    default: false
  purge_prefix:
    description:
      - Name prefix of the alarms considered by O(purge). Required with O(purge=true).
    type: str
  purge_tag:
    description:
      - A single tag (key and value) that marks the alarms this set owns. Required with O(purge=true).
    type: dict
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: CPU and cache hit rate alarms of one environment, removing alarms of deleted nodes
  dbfleet.aws.cloudwatch_metric_alarms:
    alarms:
      - AlarmName: app-prod-rds-app-prod-cpu
        Namespace: AWS/RDS
        MetricName: CPUUtilization
        Dimensions: [{Name: DBInstanceIdentifier, Value: app-prod}]
        Statistic: Average
        Period: 300
        EvaluationPeriods: 2
        Threshold: 80
        ComparisonOperator: GreaterThanThreshold
        AlarmActions: [arn:aws:sns:us-east-1:123456789012:app-prod-alarms]
      - AlarmName: app-prod-redis-app-prod-001-hit-rate
        ComparisonOperator: LessThanThreshold
        Threshold: 80
        EvaluationPeriods: 2
        TreatMissingData: notBreaching
        Metrics:
          - Id: hits
            ReturnData: false
            MetricStat:
              Period: 300
              Stat: Sum
              Metric:
                Namespace: AWS/ElastiCache
                MetricName: CacheHits
                Dimensions: [{Name: CacheClusterId, Value: app-prod-001}]
          - Id: misses
            ReturnData: false
            MetricStat:
              Period: 300
              Stat: Sum
              Metric:
                Namespace: AWS/ElastiCache
                MetricName: CacheMisses
                Dimensions: [{Name: CacheClusterId, Value: app-prod-001}]
          - {Id: hit_rate, Expression: "100 * hits / (hits + misses)", ReturnData: true}
    tags:
      dbfleet:alarms: app-prod
    purge: true
    purge_prefix: app-prod-
    purge_tag:
      dbfleet:alarms: app-prod
"""

RETURN = r"""
alarms:
  description: Names of the desired alarms.
  returned: always
  type: list
  elements: str
  sample: ["app-prod-rds-app-prod-cpu"]
created:
  description: Alarms created (in check mode, that would be).
  returned: always
  type: list
  elements: str
  sample: ["app-prod-rds-app-prod-replica-2-cpu"]
updated:
  description: Alarms whose configuration was (would be) changed, with the changed keys.
  returned: always
  type: dict
  sample: {"app-prod-rds-app-prod-cpu": ["Threshold"]}
deleted:
  description: Alarms deleted by O(purge) (in check mode, that would be).
  returned: always
  type: list
  elements: str
  sample: ["app-prod-rds-app-prod-replica-2-cpu"]
problems:
  description: Every validation problem, one per entry, when validation fails.
  returned: failure
  type: list
  elements: str
  sample: ["alarms[app-prod-rds-app-prod-cpu].Threshold: required"]
"""

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.dbfleet.aws.plugins.module_utils.cloudwatch_alarms import alarm_changes
from ansible_collections.dbfleet.aws.plugins.module_utils.cloudwatch_alarms import comparable
from ansible_collections.dbfleet.aws.plugins.module_utils.cloudwatch_alarms import validate_alarm
from ansible_collections.dbfleet.aws.plugins.module_utils.problems import fail_with_problems

BATCH = 100


def validate(params):
    problems = []
    names = set()
    for index, alarm in enumerate(params["alarms"]):
        problems.extend(validate_alarm(alarm, index))
        if alarm.get("AlarmName") in names:
            problems.append("alarms[%s]: the name appears twice" % alarm["AlarmName"])
        names.add(alarm.get("AlarmName"))
    if params["purge"]:
        if not params["purge_prefix"]:
            problems.append("purge_prefix: required with purge=true")
        tag = params["purge_tag"] or {}
        if len(tag) != 1:
            problems.append("purge_tag: one tag (key: value) required with purge=true")
        elif any(params["tags"].get(key) != value for key, value in tag.items()):
            problems.append("tags: must contain purge_tag so that created alarms can be purged later")
    return problems


def describe(client, names, prefix):
    """{name: alarm} of the named alarms and, with a prefix, of every alarm under it."""
    found = {}
    if prefix:
        result = paginated_query_with_retries(client, "describe_alarms", AlarmNamePrefix=prefix, AlarmTypes=["MetricAlarm"])
        for alarm in result["MetricAlarms"]:
            found[alarm["AlarmName"]] = alarm
    missing = sorted(name for name in names if name not in found and not (prefix and name.startswith(prefix)))
    for start in range(0, len(missing), BATCH):
        result = paginated_query_with_retries(client, "describe_alarms", AlarmNames=missing[start:start + BATCH],
                                              AlarmTypes=["MetricAlarm"])
        for alarm in result["MetricAlarms"]:
            found[alarm["AlarmName"]] = alarm
    return found


def owned(client, alarm, tag):
    tags = boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(aws_retry=True, ResourceARN=alarm["AlarmArn"])["Tags"])
    return all(tags.get(key) == value for key, value in tag.items())


def run(module, client):
    params = module.params
    desired = dict((alarm["AlarmName"], alarm) for alarm in params["alarms"])
    prefix = params["purge_prefix"] if params["purge"] else None
    current = describe(client, desired, prefix)

    created, updated, deleted = [], {}, []
    before, after = {}, {}
    for name in sorted(desired):
        if name not in current:
            created.append(name)
            after[name] = comparable(desired[name])
            continue
        changes = alarm_changes(desired[name], current[name])
        if changes:
            updated[name] = changes
            before[name] = dict((key, comparable(current[name]).get(key)) for key in changes)
            after[name] = dict((key, comparable(desired[name]).get(key)) for key in changes)
    if prefix:
        for name in sorted(set(current) - set(desired)):
            if name.startswith(prefix) and owned(client, current[name], params["purge_tag"]):
                deleted.append(name)
                before[name] = comparable(current[name])

    if not module.check_mode:
        tags = ansible_dict_to_boto3_tag_list(params["tags"]) if params["tags"] else []
        for name in created:
            request = dict(desired[name])
            if tags:
                request["Tags"] = tags
            client.put_metric_alarm(aws_retry=True, **request)
        for name in sorted(updated):
            client.put_metric_alarm(aws_retry=True, **desired[name])
            if tags:
                # PutMetricAlarm ignores Tags when it updates an alarm.
                client.tag_resource(aws_retry=True, ResourceARN=current[name]["AlarmArn"], Tags=tags)
        for start in range(0, len(deleted), BATCH):
            client.delete_alarms(aws_retry=True, AlarmNames=deleted[start:start + BATCH])

    module.exit_json(
        changed=bool(created or updated or deleted),
        alarms=sorted(desired),
        created=created,
        updated=updated,
        deleted=deleted,
        diff={"before": before, "after": after},
    )


def main():
    argument_spec = dict(
        alarms=dict(type="list", elements="dict", default=[]),
        tags=dict(type="dict", default={}),
        purge=dict(type="bool", default=False),
        purge_prefix=dict(type="str"),
        purge_tag=dict(type="dict"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    problems = validate(module.params)
    if problems:
        fail_with_problems(module, problems)
    client = module.client("cloudwatch", retry_decorator=AWSRetry.jittered_backoff())
    try:
        run(module, client)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="CloudWatch call failed")


if __name__ == "__main__":
    main()
