"""Snapshots and restores of the local endpoint's real PostgreSQL data plane.

Against the local endpoint (LOCAL_AWS_PORT / LOCAL_AWS_STATE_DIR, started if needed):

1. creates one DB instance with ROWS rows;
2. times COUNT CreateDBSnapshot calls through boto3 (whole API round trip) and COUNT
   restore points made directly by the data plane (tools.local_aws.dataplane.postgres,
   what CreateDBSnapshot adds to moto's work);
3. times RestoreDBInstanceFromDBSnapshot and RestoreDBInstanceToPointInTime
   (UseLatestRestorableTime) until the restored instance answers;
4. times deleting the COUNT snapshots through boto3.

Prints figures only; nothing is asserted. Usage (as the endpoint's user, for the
data-plane figures):

    LOCAL_AWS_PORT=5000 .venv/bin/python bench/rds_backups.py [--count 200] [--rows 10000]
"""

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tools.local_aws.client import pg_connect, running_endpoint  # noqa: E402
from tools.local_aws.dataplane import postgres  # noqa: E402

PASSWORD = uuid.uuid4().hex


def milliseconds(samples):
    ordered = sorted(samples)
    return "median %.1f ms, p95 %.1f ms, max %.1f ms" % (
        statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95) - 1] * 1000, ordered[-1] * 1000)


def timed(call):
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--rows", type=int, default=10000)
    args = parser.parse_args()
    endpoint = running_endpoint()
    rds = endpoint.client("rds")
    source = "bench-" + uuid.uuid4().hex[:8]
    rds.create_db_instance(DBInstanceIdentifier=source, Engine="postgres", DBInstanceClass="db.t3.micro",
                           AllocatedStorage=20, MasterUsername="bench", MasterUserPassword=PASSWORD,
                           DBName="bench", BackupRetentionPeriod=7)
    created = [source]
    names = ["%s-%04d" % (source, index) for index in range(args.count)]
    try:
        address = rds.describe_db_instances(DBInstanceIdentifier=source)["DBInstances"][0]["Endpoint"]
        with pg_connect(address["Address"], address["Port"], "bench", PASSWORD, "bench") as connection:
            connection.cursor().execute("CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v "
                                        "FROM generate_series(1, %s) g", (args.rows,))
        api = [timed(lambda name=name: rds.create_db_snapshot(DBInstanceIdentifier=source,
                                                              DBSnapshotIdentifier=name))
               for name in names]
        plane = [timed(lambda: postgres.snapshot(endpoint.state_dir, "us-east-1", source, uuid.uuid4().hex))
                 for _index in range(args.count)]
        print("CreateDBSnapshot x%d through boto3: %s" % (args.count, milliseconds(api)))
        print("restore point (data plane only) x%d: %s" % (args.count, milliseconds(plane)))
        for label, call in (
                ("RestoreDBInstanceFromDBSnapshot", lambda target: rds.restore_db_instance_from_db_snapshot(
                    DBInstanceIdentifier=target, DBSnapshotIdentifier=names[0])),
                ("RestoreDBInstanceToPointInTime (latest)", lambda target: rds.restore_db_instance_to_point_in_time(
                    SourceDBInstanceIdentifier=source, TargetDBInstanceIdentifier=target,
                    UseLatestRestorableTime=True))):
            target = "bench-restored-" + uuid.uuid4().hex[:8]
            created.append(target)
            print("%s (%d rows): %.2f s" % (label, args.rows, timed(lambda: call(target))))
        deleting = timed(lambda: [rds.delete_db_snapshot(DBSnapshotIdentifier=name) for name in names])
        names = []
        print("DeleteDBSnapshot x%d through boto3: %.2f s" % (args.count, deleting))
    finally:
        for name in names:
            rds.delete_db_snapshot(DBSnapshotIdentifier=name)
        for identifier in created:
            rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True)


if __name__ == "__main__":
    main()
