"""RDS DB instances of the local endpoint are real PostgreSQL clusters."""

import time
import uuid
from contextlib import closing

import psycopg2
import pytest
from botocore.exceptions import ClientError
from conftest import pg_connect, port_answers

from tools.local_aws.dataplane import loopback, postgres

MASTER_USER = "fleetadmin"
DB_NAME = "orders"


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def rds(local_aws):
    return local_aws.client("rds")


@pytest.fixture
def instances(rds):
    """Creates PostgreSQL instances on demand and deletes whatever is left afterwards."""
    created = []

    def create(password, **options):
        identifier = unique("dp")
        rds.create_db_instance(
            DBInstanceIdentifier=identifier, Engine="postgres", EngineVersion="16.3",
            DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername=MASTER_USER,
            MasterUserPassword=password, DBName=DB_NAME, **options)
        created.append(identifier)
        return describe(rds, identifier)

    yield create
    for identifier in reversed(created):
        try:
            rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True)
        except ClientError:
            pass  # deleted by the test itself


def describe(rds, identifier):
    return rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]


def connect(instance, password, dbname=DB_NAME):
    endpoint = instance["Endpoint"]
    return pg_connect(endpoint["Address"], endpoint["Port"], MASTER_USER, password, dbname)


def query(connection, statement, *args):
    with connection.cursor() as cursor:
        cursor.execute(statement, args)
        return cursor.fetchall() if cursor.description else None


