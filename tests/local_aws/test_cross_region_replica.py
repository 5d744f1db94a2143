"""A cross-region read replica (source given by ARN) on the local endpoint: created without a
parameter group while its source has a custom one, it reports StatusInfos like AWS, streams
the source's rows, and after PromoteReadReplica is a standalone writer."""

import time
import uuid
from contextlib import closing

from conftest import pg_connect

MASTER_USER = "fleetadmin"
PASSWORD = "replica-" + uuid.uuid4().hex
DR_REGION = "us-west-2"


def query(rds, identifier, statement):
    endpoint = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]["Endpoint"]
    with closing(pg_connect(endpoint["Address"], endpoint["Port"], MASTER_USER, PASSWORD,
                            "orders")) as connection, connection.cursor() as cursor:
        cursor.execute(statement)
        return cursor.fetchall() if cursor.description else None


def wait_for(check, seconds=10):
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        time.sleep(0.2)
    return check()


def test_cross_region_replica_without_parameter_group_promotes(local_aws):
    rds, dr_rds = local_aws.client("rds"), local_aws.client("rds", region=DR_REGION)
    source, replica = (f"xr-{uuid.uuid4().hex[:8]}{suffix}" for suffix in ("", "-dr"))
    rds.create_db_parameter_group(DBParameterGroupName=source, DBParameterGroupFamily="postgres16",
                                  Description="source only")
    rds.create_db_instance(DBInstanceIdentifier=source, Engine="postgres", EngineVersion="16.3",
                           DBInstanceClass="db.t3.micro", AllocatedStorage=20,
                           MasterUsername=MASTER_USER, MasterUserPassword=PASSWORD, DBName="orders",
                           BackupRetentionPeriod=7, DBParameterGroupName=source)
    try:
        query(rds, source, "CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders VALUES (1)")
        arn = rds.describe_db_instances(DBInstanceIdentifier=source)["DBInstances"][0]["DBInstanceArn"]
        dr_rds.create_db_instance_read_replica(DBInstanceIdentifier=replica, SourceDBInstanceIdentifier=arn,
                                               SourceRegion="us-east-1")
        described = dr_rds.describe_db_instances(DBInstanceIdentifier=replica)["DBInstances"][0]
        assert described["DBInstanceStatus"] == "available"
        assert described["ReadReplicaSourceDBInstanceIdentifier"] == arn
        assert described["StatusInfos"] == [
            {"StatusType": "read replication", "Normal": True, "Status": "replicating"}]
        assert [group["DBParameterGroupName"] for group in described["DBParameterGroups"]] == [
            "default.postgres16"]

        query(rds, source, "INSERT INTO orders VALUES (2)")
        assert wait_for(lambda: query(dr_rds, replica, "SELECT id FROM orders ORDER BY id") == [(1,), (2,)])
        assert query(dr_rds, replica, "SELECT pg_is_in_recovery()") == [(True,)]

        dr_rds.promote_read_replica(DBInstanceIdentifier=replica)
        promoted = dr_rds.describe_db_instances(DBInstanceIdentifier=replica)["DBInstances"][0]
        assert "StatusInfos" not in promoted
        assert "ReadReplicaSourceDBInstanceIdentifier" not in promoted
        assert wait_for(lambda: query(dr_rds, replica, "SELECT pg_is_in_recovery()") == [(False,)])
        query(dr_rds, replica, "INSERT INTO orders VALUES (3)")
        assert query(dr_rds, replica, "SELECT id FROM orders ORDER BY id") == [(1,), (2,), (3,)]
        assert query(rds, source, "SELECT id FROM orders ORDER BY id") == [(1,), (2,)]
    finally:
        for client, identifier in ((dr_rds, replica), (rds, source)):
            try:
                client.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True)
            except client.exceptions.DBInstanceNotFoundFault:
                pass
        rds.delete_db_parameter_group(DBParameterGroupName=source)
