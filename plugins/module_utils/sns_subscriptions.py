# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The rules of the SNS subscriptions of the alarms topic (module_utils/inputs/alarms.py)."""

import re

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
