"""amazon.aws.rds_instance works against the local endpoint: creates, is idempotent,
makes read replicas and fails over, with the state read back through boto3 and PostgreSQL."""

import uuid
from contextlib import closing
from pathlib import Path

import pytest
from conftest import describe_db_instance as describe, pg_connect, run_playbook

PLAYBOOK = Path(__file__).parent / "playbooks" / "rds_instance.yml"


@pytest.fixture
def deployment(local_aws, ansible_env):
    name = f"aws-{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    rds = local_aws.client("rds")
    rds.create_db_parameter_group(DBParameterGroupName=name, DBParameterGroupFamily="postgres16",
                                  Description="test parameters")

    def apply(replica=False, failover=False, expect_rc=0):
        return run_playbook(PLAYBOOK, "localhost,", env=ansible_env, expect_rc=expect_rc,
                            extra_vars={"endpoint_url": local_aws.url, "prefix": name,
                                        "password": password, "replica": replica,
                                        "failover": failover})

    yield name, password, rds, apply
    for identifier in (f"{name}-replica", name):
        if rds.describe_db_instances(Filters=[{"Name": "db-instance-id",
                                               "Values": [identifier]}])["DBInstances"]:
            rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True)
    rds.delete_db_parameter_group(DBParameterGroupName=name)


def test_instance_replica_and_failover_through_amazon_aws(local_aws, deployment):
    name, password, rds, apply = deployment

    assert apply(replica=True).recap["localhost"]["changed"] > 0
    instance = describe(rds, name)
    assert (instance["DBInstanceClass"], instance["MultiAZ"], instance["StorageType"],
            instance["MaxAllocatedStorage"], instance["BackupRetentionPeriod"]) == (
        "db.t3.micro", True, "gp3", 100, 7)
    assert (instance["PerformanceInsightsEnabled"],
            instance["PerformanceInsightsRetentionPeriod"]) == (True, 731)
    assert instance["MonitoringInterval"] == 60
    assert instance["IAMDatabaseAuthenticationEnabled"] is True
    assert instance["StorageEncrypted"] is True
    assert instance["DBParameterGroups"][0]["DBParameterGroupName"] == name
    with closing(pg_connect(instance["Endpoint"]["Address"], instance["Endpoint"]["Port"],
                            "fleetadmin", password, "app")) as connection:
        assert connection.server_version > 0
    replica = describe(rds, f"{name}-replica")
    assert replica["ReadReplicaSourceDBInstanceIdentifier"] == name
    assert replica["AvailabilityZone"] == "us-east-1b"

    since = local_aws.recorder.mark()
    assert apply(replica=True).recap["localhost"]["changed"] == 0
    assert local_aws.recorder.mutating(since) == []

    zones = instance["AvailabilityZone"], instance["SecondaryAvailabilityZone"]
    apply(failover=True)
    after = describe(rds, name)
    assert (after["SecondaryAvailabilityZone"], after["AvailabilityZone"]) == zones
