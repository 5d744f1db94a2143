#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_event_subscription
version_added: 0.1.0
short_description: Manage an Amazon RDS event notification subscription
description:
  - Creates, changes and deletes an RDS event subscription, which sends the events of DB instances
    (or other source types) to an SNS topic.
  - Changes the topic, source type, categories and enabled state with C(ModifyEventSubscription)
    and the source identifiers with C(AddSourceIdentifierToSubscription) and
    C(RemoveSourceIdentifierFromSubscription), so a subscription follows replicas being added or removed.
  - Validates every argument before the first AWS call and reports all problems in one error;
    before a create or change, also the event categories against those RDS offers for the source
    type (C(DescribeEventCategories), read only then).
author:
  - dbfleet maintainers (@dbfleet)
options:
  name:
    description:
      - Name of the subscription; 1-255 letters, digits or hyphens, starting with a letter.
    required: true
    type: str
  sns_topic_arn:
    description:
      - ARN of the SNS topic that receives the events. Required with O(state=present).
    type: str
  source_type:
    description:
      - Type of the sources; all sources of the account are sent when O(source_ids) is empty.
    choices: [db-instance, db-cluster, db-parameter-group, db-security-group, db-snapshot, db-cluster-snapshot, db-proxy]
    default: db-instance
    type: str
  source_ids:
    description:
      - Identifiers of the sources; empty means every source of O(source_type).
    type: list
    elements: str
    default: []
  event_categories:
    description:
      - Event categories, for example V(availability), V(deletion), V(failover), V(failure),
        V(maintenance), V(recovery); empty means every category. A category RDS does not offer
        for O(source_type) fails the task before any change, naming the categories it offers.
    type: list
    elements: str
    default: []
  enabled:
    description:
      - Whether events are sent.
    type: bool
    default: true
  tags:
    description:
      - Tags set when the subscription is created.
    type: dict
    default: {}
  state:
    description:
      - V(present) or V(absent).
    choices: [present, absent]
    default: present
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Events of the writer and its replica to the alarm topic
  dbfleet.aws.rds_event_subscription:
    name: app-prod-rds-events
    sns_topic_arn: arn:aws:sns:us-east-1:123456789012:app-prod-alarms
    source_type: db-instance
    source_ids: [app-prod, app-prod-replica-1]
    event_categories: [availability, deletion, failover, failure, maintenance, recovery]
"""

RETURN = r"""
subscription:
  description: The subscription; empty after O(state=absent).
  returned: always
  type: dict
  contains:
    name:
      description: Name of the subscription.
      type: str
      sample: app-prod-rds-events
    sns_topic_arn:
      description: The topic.
      type: str
      sample: arn:aws:sns:us-east-1:123456789012:app-prod-alarms
    source_type:
      description: Source type.
      type: str
      sample: db-instance
    source_ids:
      description: Source identifiers, sorted.
      type: list
      elements: str
      sample: ["app-prod", "app-prod-replica-1"]
    event_categories:
      description: Event categories, sorted.
      type: list
      elements: str
      sample: ["availability", "failover"]
    enabled:
      description: Whether events are sent.
      type: bool
      sample: true
problems:
  description: Every validation problem, one per entry, when validation fails.
  returned: failure
  type: list
  elements: str
  sample: ["sns_topic_arn: required with state=present"]
