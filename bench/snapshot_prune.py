"""Pruning manual RDS snapshots: dbfleet.aws.rds_snapshot_lifecycle against the peers' way.

On a local endpoint of its own (a free port, a temporary state dir, stopped at the end: what
other runs left on the demo's endpoint would slow its listings), for each COUNT (by default
200, then 2,000), both sides measured in full on the same job: keep the 10 newest manual
snapshots of one DB instance, delete the rest.

- this collection: one task, `dbfleet.aws.rds_snapshot_lifecycle` with
  `retention: {keep_last: 10}` (listing included);
- the peers: `amazon.aws.rds_snapshot_info` (the listing), then a loop of
  `amazon.aws.rds_instance_snapshot state=absent wait=false` over all but the 10 newest,
  one task per snapshot, as a playbook written with amazon.aws does it.

Each side starts from COUNT fresh snapshots of an instance of its own (created through
boto3, not timed) and must end with exactly the 10 newest (read back through boto3). For
each side: the playbook's wall time, the time of its tasks (profile_tasks), the API calls
by action. Then the ratio. The peers' 2,000 take about 25 minutes on the development
machine; `--counts 200` for a short run.

Prints figures (and --json FILE writes them); nothing is asserted. Usage:

    .venv/bin/python bench/snapshot_prune.py [--counts 200 2000] [--concurrency N] [--json FILE]
"""

import argparse
import sys
import tempfile
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tools.local_aws.client import (  # noqa: E402
    ansible_environment, own_endpoint, profiled_environment, timed_tasks, write_figures)

KEEP = 10
COLLECTION_TASKS = """    - name: Keep the newest, delete the rest
      dbfleet.aws.rds_snapshot_lifecycle:
        db_instance_identifier: "{{ instance }}"
        retention: {keep_last: %d}
        concurrency: "{{ concurrency | default(omit) }}"
""" % KEEP
PEER_TASKS = """    - name: List the manual snapshots
      amazon.aws.rds_snapshot_info:
        db_instance_identifier: "{{ instance }}"
        snapshot_type: manual
      register: listed
    - name: Delete all but the newest
      amazon.aws.rds_instance_snapshot:
        db_snapshot_identifier: "{{ item }}"
        state: absent
        wait: false
      loop: "{{ (listed.snapshots | sort(attribute='snapshot_create_time', reverse=true)
                 | map(attribute='db_snapshot_identifier') | list)[%d:] }}"
""" % KEEP
SIDES = (
    ("collection", "dbfleet.aws.rds_snapshot_lifecycle, one task", COLLECTION_TASKS),
    ("peer", "amazon.aws.rds_snapshot_info + a loop of amazon.aws.rds_instance_snapshot", PEER_TASKS),
)


class Instance:
    """A DB instance of the benchmark's own with COUNT manual snapshots; deleted on exit."""

    def __init__(self, rds, count):
        self.rds = rds
        self.name = "bench-%s" % uuid.uuid4().hex[:8]
        rds.create_db_instance(DBInstanceIdentifier=self.name, Engine="postgres", DBInstanceClass="db.t3.micro",
                               MasterUsername="bench", MasterUserPassword="Bench-password-1", AllocatedStorage=20)
        for index in range(count):  # one after the other: each has its own creation time
            rds.create_db_snapshot(DBInstanceIdentifier=self.name, DBSnapshotIdentifier="%s-s%05d" % (self.name, index))
        listed = sorted(self.listing(), key=lambda snapshot: (snapshot["SnapshotCreateTime"], snapshot["DBSnapshotIdentifier"]))
        self.newest = [snapshot["DBSnapshotIdentifier"] for snapshot in listed[-KEEP:]]

    def listing(self):
        pages = self.rds.get_paginator("describe_db_snapshots").paginate(
            DBInstanceIdentifier=self.name, SnapshotType="manual")
        return [snapshot for page in pages for snapshot in page["DBSnapshots"]]

    def manual_snapshots(self):
        return sorted(snapshot["DBSnapshotIdentifier"] for snapshot in self.listing())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for name in self.manual_snapshots():
            self.rds.delete_db_snapshot(DBSnapshotIdentifier=name)
        self.rds.delete_db_instance(DBInstanceIdentifier=self.name, SkipFinalSnapshot=True)


def prune(endpoint, env, work, side, tasks, count, concurrency):
    rds = endpoint.client("rds")
    with Instance(rds, count) as instance:
        extra_vars = {"endpoint_url": endpoint.url, "instance": instance.name}
        if concurrency:
            extra_vars["concurrency"] = concurrency
        figures = timed_tasks(work, side, tasks, extra_vars, env)
        left = instance.manual_snapshots()
        if left != sorted(instance.newest):
            sys.exit("%s left %d snapshots, not the %d newest: %s" % (side, len(left), KEEP, left[:20]))
    return figures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[200, 2000])
    parser.add_argument("--concurrency", type=int,
                        help="the module's concurrency option (default: the module's default)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # figures appear as they come

    figures = []
    with own_endpoint() as endpoint, tempfile.TemporaryDirectory() as directory:
        env = profiled_environment(ansible_environment(endpoint))
        work = Path(directory)
        for count in args.counts:
            row = {"snapshots": count, "kept": KEEP}
            print("%d manual snapshots, keep the %d newest:" % (count, KEEP))
            for side, label, tasks in SIDES:
                row[side] = prune(endpoint, env, work, side, tasks, count, args.concurrency)
                print("  %-80s %7.1f s wall, tasks %7.1f s, %5d API calls %s"
                      % (label, row[side]["wall_seconds"], row[side]["task_seconds"], row[side]["api_calls"],
                         row[side]["calls_by_action"]))
            row["ratio"] = round(row["peer"]["wall_seconds"] / row["collection"]["wall_seconds"], 1)
            print("  the peers' way takes %.0fx the time of one task" % row["ratio"])
            figures.append(row)
    write_figures(args.json, {"prune": figures})


if __name__ == "__main__":
    main()
