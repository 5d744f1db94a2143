"""Recorder, fault injection, state delays and CLI of the local AWS endpoint, through boto3."""

import subprocess
import sys
import time
import urllib.error
import uuid

import pytest
from botocore.exceptions import ClientError
from conftest import REPO_ROOT
from tools.local_aws.recorder import is_mutating


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def faults(local_aws):
    """Gives the endpoint handle and clears the fault rules afterwards."""
    yield local_aws
    local_aws.clear_faults()


@pytest.fixture
def delay(local_aws):
    yield local_aws.set_delay
    local_aws.set_delay(0)


def create_postgres(rds, identifier, password="Initial-pw-1"):
    return rds.create_db_instance(
        DBInstanceIdentifier=identifier, Engine="postgres", EngineVersion="16.3",
        DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="fleetadmin",
        MasterUserPassword=password, DBName="app")["DBInstance"]


def test_health_answers_json(local_aws):
    assert local_aws.control("GET", "health")["status"] == "ok"


def test_every_call_is_recorded_with_identifiers_and_without_secrets(local_aws):
    secrets = local_aws.client("secretsmanager")
    name = unique("recorded")
    since = local_aws.recorder.mark()
    secrets.create_secret(Name=name, SecretString="do-not-record-me")
    secrets.get_secret_value(SecretId=name)
    with pytest.raises(ClientError):
        local_aws.client("rds").describe_db_instances(DBInstanceIdentifier=unique("missing"))

    calls = local_aws.recorder.calls(since)
    assert [(c["service"], c["action"]) for c in calls] == [
        ("secretsmanager", "CreateSecret"), ("secretsmanager", "GetSecretValue"),
        ("rds", "DescribeDBInstances")]
    assert calls[0]["ids"] == {"Name": name}
    assert calls[1]["ids"] == {"SecretId": name}
    assert calls[0]["status"] == 200 and calls[0]["error"] is None
    assert calls[2]["status"] == 404 and calls[2]["error"] == "DBInstanceNotFound"
    assert all(c["region"] == "us-east-1" and c["ts"].endswith("+00:00") for c in calls)
    log_text = (local_aws.state_dir / "calls.jsonl").read_text()
    assert "do-not-record-me" not in log_text


def test_cbor_protocol_calls_are_recorded_and_faulted(faults):
    cloudwatch = faults.client("cloudwatch", retries={"total_max_attempts": 1})
    alarm = unique("alarm")
    faults.set_faults([{"action": "DescribeAlarms", "first_n": 1, "error": "Throttling"}])
    since = faults.recorder.mark()
    cloudwatch.put_metric_alarm(
        AlarmName=alarm, Namespace="AWS/RDS", MetricName="CPUUtilization", Statistic="Average",
        Period=60, EvaluationPeriods=1, Threshold=80, ComparisonOperator="GreaterThanThreshold")
    with pytest.raises(ClientError) as error:
        cloudwatch.describe_alarms(AlarmNames=[alarm])
    assert error.value.response["Error"]["Code"] == "Throttling"
    assert cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["AlarmName"] == alarm

    calls = faults.recorder.calls(since)
    assert [(c["service"], c["action"], c["error"]) for c in calls] == [
        ("monitoring", "PutMetricAlarm", None), ("monitoring", "DescribeAlarms", "Throttling"),
        ("monitoring", "DescribeAlarms", None)]
    assert calls[0]["ids"] == {"AlarmName": alarm, "MetricName": "CPUUtilization"}


def test_recorder_counts_and_lists_mutating_calls(local_aws):
    rds = local_aws.client("rds")
    since = local_aws.recorder.mark()
    rds.describe_db_instances()
    rds.describe_db_instances()
    local_aws.client("sns").create_topic(Name=unique("topic"))

    counts = local_aws.recorder.count_by_action(since)
    assert counts["rds:DescribeDBInstances"] == 2 and counts["DescribeDBInstances"] == 2
    assert counts["sns:CreateTopic"] == 1
    assert [c["action"] for c in local_aws.recorder.mutating(since)] == ["CreateTopic"]