"""

import re

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.dbfleet.aws.plugins.module_utils.problems import fail_with_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_events import event_category_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_events import offered_event_categories

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,254}$")
TOPIC = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$")


def summary(subscription):
    return {
        "name": subscription["CustSubscriptionId"],
        "sns_topic_arn": subscription.get("SnsTopicArn"),
        "source_type": subscription.get("SourceType"),
        "source_ids": sorted(subscription.get("SourceIdsList") or []),
        "event_categories": sorted(subscription.get("EventCategoriesList") or []),
        "enabled": subscription.get("Enabled"),
    }


def desired(params):
    return {
        "name": params["name"],
        "sns_topic_arn": params["sns_topic_arn"],
        "source_type": params["source_type"],
        "source_ids": sorted(set(params["source_ids"])),
        "event_categories": sorted(set(params["event_categories"])),
        "enabled": params["enabled"],
    }


def describe(client, name):
    try:
        return client.describe_event_subscriptions(aws_retry=True, SubscriptionName=name)["EventSubscriptionsList"][0]
    except is_boto3_error_code("SubscriptionNotFound"):
        return None


def create(module, client, want):
    request = dict(SubscriptionName=want["name"], SnsTopicArn=want["sns_topic_arn"], SourceType=want["source_type"],
                   EventCategories=want["event_categories"], SourceIds=want["source_ids"], Enabled=want["enabled"])
    if module.params["tags"]:
        request["Tags"] = ansible_dict_to_boto3_tag_list(module.params["tags"])
    client.create_event_subscription(aws_retry=True, **request)


def update(client, want, have):
    modify = {}
    if want["sns_topic_arn"] != have["sns_topic_arn"]:
        modify["SnsTopicArn"] = want["sns_topic_arn"]
    if want["source_type"] != have["source_type"]:
        modify["SourceType"] = want["source_type"]
    if want["event_categories"] != have["event_categories"]:
        modify["EventCategories"] = want["event_categories"]
    if want["enabled"] != have["enabled"]:
        modify["Enabled"] = want["enabled"]
    if modify:
        client.modify_event_subscription(aws_retry=True, SubscriptionName=want["name"], **modify)
    for source_id in sorted(set(want["source_ids"]) - set(have["source_ids"])):
        client.add_source_identifier_to_subscription(aws_retry=True, SubscriptionName=want["name"], SourceIdentifier=source_id)
    for source_id in sorted(set(have["source_ids"]) - set(want["source_ids"])):
        client.remove_source_identifier_from_subscription(aws_retry=True, SubscriptionName=want["name"], SourceIdentifier=source_id)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        sns_topic_arn=dict(type="str"),
        source_type=dict(type="str", default="db-instance", choices=[
            "db-instance", "db-cluster", "db-parameter-group", "db-security-group", "db-snapshot",
            "db-cluster-snapshot", "db-proxy"]),
        source_ids=dict(type="list", elements="str", default=[]),
        event_categories=dict(type="list", elements="str", default=[]),
        enabled=dict(type="bool", default=True),
        tags=dict(type="dict", default={}),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    problems = []
    if not NAME.match(params["name"]):
        problems.append("name: 1-255 letters, digits or hyphens, starting with a letter (got %r)" % params["name"])
    if params["state"] == "present":
        if not params["sns_topic_arn"]:
            problems.append("sns_topic_arn: required with state=present")
        elif not TOPIC.match(params["sns_topic_arn"]):
            problems.append("sns_topic_arn: not an SNS topic ARN (%s)" % params["sns_topic_arn"])
    if problems:
        fail_with_problems(module, problems)

    client = module.client("rds", retry_decorator=AWSRetry.jittered_backoff())
    try:
        current = describe(client, params["name"])
        have = summary(current) if current else None
        if params["state"] == "absent":
            if have is None:
                module.exit_json(changed=False, subscription={})
            if not module.check_mode:
                client.delete_event_subscription(aws_retry=True, SubscriptionName=params["name"])
            module.exit_json(changed=True, subscription={}, diff={"before": have, "after": {}})

        want = desired(params)
        if have == want:
            module.exit_json(changed=False, subscription=have)
        # Checked before a create or modify only: a converged run makes no extra call.
        if want["event_categories"]:
            problems = event_category_problems(want["event_categories"],
                                               offered_event_categories(client, want["source_type"]),
                                               want["source_type"])
            if problems:
                fail_with_problems(module, problems)
        if not module.check_mode:
            if have is None:
                create(module, client, want)
            else:
                update(client, want, have)
            want = summary(describe(client, params["name"]))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="RDS call failed for event subscription %s" % params["name"])
    module.exit_json(changed=True, subscription=want, diff={"before": have or {}, "after": want})


if __name__ == "__main__":
    main()
