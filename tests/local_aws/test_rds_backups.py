"""Snapshots, restores and point-in-time recovery of the local endpoint carry real data:
rows written to the source PostgreSQL are read back from the restored instances."""

import time
import uuid
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from conftest import ansible_environment, pg_connect, run_playbook

from tools.local_aws.dataplane import postgres

MASTER_USER = "fleetadmin"
PASSWORD = "drill-" + uuid.uuid4().hex
DB_NAME = "orders"
DR_REGION = "us-west-2"
PLAYBOOK = Path(__file__).parent / "playbooks" / "rds_restore.yml"


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def describe(rds, identifier):
    return rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]


def query(rds, identifier, statement):
    endpoint = describe(rds, identifier)["Endpoint"]
    with closing(pg_connect(endpoint["Address"], endpoint["Port"], MASTER_USER, PASSWORD,
                            DB_NAME)) as connection, connection.cursor() as cursor:
        cursor.execute(statement)
        return cursor.fetchall() if cursor.description else None


def order_ids(rds, identifier):
    return [row[0] for row in query(rds, identifier, "SELECT id FROM orders ORDER BY id")]


def write(rds, identifier, *ids):
    query(rds, identifier, "INSERT INTO orders VALUES " + ", ".join(f"({i})" for i in ids))


def lineages(local_aws, region="us-east-1"):
    root = postgres.pg_root(local_aws.state_dir) / postgres.BACKUPS_DIR / region
    return {path.name for path in root.iterdir()} if root.exists() else set()


class Instances:
    """Creates instances and restores in a region; deletes whatever is left at the end."""

    def __init__(self, rds):
        self.rds = rds
        self.created = []

    def create(self, **options):
        identifier = unique("bk")
        self.rds.create_db_instance(
            DBInstanceIdentifier=identifier, Engine="postgres", EngineVersion="16.3",
            DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername=MASTER_USER,
            MasterUserPassword=PASSWORD, DBName=DB_NAME, **{"BackupRetentionPeriod": 7,
                                                            **options})
        self.created.append(identifier)
        query(self.rds, identifier, "CREATE TABLE orders (id int PRIMARY KEY)")
        return identifier

    def restore_snapshot(self, snapshot_id):
        identifier = unique("bk-restored")
        self.created.append(identifier)
        self.rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier=identifier,
                                                      DBSnapshotIdentifier=snapshot_id)
        return identifier

    def restore_time(self, source, **when):
        identifier = unique("bk-pitr")
        self.created.append(identifier)
        self.rds.restore_db_instance_to_point_in_time(
            SourceDBInstanceIdentifier=source, TargetDBInstanceIdentifier=identifier, **when)
        return identifier

    def cleanup(self):
        for identifier in reversed(self.created):
            try:
                self.rds.delete_db_instance(DBInstanceIdentifier=identifier,
                                            SkipFinalSnapshot=True)
            except ClientError:
                pass  # deleted by the test
        for snapshot in self.rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]:
            if snapshot["DBSnapshotIdentifier"].startswith("bk-"):
                self.rds.delete_db_snapshot(DBSnapshotIdentifier=snapshot["DBSnapshotIdentifier"])


@pytest.fixture(scope="module")
def rds(local_aws):
    return local_aws.client("rds")


@pytest.fixture(scope="module")
def dr_rds(local_aws):
    return local_aws.client("rds", region=DR_REGION)


@pytest.fixture(scope="module")
def instances(rds):
    made = Instances(rds)
    yield made
    made.cleanup()


@pytest.fixture(scope="module")
def dr_instances(dr_rds):
    made = Instances(dr_rds)
    yield made
    made.cleanup()


@pytest.fixture(scope="module")
def drill(rds, instances):
    """Source with rows 1, 2; snapshot; rows 3 (before `between`) and 4 (after it)."""
    source = instances.create()
    write(rds, source, 1, 2)
    snapshot_id = unique("bk-snap")
    rds.create_db_snapshot(DBInstanceIdentifier=source, DBSnapshotIdentifier=snapshot_id)
    write(rds, source, 3)
    time.sleep(0.5)
    between = datetime.now(timezone.utc)
    time.sleep(0.5)
    write(rds, source, 4)
    return {"source": source, "snapshot": snapshot_id, "between": between}


