#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudwatch_dashboard
version_added: 0.1.0
short_description: Manage an Amazon CloudWatch dashboard
description:
  - Creates, replaces and deletes a CloudWatch dashboard (C(PutDashboard), C(GetDashboard),
    C(DeleteDashboards)).
  - The body is compared as parsed JSON, so key order and whitespace never cause a change, and the
    dashboard is written only when its content differs. Diff mode shows the old and new body.
  - Validates the name and the body before the first AWS call and reports all problems in one error.
author:
  - dbfleet maintainers (@dbfleet)
options:
  name:
    description:
      - Name of the dashboard; up to 255 letters, digits, C(-) and C(_).
    required: true
    type: str
  body:
    description:
      - The dashboard body, as a dict or as a JSON string, with a C(widgets) list.
      - Required with O(state=present).
    type: raw
  state:
    description:
      - V(present) creates or replaces the dashboard, V(absent) deletes it.
    choices: [present, absent]
    default: present
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Dashboard with the CPU of two DB instances
  dbfleet.aws.cloudwatch_dashboard:
    name: app-prod
    body:
      widgets:
        - type: metric
          x: 0
          y: 0
          width: 12
          height: 6
          properties:
            title: RDS CPU (%)
            region: us-east-1
            stat: Average
            period: 300
            metrics:
              - [AWS/RDS, CPUUtilization, DBInstanceIdentifier, app-prod]
              - [AWS/RDS, CPUUtilization, DBInstanceIdentifier, app-prod-replica-1]

- name: Remove it
  dbfleet.aws.cloudwatch_dashboard:
    name: app-prod
    state: absent
"""

RETURN = r"""
dashboard:
  description: The dashboard; empty after O(state=absent).
  returned: always
  type: dict
  contains:
    name:
      description: Name of the dashboard.
      type: str
      sample: app-prod
    arn:
      description: ARN of the dashboard; null when check mode would create it.
      type: str
      sample: arn:aws:cloudwatch::123456789012:dashboard/app-prod
    body:
      description: The body, parsed.
      type: dict
      sample: {"widgets": []}
validation_messages:
  description: Messages C(PutDashboard) returned about the body (the dashboard is saved anyway).
  returned: when the dashboard was written
  type: list
  elements: dict
  sample: []
problems:
  description: Every validation problem, one per entry, when validation fails.
  returned: failure
  type: list
  elements: str
  sample: ["body: must be a JSON object with a widgets list"]
"""

import json
import re

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible.module_utils.six import string_types

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.dbfleet.aws.plugins.module_utils.problems import fail_with_problems

NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def parse_body(body):
    """(dict, problems) of the body option."""
    if body is None:
        return None, ["body: required with state=present"]
    if isinstance(body, string_types):
        try:
            body = json.loads(body)
        except ValueError as e:
            return None, ["body: not valid JSON (%s)" % e]
    if not isinstance(body, dict) or not isinstance(body.get("widgets"), list):
        return None, ["body: must be a JSON object with a widgets list"]
    return body, []


def get_dashboard(client, name):
    try:
        answer = client.get_dashboard(aws_retry=True, DashboardName=name)
    except is_boto3_error_code("ResourceNotFound"):
        return None
    return {"name": answer["DashboardName"], "arn": answer.get("DashboardArn"),
            "body": json.loads(answer.get("DashboardBody") or "{}")}


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        body=dict(type="raw"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    name, state = module.params["name"], module.params["state"]
    problems = [] if NAME.match(name) else ["name: 1-255 letters, digits, - or _ (got %r)" % name]
    body = None
    if state == "present":
        body, body_problems = parse_body(module.params["body"])
        problems.extend(body_problems)
    if problems:
        fail_with_problems(module, problems)

    client = module.client("cloudwatch", retry_decorator=AWSRetry.jittered_backoff())
    try:
        current = get_dashboard(client, name)
        if state == "absent":
            if current is None:
                module.exit_json(changed=False, dashboard={})
            if not module.check_mode:
                client.delete_dashboards(aws_retry=True, DashboardNames=[name])
            module.exit_json(changed=True, dashboard={}, diff={"before": {"body": current["body"]}, "after": {}})

        if current is not None and current["body"] == body:
            module.exit_json(changed=False, dashboard=current)
        messages = []
        if not module.check_mode:
            messages = client.put_dashboard(aws_retry=True, DashboardName=name, DashboardBody=json.dumps(body, sort_keys=True)).get(
                "DashboardValidationMessages", [])
            result = get_dashboard(client, name)
        else:
            result = {"name": name, "arn": current["arn"] if current else None, "body": body}
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="CloudWatch call failed for dashboard %s" % name)
    module.exit_json(
        changed=True,
        dashboard=result,
        validation_messages=messages,
        diff={"before": {"body": current["body"]} if current else {}, "after": {"body": body}},
    )


if __name__ == "__main__":
    main()
