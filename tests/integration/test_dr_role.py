"""The dbfleet.aws.dr role against the local endpoint: snapshot policy, copies to the DR
region with their own policy, RPO check, check mode and idempotence.

One DB instance with 12 manual snapshots (one protected) serves every test, in file order.
"""

import json
import uuid
from pathlib import Path

import pytest
from conftest import ansible_environment, run_playbook

PLAYBOOK = Path(__file__).resolve().parent / "playbooks" / "dr_role.yml"
DR_REGION = "us-west-2"


@pytest.fixture(scope="module")
def instance(local_aws):
    rds = local_aws.client("rds")
    name = "drrole-%s" % uuid.uuid4().hex[:8]
    rds.create_db_instance(DBInstanceIdentifier=name, Engine="postgres", DBInstanceClass="db.t3.micro",
                           MasterUsername="app", MasterUserPassword="Dr-role-test-1", AllocatedStorage=20,
                           BackupRetentionPeriod=7)
    for index in range(12):
        tags = [{"Key": "retain", "Value": "true"}] if index == 0 else []
        rds.create_db_snapshot(DBInstanceIdentifier=name, DBSnapshotIdentifier="%s-s%02d" % (name, index), Tags=tags)
    yield name
    rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=True)
    for region in ("us-east-1", DR_REGION):
        client = local_aws.client("rds", region=region)
        for snapshot in manual_ids(client, name):
            client.delete_db_snapshot(DBSnapshotIdentifier=snapshot)


@pytest.fixture(scope="module")
def apply(local_aws, instance, tmp_path_factory):
    work = tmp_path_factory.mktemp("dr-role")
    inventory = work / "inventory.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    env = ansible_environment(local_aws)
    runs = []

    def run(variables, check=False, expect_rc=0):
        result_file = work / ("result-%d.json" % len(runs))
        runs.append(result_file)
        extra_vars = dict({"endpoint_url": local_aws.url, "rds_identifier": instance,
                           "result_file": str(result_file)}, **variables)
        process = run_playbook(PLAYBOOK, inventory, extra_vars=extra_vars, check=check, diff=check, env=env,
                               expect_rc=expect_rc)
        process.result = json.loads(result_file.read_text()) if result_file.exists() else None
        return process

    return run


def manual_ids(client, instance):
    pages = client.get_paginator("describe_db_snapshots").paginate(DBInstanceIdentifier=instance,
                                                                   SnapshotType="manual")
    return set(snapshot["DBSnapshotIdentifier"] for page in pages for snapshot in page["DBSnapshots"])


POLICY = {"dr_rds_snapshot_retention": {"keep_last": 5}, "dr_copy_region": DR_REGION,
          "dr_copy_retention": {"keep_last": 2}, "dr_rpo_minutes": 60}


def test_bad_variables_fail_before_any_aws_call(local_aws, apply):
    since = local_aws.recorder.mark()
    process = apply({"dr_rds_snapshot_retention": {"keep_last": -1, "hourly": 2}, "dr_copy_region": "us-east-1",
                     "dr_rpo_minutes": 0}, expect_rc=2)
    output = " ".join(process.stdout.split())
    assert "4 problem(s) with the variables, before any AWS call" in output
    assert "dr_rds_snapshot_retention.hourly: unknown rule; use keep_last, daily, weekly, monthly, yearly, " \
        "max_age_days" in output
    assert "dr_rds_snapshot_retention.keep_last: must be at least 0, got -1" in output
    assert "dr_rpo_minutes: must be at least 1 (got 0)" in output
    assert "dr_copy_region: must differ from dbfleet_region us-east-1" in output
    assert local_aws.recorder.calls(since) == []


def test_check_mode_changes_nothing(local_aws, apply, instance):
    since = local_aws.recorder.mark()
    process = apply(POLICY, check=True)
    assert local_aws.recorder.mutating(since) == []
    assert process.recap["localhost"]["changed"] == 1
    assert len(process.result["rds_snapshots_deleted"]) == 6
    assert len(manual_ids(local_aws.client("rds"), instance)) == 12


def test_policy_copies_and_idempotence(local_aws, apply, instance):
    process = apply(POLICY)
    rds, dr = local_aws.client("rds"), local_aws.client("rds", region=DR_REGION)
    # The protected s00 takes no slot: the 5 newest others stay.
    assert manual_ids(rds, instance) == set("%s-s%02d" % (instance, index) for index in (0, 7, 8, 9, 10, 11))
    assert manual_ids(dr, instance) == {"%s-s11" % instance}
    assert process.result["rds_snapshot_copies"] == ["%s-s11" % instance]
    assert process.result["rpo_minutes"] == 60 and process.result["rpo_seconds_now"] is not None

    since = local_aws.recorder.mark()
    again = apply(POLICY)
    assert again.recap["localhost"]["changed"] == 0
    assert local_aws.recorder.mutating(since) == []
