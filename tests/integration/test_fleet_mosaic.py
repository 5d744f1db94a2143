"""The mosaic fleet (reference document 004, examples/mosaic): prod provisioned on the local
endpoint as `make demo FLEET=mosaic ENV=prod` does, and the document's figures read back
through boto3 and the real PostgreSQL: a PostgreSQL 16 instance with its postgres16
parameter group, the two secrets with the keys the application reads, two alarms without
actions and no SNS topic. The expected values are the document's, written here.
"""

from contextlib import closing

import psycopg2
import pytest

from conftest import describe_db_instance, read_secret

XDIST_GROUP = "mosaic_prod"
REGION = "us-east-1"
WRITER = "mosaic-prod-db"


@pytest.fixture(scope="module")
def prod(example_fleet):
    return example_fleet("mosaic", "prod")


def test_current_configuration(prod, rds):
    writer = describe_db_instance(rds, WRITER)
    assert (writer["Engine"], writer["EngineVersion"].split(".")[0]) == ("postgres", "16")
    assert (writer["DBInstanceClass"], writer["StorageType"], writer["AllocatedStorage"],
            writer["MaxAllocatedStorage"]) == ("db.t3.micro", "gp3", 20, 100)
    assert writer["MultiAZ"] is False
    assert writer["BackupRetentionPeriod"] == 7 and writer["PreferredBackupWindow"] == "03:00-04:00"
    assert writer["PreferredMaintenanceWindow"] == "sun:04:00-sun:05:00"
    assert writer["StorageEncrypted"] is True and writer["PubliclyAccessible"] is False
    assert writer["AutoMinorVersionUpgrade"] is True
    assert writer["PerformanceInsightsEnabled"] is False
    assert sorted(writer["EnabledCloudwatchLogsExports"]) == ["postgresql", "upgrade"]
    (group,) = writer["DBParameterGroups"]
    parameter_group = rds.describe_db_parameter_groups(DBParameterGroupName=group["DBParameterGroupName"])
    assert parameter_group["DBParameterGroups"][0]["DBParameterGroupFamily"] == "postgres16"


def test_the_vpc_cidr_reaches_the_port(prod, local_aws, rds):
    """10.0.0.0/16 on 5432, and besides it only the local application security group that
    tools/local_aws/example_overlay.yml adds for every example (README, differences)."""
    ec2 = local_aws.client("ec2", REGION)
    group_ids = [group["VpcSecurityGroupId"] for group in describe_db_instance(rds, WRITER)["VpcSecurityGroups"]]
    rules = [rule for group in ec2.describe_security_groups(GroupIds=group_ids)["SecurityGroups"]
             for rule in group["IpPermissions"]]
    cidrs = {ip_range["CidrIp"] for rule in rules for ip_range in rule.get("IpRanges", [])}
    groups = {pair["GroupId"] for rule in rules for pair in rule.get("UserIdGroupPairs", [])}
    assert (cidrs, groups) == ({"10.0.0.0/16"}, {"sg-0dbf1ee7000000001"})
    assert {(rule["FromPort"], rule["ToPort"]) for rule in rules} == {(5432, 5432)}


def test_the_secrets_the_application_and_the_rotation_read(prod, local_aws, rds):
    credentials = read_secret(local_aws, "mosaic/prod/rds/credentials", REGION)
    assert credentials["username"] == "mosaicadmin" and credentials["password"]
    connection = read_secret(local_aws, "mosaic/prod/rds/connection", REGION)
    endpoint = describe_db_instance(rds, WRITER)["Endpoint"]
    assert {"host", "port", "database", "username", "password", "url", "sqlalchemy_url"} <= set(connection)
    assert "dbname" not in connection
    assert (connection["host"], int(connection["port"]), connection["database"], connection["password"]) == (
        endpoint["Address"], endpoint["Port"], "mosaic", credentials["password"])
    assert connection["sqlalchemy_url"] == connection["url"].replace("postgresql://", "postgresql+psycopg://", 1)
    # The url connects, as the External Secrets Operator's DB_URL would.
    with closing(psycopg2.connect(connection["url"], connect_timeout=10)) as db, db.cursor() as cursor:
        cursor.execute("SELECT current_user, current_database()")
        assert cursor.fetchone() == ("mosaicadmin", "mosaic")


def test_two_alarms_without_actions_and_no_topic(prod, local_aws, cloudwatch):
    pages = cloudwatch.get_paginator("describe_alarms").paginate(AlarmNamePrefix="mosaic-prod-")
    found = {alarm["AlarmName"]: alarm for page in pages for alarm in page["MetricAlarms"]}
    cpu = found.pop(f"mosaic-prod-rds-{WRITER}-cpu")
    storage = found.pop(f"mosaic-prod-rds-{WRITER}-free-storage")
    assert found == {}
    assert (cpu["MetricName"], cpu["Statistic"], cpu["Threshold"], cpu["ComparisonOperator"], cpu["Period"],
            cpu["EvaluationPeriods"]) == ("CPUUtilization", "Average", 80, "GreaterThanThreshold", 300, 2)
    assert (storage["MetricName"], storage["Statistic"], storage["Threshold"], storage["ComparisonOperator"],
            storage["Period"], storage["EvaluationPeriods"]) == (
        "FreeStorageSpace", "Average", 4294967296, "LessThanThreshold", 300, 1)
    for alarm in (cpu, storage):
        assert alarm["AlarmActions"] == alarm["OKActions"] == alarm["InsufficientDataActions"] == []
    topics = local_aws.client("sns", REGION).list_topics()["Topics"]
    assert not [topic for topic in topics if ":mosaic-" in topic["TopicArn"]]
    subscriptions = local_aws.client("rds", REGION).describe_event_subscriptions()["EventSubscriptionsList"]
    assert not [s for s in subscriptions if s["CustSubscriptionId"].startswith("mosaic-")]


def test_second_run_changes_nothing(prod):
    """The roles that hold this fleet's settings (db_users and the cache are off here)."""
    result = prod.run(only=["rds", "alarms"])
    assert result.recap["prod-us-east-1"]["changed"] == 0
    assert result.mutating == []
