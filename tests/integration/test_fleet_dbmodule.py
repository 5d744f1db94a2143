"""The dbmodule fleet (reference document 003, examples/dbmodule): its prod environment
provisioned on the local endpoint as `make demo FLEET=dbmodule ENV=prod` does, and the
document's figures read back through boto3 and the real PostgreSQL. The expected values
are the document's, written here (examples/dbmodule/README.md maps each to its variable).
"""

from contextlib import closing

import psycopg2
import pytest

from conftest import db_parameters, describe_db_instance, read_secret

XDIST_GROUP = "dbmodule_prod"
REGION = "us-east-1"
WRITER = "realworld-prod"


@pytest.fixture(scope="module")
def prod(example_fleet):
    return example_fleet("dbmodule", "prod")


def test_production_environment_configuration(prod, rds):
    writer = describe_db_instance(rds, WRITER)
    assert (writer["Engine"], writer["EngineVersion"]) == ("postgres", "15.4")
    assert writer["DBInstanceClass"] == "db.t3.small"
    assert writer["MultiAZ"] is True
    assert writer["MonitoringInterval"] == 60 and writer["MonitoringRoleArn"]
    assert writer["PerformanceInsightsEnabled"] is True
    assert writer["BackupRetentionPeriod"] == 7
    # GP3, auto-scaling storage 20-100 GB, encrypted with KMS, private.
    assert (writer["StorageType"], writer["AllocatedStorage"], writer["MaxAllocatedStorage"]) == ("gp3", 20, 100)
    assert writer["StorageEncrypted"] is True and writer["PubliclyAccessible"] is False
    # create_read_replica = true; the cost table's replica is a t3.micro.
    replicas = [describe_db_instance(rds, identifier) for identifier in writer["ReadReplicaDBInstanceIdentifiers"]]
    assert [(r["DBInstanceIdentifier"], r["DBInstanceClass"]) for r in replicas] == [
        ("realworld-prod-replica-1", "db.t3.micro")]


def test_parameter_group_settings(prod, rds):
    group = describe_db_instance(rds, WRITER)["DBParameterGroups"][0]["DBParameterGroupName"]
    found = db_parameters(rds, group)
    assert "pg_stat_statements" in found["shared_preload_libraries"].split(",")
    assert {name: found[name] for name in ("log_statement", "log_min_duration_statement", "max_connections",
                                           "rds.force_ssl")} == {
        "log_statement": "all", "log_min_duration_statement": "1000", "max_connections": "100",
        "rds.force_ssl": "1"}


def test_the_secret_and_the_flask_connection_string(prod, local_aws, rds):
    """The secret of the document's diagram, and create_database_url() built from it
    connects to realworlddb as realworld_user, where pg_stat_statements is installed."""
    secret = read_secret(local_aws, "realworld/prod/rds/credentials", REGION)
    endpoint = describe_db_instance(rds, WRITER)["Endpoint"]
    assert (secret["username"], secret["host"], int(secret["port"]), secret["dbname"]) == (
        "realworld_user", endpoint["Address"], endpoint["Port"], "realworlddb")
    assert len(secret["password"]) == 32
    url = f"postgresql://{secret['username']}:{secret['password']}@{secret['host']}:{secret['port']}/{secret['dbname']}"
    with closing(psycopg2.connect(url, connect_timeout=10)) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_database(),"
                       " (SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements')")
        assert cursor.fetchone() == ("realworld_user", "realworlddb", 1)


def test_alarms_and_dashboard(prod, local_aws, rds, cloudwatch):
    """CPU > 80 %, connections > 80 (80 % of max_connections 100) and low storage, on the
    writer and on the replica; the dashboard."""
    pages = cloudwatch.get_paginator("describe_alarms").paginate(AlarmNamePrefix="realworld-prod-")
    found = {alarm["AlarmName"]: alarm for page in pages for alarm in page["MetricAlarms"]}
    instances = [WRITER] + describe_db_instance(rds, WRITER)["ReadReplicaDBInstanceIdentifiers"]
    assert set(found) == {f"realworld-prod-rds-{instance}-{key}" for instance in instances
                          for key in ("cpu", "connections", "free-storage")}
    for instance in instances:
        assert found[f"realworld-prod-rds-{instance}-cpu"]["Threshold"] == 80
        assert found[f"realworld-prod-rds-{instance}-connections"]["Threshold"] == 80
        assert found[f"realworld-prod-rds-{instance}-free-storage"]["Threshold"] == 0.2 * 20 * 1024 ** 3
    assert cloudwatch.get_dashboard(DashboardName="realworld-prod-databases")["DashboardBody"]


def test_no_cache(prod, local_aws):
    groups = local_aws.client("elasticache", REGION).describe_replication_groups()["ReplicationGroups"]
    assert [group for group in groups if group["ReplicationGroupId"].startswith("realworld-")] == []