def test_restore_from_snapshot_holds_only_the_rows_written_before_it(rds, instances, drill):
    restored = instances.restore_snapshot(drill["snapshot"])
    assert order_ids(rds, restored) == [1, 2]
    assert order_ids(rds, drill["source"]) == [1, 2, 3, 4]
    instance = describe(rds, restored)
    assert instance["DBInstanceStatus"] == "available"
    assert "ReadReplicaSourceDBInstanceIdentifier" not in instance
    assert instance["DbiResourceId"] != describe(rds, drill["source"])["DbiResourceId"]
    # The restored instance is a writable primary with backups of its own.
    write(rds, restored, 10)
    assert query(rds, restored, "SELECT pg_is_in_recovery()") == [(False,)]
    assert describe(rds, restored)["LatestRestorableTime"] is not None


def test_point_in_time_restore_between_two_writes(rds, instances, drill):
    restored = instances.restore_time(drill["source"], RestoreTime=drill["between"])
    assert order_ids(rds, restored) == [1, 2, 3]


def test_restore_to_latest_restorable_time_lags_like_rds(rds, instances, drill):
    # A restore ships the source's WAL: everything so far becomes restorable.
    instances.restore_snapshot(drill["snapshot"])
    shipped = describe(rds, drill["source"])["LatestRestorableTime"]
    write(rds, drill["source"], 5)
    # Row 5 is newer than the last shipment (WAL ships every 5 minutes, as on RDS).
    assert describe(rds, drill["source"])["LatestRestorableTime"] == shipped
    restored = instances.restore_time(drill["source"], UseLatestRestorableTime=True)
    assert order_ids(rds, restored) == [1, 2, 3, 4]


def test_restore_onto_an_existing_identifier_is_refused_and_touches_nothing(
        local_aws, rds, drill):
    source = drill["source"]
    before = describe(rds, source)
    since = local_aws.recorder.mark()
    for call, arguments in (
            (rds.restore_db_instance_from_db_snapshot,
             {"DBInstanceIdentifier": source, "DBSnapshotIdentifier": drill["snapshot"]}),
            (rds.restore_db_instance_to_point_in_time,
             {"SourceDBInstanceIdentifier": source, "TargetDBInstanceIdentifier": source,
              "UseLatestRestorableTime": True})):
        with pytest.raises(ClientError) as error:
            call(**arguments)
        assert error.value.response["Error"]["Code"] == "DBInstanceAlreadyExists"
    after = describe(rds, source)
    assert (after["Endpoint"], after["DbiResourceId"]) == (
        before["Endpoint"], before["DbiResourceId"])
    assert order_ids(rds, source)[:4] == [1, 2, 3, 4]
    assert [call["error"] for call in local_aws.recorder.mutating(since)] == [
        "DBInstanceAlreadyExists", "DBInstanceAlreadyExists"]


def test_restore_time_outside_the_window_is_refused(rds, drill):
    source = drill["source"]
    for moment in (datetime.now(timezone.utc) + timedelta(hours=1),
                   datetime.now(timezone.utc) - timedelta(days=1)):
        with pytest.raises(ClientError) as error:
            rds.restore_db_instance_to_point_in_time(
                SourceDBInstanceIdentifier=source, TargetDBInstanceIdentifier=unique("bk-no"),
                RestoreTime=moment)
        assert error.value.response["Error"]["Code"] == "InvalidRestoreFault"
        assert "restorable window" in error.value.response["Error"]["Message"]


def test_no_point_in_time_restore_without_backup_retention(rds, instances):
    source = instances.create(BackupRetentionPeriod=0)
    assert "LatestRestorableTime" not in describe(rds, source)
    with pytest.raises(ClientError) as error:
        instances.restore_time(source, UseLatestRestorableTime=True)
    assert error.value.response["Error"]["Code"] == "PointInTimeRestoreNotEnabled"
    with pytest.raises(ClientError) as error:
        rds.describe_db_instance_automated_backups(DBInstanceIdentifier=source)
    assert error.value.response["Error"]["Code"] == "DBInstanceAutomatedBackupNotFound"


def test_automated_backup_reports_the_restorable_window(rds, drill):
    source = describe(rds, drill["source"])
    backups = rds.describe_db_instance_automated_backups(
        DBInstanceIdentifier=drill["source"])["DBInstanceAutomatedBackups"]
    assert len(backups) == 1
    backup = backups[0]
    assert (backup["Status"], backup["DbiResourceId"], backup["BackupRetentionPeriod"]) == (
        "active", source["DbiResourceId"], 7)
    window = backup["RestoreWindow"]
    assert window["EarliestTime"] <= drill["between"] <= window["LatestTime"]
    assert window["LatestTime"] <= datetime.now(timezone.utc)
    assert rds.describe_db_instance_automated_backups(
        DbiResourceId=source["DbiResourceId"])["DBInstanceAutomatedBackups"][0][
        "DBInstanceIdentifier"] == drill["source"]


