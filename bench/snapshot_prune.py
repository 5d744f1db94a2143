"""Pruning manual RDS snapshots: dbfleet.aws.rds_snapshot_lifecycle against a task loop.

Against the local endpoint (LOCAL_AWS_PORT / LOCAL_AWS_STATE_DIR, started if needed):

1. creates one DB instance and COUNT manual snapshots through boto3 (timed);
2. prunes them to keep_last=10 with one run of dbfleet.aws.rds_snapshot_lifecycle (timed,
   with the API calls the recorder saw);
3. creates SAMPLE more snapshots and deletes them with a loop of
   amazon.aws.rds_instance_snapshot (state=absent, wait=false unless --loop-wait), one task
   per snapshot, and extrapolates that time to COUNT snapshots.

Prints figures only; nothing is asserted. Usage:

    LOCAL_AWS_PORT=5000 .venv/bin/python bench/snapshot_prune.py [--count 2000] [--sample 20]
"""

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tools.local_aws.client import (  # noqa: E402
    ansible_environment, run_ansible_playbook, running_endpoint)

PLAY_HEADER = """---
- name: Bench
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  module_defaults:
    group/dbfleet.aws.aws: {region: us-east-1, endpoint_url: "{{ endpoint_url }}"}
    group/aws: {region: us-east-1, endpoint_url: "{{ endpoint_url }}"}
  tasks:
"""
LIFECYCLE_TASK = """    - name: Prune with one module run
      dbfleet.aws.rds_snapshot_lifecycle:
        db_instance_identifier: "{{ instance }}"
        retention: {keep_last: 10}
"""
LOOP_TASK = """    - name: Delete one snapshot per task
      amazon.aws.rds_instance_snapshot:
        db_snapshot_identifier: "{{ item }}"
        state: absent
        wait: "{{ loop_wait }}"
      loop: "{{ snapshots }}"
"""


def create_snapshots(rds, instance, names):
    start = time.monotonic()
    for name in names:
        rds.create_db_snapshot(DBInstanceIdentifier=instance, DBSnapshotIdentifier=name)
    return time.monotonic() - start


def timed_playbook(work, name, body, extra_vars, env):
    playbook = work / name
    playbook.write_text(PLAY_HEADER + body)
    inventory = work / "inventory.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    start = time.monotonic()
    result = run_ansible_playbook(playbook, inventory, extra_vars=extra_vars, env=env)
    if result.returncode != 0:
        raise SystemExit(f"{name} failed:\n{result.stdout[-3000:]}\n{result.stderr[-2000:]}")
    return time.monotonic() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--sample", type=int, default=20)
    parser.add_argument("--loop-wait", action="store_true",
                        help="let each loop task wait for the deletion (the module's default)")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # figures appear as they come

    endpoint = running_endpoint()
    env = ansible_environment(endpoint)
    rds = endpoint.client("rds")
    instance = "bench-%s" % uuid.uuid4().hex[:8]
    rds.create_db_instance(DBInstanceIdentifier=instance, Engine="postgres", DBInstanceClass="db.t3.micro",
                           MasterUsername="bench", MasterUserPassword="Bench-password-1", AllocatedStorage=20)
    try:
        with tempfile.TemporaryDirectory() as directory:
            work = Path(directory)
            names = ["%s-s%05d" % (instance, index) for index in range(args.count)]
            created = create_snapshots(rds, instance, names)
            print("create %d snapshots through boto3: %.1f s (%.1f ms each)"
                  % (args.count, created, 1000 * created / args.count))

            since = endpoint.recorder.mark()
            module_time = timed_playbook(work, "lifecycle.yml", LIFECYCLE_TASK,
                                         {"endpoint_url": endpoint.url, "instance": instance}, env)
            counts = endpoint.recorder.count_by_action(since)
            print("dbfleet.aws.rds_snapshot_lifecycle, %d snapshots to keep_last=10: %.1f s "
                  "(DescribeDBSnapshots %d, DeleteDBSnapshot %d)"
                  % (args.count, module_time, counts.get("DescribeDBSnapshots", 0), counts.get("DeleteDBSnapshot", 0)))

            sample = ["%s-loop%03d" % (instance, index) for index in range(args.sample)]
            create_snapshots(rds, instance, sample)
            loop_time = timed_playbook(work, "loop.yml", LOOP_TASK,
                                       {"endpoint_url": endpoint.url, "snapshots": sample,
                                        "loop_wait": args.loop_wait}, env)
            per_snapshot = loop_time / args.sample
            print("amazon.aws.rds_instance_snapshot loop (wait: %s), %d snapshots: %.1f s (%.2f s each)"
                  % (str(args.loop_wait).lower(), args.sample, loop_time, per_snapshot))
            print("loop extrapolated to %d snapshots: %.0f s (%.1f min), %.0fx the module run"
                  % (args.count, per_snapshot * args.count, per_snapshot * args.count / 60,
                     per_snapshot * args.count / module_time))
            print(json.dumps({"count": args.count, "module_seconds": round(module_time, 1),
                              "loop_seconds_per_snapshot": round(per_snapshot, 3),
                              "loop_seconds_extrapolated": round(per_snapshot * args.count, 1)}))
    finally:
        rds.delete_db_instance(DBInstanceIdentifier=instance, SkipFinalSnapshot=True)
        pages = rds.get_paginator("describe_db_snapshots").paginate(
            DBInstanceIdentifier=instance, SnapshotType="manual")
        for snapshot in [snapshot for page in pages for snapshot in page["DBSnapshots"]]:
            rds.delete_db_snapshot(DBSnapshotIdentifier=snapshot["DBSnapshotIdentifier"])


if __name__ == "__main__":
    main()