def test_recorder_reads_a_span_between_two_marks(local_aws):
    rds = local_aws.client("rds")
    since = local_aws.recorder.mark()
    rds.describe_db_parameter_groups()
    until = local_aws.recorder.mark()
    rds.describe_db_subnet_groups()

    assert [c["action"] for c in local_aws.recorder.calls(since, until)] == [
        "DescribeDBParameterGroups"]
    assert [c["action"] for c in local_aws.recorder.calls(until)] == ["DescribeDBSubnetGroups"]


def test_recorder_command_line_summary(local_aws):
    local_aws.client("rds").describe_db_instances()
    result = subprocess.run(
        [sys.executable, "-m", "tools.local_aws.recorder", "summary",
         "--state-dir", str(local_aws.state_dir)],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert "rds:DescribeDBInstances" in result.stdout
    assert result.stdout.strip().splitlines()[-1].endswith("total")


def test_first_n_throttling_then_success_with_botocore_retries(faults):
    faults.set_faults([{"action": "DescribeDBInstances", "service": "rds", "first_n": 2,
                        "error": "Throttling"}])
    rds = faults.client("rds", retries={"mode": "standard", "max_attempts": 5})
    since = faults.recorder.mark()

    response = rds.describe_db_instances()

    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    outcomes = [(c["status"], c["error"]) for c in faults.recorder.calls(since)]
    assert outcomes == [(400, "Throttling"), (400, "Throttling"), (200, None)]


def test_a_star_rule_faults_every_action_of_its_service_only(faults):
    faults.set_faults([{"action": "*", "service": "rds", "first_n": 2, "error": "503"}])
    rds = faults.client("rds", retries={"mode": "standard", "total_max_attempts": 1})
    since = faults.recorder.mark()

    faults.client("secretsmanager").list_secrets()
    for call in (rds.describe_db_instances, rds.describe_db_subnet_groups, rds.describe_db_parameter_groups):
        try:
            call()
        except rds.exceptions.ClientError:
            pass

    outcomes = [(c["action"], c["error"]) for c in faults.recorder.calls(since)]
    assert outcomes == [("ListSecrets", None), ("DescribeDBInstances", "ServiceUnavailable"),
                        ("DescribeDBSubnetGroups", "ServiceUnavailable"), ("DescribeDBParameterGroups", None)]


def test_throttling_error_shape_query_and_json_protocols(faults):
    faults.set_faults([
        {"action": "DescribeDBInstances", "first_n": 1, "error": "Throttling"},
        {"action": "ListSecrets", "first_n": 1, "error": "Throttling"},
    ])
    no_retry = {"retries": {"total_max_attempts": 1}}
    with pytest.raises(ClientError) as query_error:
        faults.client("rds", **no_retry).describe_db_instances()
    with pytest.raises(ClientError) as json_error:
        faults.client("secretsmanager", **no_retry).list_secrets()

    for error in (query_error.value, json_error.value):
        assert error.response["Error"]["Code"] == "Throttling"
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_503_fault(faults):
    faults.set_faults([{"action": "ListTopics", "service": "sns", "first_n": 1, "error": "503"}])
    sns = faults.client("sns", retries={"total_max_attempts": 1})
    since = faults.recorder.mark()
    with pytest.raises(ClientError) as error:
        sns.list_topics()
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert error.value.response["Error"]["Code"] == "ServiceUnavailable"
    sns.list_topics()
    assert [(c["status"], c["error"]) for c in faults.recorder.calls(since)] == [
        (503, "ServiceUnavailable"), (200, None)]


def test_rate_faults_fail_a_fraction(faults):
    """rate 0.5 over 200 calls: both outcomes occur, near half each (outside 60..140 has a
    chance below 1e-8); rate 1 fails every call and rate 0 none."""
    sns = faults.client("sns", retries={"total_max_attempts": 1})

    def failures(rate, calls):
        faults.set_faults([{"action": "ListTopics", "rate": rate, "error": "Throttling"}])
        since = faults.recorder.mark()
        for _attempt in range(calls):
            try:
                sns.list_topics()
            except ClientError as error:
                assert error.response["Error"]["Code"] == "Throttling"
        recorded = faults.recorder.calls(since)
        assert len(recorded) == calls
        return sum(call["error"] == "Throttling" for call in recorded)

    assert 60 <= failures(0.5, 200) <= 140
    assert failures(1.0, 5) == 5
    assert failures(0.0, 5) == 0


def test_fault_service_filter_spares_other_services(faults):
    """A rule for rds:ListTagsForResource leaves sns:ListTagsForResource alone and still
    fails the rds call."""
    faults.set_faults([{"action": "ListTagsForResource", "service": "rds", "first_n": 1,
                        "error": "503"}])
    sns = faults.client("sns", retries={"total_max_attempts": 1})
    rds = faults.client("rds", retries={"total_max_attempts": 1})
    since = faults.recorder.mark()

    sns.list_tags_for_resource(ResourceArn=sns.create_topic(Name=unique("spared"))["TopicArn"])
    with pytest.raises(ClientError) as error:
        rds.list_tags_for_resource(ResourceName="arn:aws:rds:us-east-1:123456789012:db:any")

    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    outcomes = [(c["service"], c["action"], c["error"]) for c in faults.recorder.calls(since)]
    assert outcomes == [("sns", "CreateTopic", None), ("sns", "ListTagsForResource", None),
                        ("rds", "ListTagsForResource", "ServiceUnavailable")]


def test_invalid_fault_rule_is_refused(faults):
    with pytest.raises(urllib.error.HTTPError) as error:
        faults.set_faults([{"action": "DescribeDBInstances", "error": "Teapot", "first_n": 1}])
    assert error.value.code == 400
    assert faults.control("GET", "faults")["faults"] == []


def test_state_delay_keeps_instance_creating_then_available(local_aws, delay):
    rds = local_aws.client("rds")
    identifier = unique("delayed")
    delay(2)
    created = create_postgres(rds, identifier)
    try:
        assert created["DBInstanceStatus"] == "creating"
        described = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
        assert described["DBInstanceStatus"] == "creating"
        rds.get_waiter("db_instance_available").wait(
            DBInstanceIdentifier=identifier, WaiterConfig={"Delay": 1, "MaxAttempts": 10})

        rds.modify_db_instance(DBInstanceIdentifier=identifier, BackupRetentionPeriod=3,
                               ApplyImmediately=True)
        assert rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0][
            "DBInstanceStatus"] == "modifying"
        time.sleep(2.1)
        rds.reboot_db_instance(DBInstanceIdentifier=identifier)
        assert rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0][
            "DBInstanceStatus"] == "rebooting"
        time.sleep(2.1)
        assert rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0][
            "DBInstanceStatus"] == "available"
    finally:
        rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True)


def test_without_delay_instances_are_available_at_once(local_aws):
    rds = local_aws.client("rds")
    identifier = unique("instant")
    try:
        assert create_postgres(rds, identifier)["DBInstanceStatus"] == "available"
    finally:
        rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True)


def test_up_is_idempotent_and_status_reports_up(local_aws):
    def cli(command):
        return subprocess.run([sys.executable, "-m", "tools.local_aws", command],
                              cwd=REPO_ROOT, capture_output=True, text=True, check=False)

    up = cli("up")
    status = cli("status")
    assert up.returncode == 0 and "already running" in up.stdout
    assert status.returncode == 0 and status.stdout.startswith("up:")
    assert str(local_aws.control("GET", "health")["pid"]) in up.stdout


def test_batch_reads_are_not_counted_as_writes():
    assert not is_mutating("BatchGetSecretValue")
    assert is_mutating("BatchDeleteItem") and is_mutating("PutSecretValue")