def test_snapshots_outlive_their_instance_and_their_data_goes_with_the_last(
        local_aws, rds, instances):
    source = instances.create()
    resource_id = describe(rds, source)["DbiResourceId"].lower()
    write(rds, source, 1)
    manual = unique("bk-manual")
    rds.create_db_snapshot(DBInstanceIdentifier=source, DBSnapshotIdentifier=manual)
    write(rds, source, 2)
    final = unique("bk-final")
    rds.delete_db_instance(DBInstanceIdentifier=source, FinalDBSnapshotIdentifier=final)
    assert resource_id in lineages(local_aws)

    assert order_ids(rds, instances.restore_snapshot(manual)) == [1]
    assert order_ids(rds, instances.restore_snapshot(final)) == [1, 2]

    rds.delete_db_snapshot(DBSnapshotIdentifier=manual)
    assert resource_id in lineages(local_aws)
    rds.delete_db_snapshot(DBSnapshotIdentifier=final)
    assert resource_id not in lineages(local_aws)


def test_retained_automated_backup_after_deletion(local_aws, rds, instances):
    source = instances.create()
    resource_id = describe(rds, source)["DbiResourceId"]
    rds.delete_db_instance(DBInstanceIdentifier=source, SkipFinalSnapshot=True,
                           DeleteAutomatedBackups=False)
    backup = rds.describe_db_instance_automated_backups(
        DbiResourceId=resource_id)["DBInstanceAutomatedBackups"][0]
    assert backup["Status"] == "retained"
    assert backup["RestoreWindow"]["EarliestTime"] <= backup["RestoreWindow"]["LatestTime"]
    assert resource_id.lower() in lineages(local_aws)

    deleted = rds.delete_db_instance_automated_backup(
        DBInstanceAutomatedBackupsArn=backup["DBInstanceAutomatedBackupsArn"])["DBInstanceAutomatedBackup"]
    assert (deleted["DbiResourceId"], deleted["Status"]) == (resource_id, "deleting")
    with pytest.raises(rds.exceptions.ClientError, match="DBInstanceAutomatedBackupNotFound"):
        rds.describe_db_instance_automated_backups(DbiResourceId=resource_id)
    assert resource_id.lower() not in lineages(local_aws)


def test_the_automated_backup_of_a_running_instance_cannot_be_deleted(rds, instances):
    source = instances.create()
    resource_id = describe(rds, source)["DbiResourceId"]
    with pytest.raises(rds.exceptions.ClientError, match="InvalidDBInstanceAutomatedBackupState"):
        rds.delete_db_instance_automated_backup(DbiResourceId=resource_id)
    assert rds.describe_db_instance_automated_backups(
        DbiResourceId=resource_id)["DBInstanceAutomatedBackups"][0]["Status"] == "active"


@pytest.fixture
def ship_at_every_describe(local_aws):
    """WAL shipped at every describe, so LatestRestorableTime follows a running instance."""
    local_aws.control("POST", "log-shipping", {"seconds": 0})
    yield
    local_aws.control("POST", "log-shipping", {"seconds": 300})


def test_snapshot_of_a_stopped_instance(rds, instances, ship_at_every_describe):
    source = instances.create()
    write(rds, source, 7)
    # While it runs, each describe ships and the time moves on ...
    running_latest = describe(rds, source)["LatestRestorableTime"]
    time.sleep(1.1)
    assert describe(rds, source)["LatestRestorableTime"] > running_latest
    rds.stop_db_instance(DBInstanceIdentifier=source)
    stopped_latest = describe(rds, source)["LatestRestorableTime"]
    snapshot_id = unique("bk-stopped")
    rds.create_db_snapshot(DBInstanceIdentifier=source, DBSnapshotIdentifier=snapshot_id)
    assert order_ids(rds, instances.restore_snapshot(snapshot_id)) == [7]
    # ... once stopped, it stays where the stop left it.
    time.sleep(1.1)
    assert describe(rds, source)["LatestRestorableTime"] == stopped_latest


def test_copied_snapshot_restores_in_another_region(rds, dr_rds, dr_instances, drill):
    arn = rds.describe_db_snapshots(DBSnapshotIdentifier=drill["snapshot"])["DBSnapshots"][0][
        "DBSnapshotArn"]
    copy_id = unique("bk-copy")
    dr_rds.copy_db_snapshot(SourceDBSnapshotIdentifier=arn, TargetDBSnapshotIdentifier=copy_id,
                            SourceRegion="us-east-1")
    restored = dr_instances.restore_snapshot(copy_id)
    assert order_ids(dr_rds, restored) == [1, 2]
    assert describe(dr_rds, restored)["AvailabilityZone"].startswith(DR_REGION)