def wait_for(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def test_master_user_and_database_exist_behind_the_endpoint(instances, local_aws):
    password = uuid.uuid4().hex
    instance = instances(password)
    # A host of its own, on the port the instance was created with (5432 by default).
    assert instance["Endpoint"]["Address"] in loopback.addresses(loopback.POSTGRES_HOSTS, local_aws.port)
    assert instance["Endpoint"]["Port"] == 5432
    with closing(connect(instance, password)) as connection:
        assert query(connection, "SELECT current_user, current_database()") == [
            (MASTER_USER, DB_NAME)]
        assert query(connection, "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles "
                                 "WHERE rolname = current_user") == [(False, True, True)]
        assert query(connection, "SELECT pg_get_userbyid(datdba) FROM pg_database "
                                 "WHERE datname = %s", DB_NAME) == [(MASTER_USER,)]
        query(connection, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        assert query(connection, "SELECT count(*) > 0 FROM pg_stat_statements") == [(True,)]


def test_wrong_password_is_refused(instances):
    instance = instances(uuid.uuid4().hex)
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        connect(instance, "not-the-password")


def test_master_password_change_reaches_the_database(rds, instances):
    old_password, new_password = uuid.uuid4().hex, uuid.uuid4().hex
    instance = instances(old_password)
    rds.modify_db_instance(DBInstanceIdentifier=instance["DBInstanceIdentifier"],
                           MasterUserPassword=new_password, ApplyImmediately=True)
    with closing(connect(instance, new_password)) as connection:
        assert query(connection, "SELECT 1") == [(1,)]
    with pytest.raises(psycopg2.OperationalError):
        connect(instance, old_password)


def test_read_replica_is_read_only_and_streams_from_its_source(rds, instances):
    password = uuid.uuid4().hex
    source = instances(password)
    replica_id = unique("dp-replica")
    rds.create_db_instance_read_replica(DBInstanceIdentifier=replica_id,
                                        SourceDBInstanceIdentifier=source["DBInstanceIdentifier"])
    try:
        replica = describe(rds, replica_id)
        assert replica["ReadReplicaSourceDBInstanceIdentifier"] == source["DBInstanceIdentifier"]
        assert replica["Endpoint"]["Address"] != source["Endpoint"]["Address"]
        assert replica["Endpoint"]["Port"] == source["Endpoint"]["Port"]
        assert replica["DbiResourceId"] != source["DbiResourceId"]
        with closing(connect(source, password)) as primary:
            query(primary, "CREATE TABLE orders (id int)")
            query(primary, "INSERT INTO orders VALUES (1), (2)")
        with closing(connect(replica, password)) as standby:
            assert wait_for(lambda: query(standby, "SELECT to_regclass('orders') IS NOT NULL")
                            == [(True,)])
            assert wait_for(lambda: query(standby, "SELECT count(*) FROM orders") == [(2,)])
            assert query(standby, "SELECT pg_is_in_recovery()") == [(True,)]
            with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
                query(standby, "INSERT INTO orders VALUES (3)")
    finally:
        rds.delete_db_instance(DBInstanceIdentifier=replica_id, SkipFinalSnapshot=True)


def test_promoted_replica_becomes_writable(rds, instances):
    password = uuid.uuid4().hex
    source = instances(password)
    replica_id = unique("dp-promote")
    rds.create_db_instance_read_replica(DBInstanceIdentifier=replica_id,
                                        SourceDBInstanceIdentifier=source["DBInstanceIdentifier"])
    try:
        rds.promote_read_replica(DBInstanceIdentifier=replica_id)
        promoted = describe(rds, replica_id)
        assert "ReadReplicaSourceDBInstanceIdentifier" not in promoted
        assert describe(rds, source["DBInstanceIdentifier"])[
            "ReadReplicaDBInstanceIdentifiers"] == []
        with closing(connect(promoted, password)) as connection:
            assert wait_for(lambda: query(connection, "SELECT pg_is_in_recovery()") == [(False,)])
            query(connection, "CREATE TABLE written_after_promotion (id int)")
    finally:
        rds.delete_db_instance(DBInstanceIdentifier=replica_id, SkipFinalSnapshot=True)


def test_reboot_restarts_the_server(rds, instances):
    password = uuid.uuid4().hex
    instance = instances(password)
    with closing(connect(instance, password)) as connection:
        started_before = query(connection, "SELECT pg_postmaster_start_time()")[0][0]
    rds.reboot_db_instance(DBInstanceIdentifier=instance["DBInstanceIdentifier"])
    with closing(connect(instance, password)) as connection:
        assert query(connection, "SELECT pg_postmaster_start_time()")[0][0] > started_before


def test_instances_share_a_port_on_addresses_of_their_own_and_move_when_modified(rds, instances):
    password = uuid.uuid4().hex
    first, second = instances(password), instances(password, Port=6432)
    third = instances(password, Port=6432)
    assert (second["Endpoint"]["Port"], third["Endpoint"]["Port"]) == (6432, 6432)
    assert len({first["Endpoint"]["Address"], second["Endpoint"]["Address"], third["Endpoint"]["Address"]}) == 3
    with closing(connect(second, password)) as connection:
        query(connection, "CREATE TABLE kept AS SELECT 1 AS id")

    rds.modify_db_instance(DBInstanceIdentifier=second["DBInstanceIdentifier"], DBPortNumber=5433,
                           ApplyImmediately=False)
    moved = describe(rds, second["DBInstanceIdentifier"])
    assert moved["Endpoint"] == dict(second["Endpoint"], Port=5433)
    assert not port_answers(second["Endpoint"]["Address"], 6432)
    with closing(connect(moved, password)) as connection:
        assert query(connection, "SELECT id FROM kept") == [(1,)]


def test_stop_and_start_stop_and_start_the_server(rds, instances):
    password = uuid.uuid4().hex
    instance = instances(password)
    identifier, endpoint = instance["DBInstanceIdentifier"], instance["Endpoint"]
    rds.stop_db_instance(DBInstanceIdentifier=identifier)
    assert describe(rds, identifier)["DBInstanceStatus"] == "stopped"
    assert not port_answers(endpoint["Address"], endpoint["Port"])
    rds.start_db_instance(DBInstanceIdentifier=identifier)
    assert describe(rds, identifier)["DBInstanceStatus"] == "available"
    with closing(connect(instance, password)) as connection:
        assert query(connection, "SELECT current_database()") == [(DB_NAME,)]


def test_delete_drops_the_database_and_frees_the_port(rds, instances, local_aws):
    password = uuid.uuid4().hex
    instance = instances(password)
    endpoint = instance["Endpoint"]
    assert port_answers(endpoint["Address"], endpoint["Port"])
    rds.delete_db_instance(DBInstanceIdentifier=instance["DBInstanceIdentifier"],
                           SkipFinalSnapshot=True)
    assert not port_answers(endpoint["Address"], endpoint["Port"])
    assert not list(postgres.clusters_dir(local_aws.state_dir).glob(f"*/{instance['DBInstanceIdentifier']}"))


def test_forced_failover_swaps_zones_and_records_events(rds, instances):
    instance = instances(uuid.uuid4().hex, MultiAZ=True)
    identifier = instance["DBInstanceIdentifier"]
    primary, standby = instance["AvailabilityZone"], instance["SecondaryAvailabilityZone"]
    assert primary.startswith("us-east-1") and standby.startswith("us-east-1")
    assert primary != standby

    rds.reboot_db_instance(DBInstanceIdentifier=identifier, ForceFailover=True)

    after = describe(rds, identifier)
    assert (after["AvailabilityZone"], after["SecondaryAvailabilityZone"]) == (standby, primary)
    events = rds.describe_events(SourceIdentifier=identifier, SourceType="db-instance")["Events"]
    failover = [e for e in events if "failover" in e["EventCategories"]]
    assert [e["Message"] for e in failover] == [
        "Multi-AZ instance failover started.", "Multi-AZ instance failover completed"]
    assert all(e["SourceType"] == "db-instance" for e in failover)


def test_forced_failover_needs_multi_az(rds, instances):
    instance = instances(uuid.uuid4().hex)
    with pytest.raises(ClientError) as error:
        rds.reboot_db_instance(DBInstanceIdentifier=instance["DBInstanceIdentifier"],
                               ForceFailover=True)
    assert error.value.response["Error"]["Code"] == "InvalidParameterCombination"


def test_describe_reports_fields_amazon_aws_compares(instances):
    instance = instances(uuid.uuid4().hex, MultiAZ=True, StorageType="gp3",
                         MaxAllocatedStorage=100, EnablePerformanceInsights=True,
                         PerformanceInsightsRetentionPeriod=731)
    assert instance["PerformanceInsightsEnabled"] is True
    assert instance["PerformanceInsightsRetentionPeriod"] == 731
    assert instance["SecondaryAvailabilityZone"] != instance["AvailabilityZone"]
    assert (instance["StorageType"], instance["Iops"], instance["StorageThroughput"]) == (
        "gp3", 3000, 125)
    assert instance["MaxAllocatedStorage"] == 100
    assert instance["PendingModifiedValues"] == {}


def test_backup_and_maintenance_windows_may_touch_but_not_overlap(rds, instances):
    touching = instances("secret-pw-1", PreferredBackupWindow="03:00-04:00",
                         PreferredMaintenanceWindow="mon:04:00-mon:05:00")
    assert touching["PreferredBackupWindow"] == "03:00-04:00"
    assert touching["PreferredMaintenanceWindow"] == "mon:04:00-mon:05:00"
    with pytest.raises(ClientError) as error:
        instances("secret-pw-2", PreferredBackupWindow="23:30-00:30",
                  PreferredMaintenanceWindow="tue:00:00-tue:01:00")
    assert "must not overlap" in error.value.response["Error"]["Message"]
