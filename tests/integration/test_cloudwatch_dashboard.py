"""dbfleet.aws.cloudwatch_dashboard through ansible-playbook against the local endpoint.

Bodies are read back with GetDashboard; the recorder proves what was (not) written.
"""

import json
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

PLAYBOOK = Path(__file__).resolve().parent / "playbooks" / "cloudwatch_dashboard.yml"
BODY = {"widgets": [{"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6, "properties": {
    "title": "RDS CPU (%)", "region": "us-east-1", "stat": "Average", "period": 300,
    "metrics": [["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", "app-prod"]]}}]}


@pytest.fixture
def cloudwatch(local_aws):
    return local_aws.client("cloudwatch")


@pytest.fixture
def name(cloudwatch):
    name = "dash-test-%s" % uuid.uuid4().hex[:10]
    yield name
    try:
        cloudwatch.delete_dashboards(DashboardNames=[name])
    except ClientError:
        pass


@pytest.fixture
def apply(module_runner):
    return module_runner(PLAYBOOK)


def stored_body(cloudwatch, name):
    try:
        return json.loads(cloudwatch.get_dashboard(DashboardName=name)["DashboardBody"])
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ResourceNotFound"
        return None


def puts(local_aws, since):
    return local_aws.recorder.count_by_action(since).get("PutDashboard", 0)


def test_check_mode_creates_nothing(apply, cloudwatch, local_aws, name):
    since = local_aws.recorder.mark()
    result = apply({"name": name, "body": BODY}, check=True, diff=True)
    assert result["changed"] is True
    assert result["diff"]["after"]["body"] == BODY
    assert local_aws.recorder.mutating(since) == []
    assert stored_body(cloudwatch, name) is None


def test_create_then_same_body_in_another_form_is_unchanged(apply, cloudwatch, local_aws, name):
    created = apply({"name": name, "body": BODY})
    assert created["changed"] is True
    assert stored_body(cloudwatch, name) == BODY
    assert created["dashboard"]["arn"].endswith(":dashboard/" + name)

    # The same content as a JSON string with other key order and spacing.
    reordered = json.dumps({"widgets": [dict(reversed(list(BODY["widgets"][0].items())))]}, indent=4)
    since = local_aws.recorder.mark()
    again = apply({"name": name, "body": reordered})
    assert again["changed"] is False
    assert puts(local_aws, since) == 0


def test_changed_body_is_written_with_a_diff(apply, cloudwatch, local_aws, name):
    apply({"name": name, "body": BODY})
    changed = json.loads(json.dumps(BODY))
    changed["widgets"][0]["properties"]["stat"] = "Maximum"

    since = local_aws.recorder.mark()
    preview = apply({"name": name, "body": changed}, check=True, diff=True)
    assert preview["changed"] is True
    assert preview["diff"]["before"]["body"] == BODY and preview["diff"]["after"]["body"] == changed
    assert local_aws.recorder.mutating(since) == []
    assert stored_body(cloudwatch, name) == BODY

    result = apply({"name": name, "body": changed})
    assert result["changed"] is True
    assert stored_body(cloudwatch, name) == changed


def test_absent_deletes_and_is_idempotent(apply, cloudwatch, local_aws, name):
    apply({"name": name, "body": BODY})
    since = local_aws.recorder.mark()
    assert apply({"name": name, "state": "absent"}, check=True)["changed"] is True
    assert local_aws.recorder.mutating(since) == []
    assert apply({"name": name, "state": "absent"})["changed"] is True
    assert stored_body(cloudwatch, name) is None
    assert apply({"name": name, "state": "absent"})["changed"] is False


def test_bad_input_fails_before_any_call(apply, local_aws):
    since = local_aws.recorder.mark()
    result = apply({"name": "bad name!", "body": "{not json"}, expect_failure=True)
    assert sorted(p.split(":")[0] for p in result["problems"]) == ["body", "name"]
    assert local_aws.recorder.calls(since) == []