def test_cross_region_read_replica_streams_and_promotes(rds, dr_rds, dr_instances, drill):
    source = describe(rds, drill["source"])
    replica = unique("bk-dr-replica")
    dr_instances.created.append(replica)
    dr_rds.create_db_instance_read_replica(DBInstanceIdentifier=replica,
                                           SourceDBInstanceIdentifier=source["DBInstanceArn"],
                                           SourceRegion="us-east-1")
    described = describe(dr_rds, replica)
    assert described["ReadReplicaSourceDBInstanceIdentifier"] == source["DBInstanceArn"]
    assert described["AvailabilityZone"].startswith(DR_REGION)
    assert described["DBInstanceArn"].startswith(f"arn:aws:rds:{DR_REGION}:")
    assert describe(rds, drill["source"])["ReadReplicaDBInstanceIdentifiers"] == [
        described["DBInstanceArn"]]

    write(rds, drill["source"], 100)
    deadline = time.monotonic() + 10
    while 100 not in order_ids(dr_rds, replica) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert 100 in order_ids(dr_rds, replica)
    assert query(dr_rds, replica, "SELECT pg_is_in_recovery()") == [(True,)]

    dr_rds.promote_read_replica(DBInstanceIdentifier=replica)
    promoted = describe(dr_rds, replica)
    assert "ReadReplicaSourceDBInstanceIdentifier" not in promoted
    assert describe(rds, drill["source"])["ReadReplicaDBInstanceIdentifiers"] == []
    deadline = time.monotonic() + 10
    while query(dr_rds, replica, "SELECT pg_is_in_recovery()") != [(False,)] and \
            time.monotonic() < deadline:
        time.sleep(0.2)
    write(dr_rds, replica, 200)
    assert 200 not in order_ids(rds, drill["source"])
    # The promoted instance has backups of its own.
    snapshot_id = unique("bk-dr-snap")
    dr_rds.create_db_snapshot(DBInstanceIdentifier=replica, DBSnapshotIdentifier=snapshot_id)
    write(dr_rds, replica, 201)
    assert order_ids(dr_rds, dr_instances.restore_snapshot(snapshot_id))[-2:] == [100, 200]


def test_amazon_aws_restores_and_cross_region_replica(local_aws, rds, dr_rds, instances, drill):
    """The code paths of amazon.aws.rds_instance that restore.yml and failover.yml use."""
    prefix = unique("bk-aws")
    source = describe(rds, drill["source"])
    instances.created += [f"{prefix}-snap", f"{prefix}-pitr", f"{prefix}-latest"]
    ec2 = local_aws.client("ec2", region=DR_REGION)
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    dr_rds.create_db_subnet_group(DBSubnetGroupName=prefix, DBSubnetGroupDescription="DR",
                                  SubnetIds=[subnet["SubnetId"] for subnet in subnets[:2]])
    try:
        run_playbook(PLAYBOOK, "localhost,", env=ansible_environment(local_aws), extra_vars={
            "endpoint_url": local_aws.url, "prefix": prefix, "source": drill["source"],
            "source_arn": source["DBInstanceArn"], "snapshot": drill["snapshot"],
            "restore_time": drill["between"].strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "dr_subnet_group": prefix})
        assert order_ids(rds, f"{prefix}-snap") == [1, 2]
        assert order_ids(rds, f"{prefix}-pitr") == [1, 2, 3]
        assert order_ids(rds, f"{prefix}-latest")[:4] == [1, 2, 3, 4]
        promoted = describe(dr_rds, f"{prefix}-dr")
        assert "ReadReplicaSourceDBInstanceIdentifier" not in promoted
        assert promoted["DBSubnetGroup"]["DBSubnetGroupName"] == prefix
        assert promoted["DBSubnetGroup"]["VpcId"] == subnets[0]["VpcId"]
        assert query(dr_rds, f"{prefix}-dr", "SELECT pg_is_in_recovery()") == [(False,)]
        assert order_ids(dr_rds, f"{prefix}-dr") == order_ids(rds, drill["source"])
    finally:
        try:
            dr_rds.delete_db_instance(DBInstanceIdentifier=f"{prefix}-dr", SkipFinalSnapshot=True)
        except ClientError:
            pass  # the playbook did not get that far
        dr_rds.delete_db_subnet_group(DBSubnetGroupName=prefix)
