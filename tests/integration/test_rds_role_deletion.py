"""rds_state: absent on a scratch target of the local inventory: confirmation
required, replicas first, the writer deleted with its final snapshot and its automated
backups kept (dbfleet.aws.rds_instance_delete), or with neither when asked."""

import pytest

from conftest import ansible_environment, run_playbook

PLAYBOOK = "playbooks/provision.yml"
INVENTORY = "inventories/local"
REGION = "us-east-1"
SCRATCH = "dbfleet-local-scratch"
SCRATCH_VARS = {
    "rds_identifier": SCRATCH,
    "rds_master_secret_name": "dbfleet/local/rds/scratch-master",
    "rds_connection_secret_name": "dbfleet/local/rds/scratch-credentials",
    "rds_multi_az": False,
    "rds_read_replica_count": 0,
    "rds_read_replicas": [{"identifier": f"{SCRATCH}-reader"}],
    "rds_monitoring_interval": 0,
    "rds_performance_insights_enabled": False,
    "rds_parameters": {},
    # The rds role alone: the other roles are not what this test is about.
    "elasticache_enabled": False, "db_users_enabled": False, "alarms_enabled": False, "dr_enabled": False,
    # A throwaway single-AZ instance breaks two rules of the local policy, knowingly.
    "dbfleet_guardrail_waivers": [
        {"rule": "rds_multi_az", "reason": "scratch instance of the deletion test"},
        {"rule": "rds_encryption_in_transit", "reason": "scratch instance of the deletion test"},
    ],
}


def instance_ids(rds):
    return {i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]}


def test_deletion_needs_confirmation_and_keeps_a_final_snapshot(local_aws):
    rds = local_aws.client("rds", REGION)
    env = ansible_environment(local_aws)
    run_playbook(PLAYBOOK, INVENTORY, env=env, extra_vars=SCRATCH_VARS)
    assert {SCRATCH, f"{SCRATCH}-reader"} <= instance_ids(rds)

    refused = run_playbook(PLAYBOOK, INVENTORY, env=env, expect_rc=2,
                           extra_vars={**SCRATCH_VARS, "rds_state": "absent"})
    assert f"set rds_confirm_deletion to {SCRATCH} to confirm" in refused.stdout
    # Refused by the preflight, before the role's first read.
    assert refused.calls == []
    assert {SCRATCH, f"{SCRATCH}-reader"} <= instance_ids(rds)

    resource_id = rds.describe_db_instances(DBInstanceIdentifier=SCRATCH)["DBInstances"][0]["DbiResourceId"]
    try:
        since = local_aws.recorder.mark()
        deletion = run_playbook(PLAYBOOK, INVENTORY, env=env, extra_vars={
            **SCRATCH_VARS, "rds_state": "absent", "rds_confirm_deletion": SCRATCH})
        assert not {SCRATCH, f"{SCRATCH}-reader"} & instance_ids(rds)
        deleted = [call["ids"].get("DBInstanceIdentifier") for call in local_aws.recorder.calls(since)
                   if call["action"] == "DeleteDBInstance"]
        assert deleted == [f"{SCRATCH}-reader", SCRATCH]
        [snapshot] = rds.describe_db_snapshots(DBSnapshotIdentifier=f"{SCRATCH}-final")["DBSnapshots"]
        assert snapshot["DBInstanceIdentifier"] == SCRATCH
        # The automated backups stay (rds_delete_automated_backups false), and the run says where.
        [backup] = rds.describe_db_instance_automated_backups(DbiResourceId=resource_id)["DBInstanceAutomatedBackups"]
        assert backup["Status"] == "retained"
        assert backup["DBInstanceAutomatedBackupsArn"] in deletion.stdout
        assert f"final_snapshot: {SCRATCH}-final" in deletion.stdout
    finally:
        existing = rds.describe_db_snapshots(DBInstanceIdentifier=SCRATCH, SnapshotType="manual")["DBSnapshots"]
        for snapshot in existing:
            rds.delete_db_snapshot(DBSnapshotIdentifier=snapshot["DBSnapshotIdentifier"])
        try:
            rds.delete_db_instance_automated_backup(DbiResourceId=resource_id)
        except rds.exceptions.ClientError:
            pass  # the deletion failed before it: nothing retained


def test_a_writer_deleted_without_a_final_snapshot_leaves_none(local_aws):
    """rds_skip_final_snapshot: a scratch writer (made directly, the role only deletes it)
    goes without a snapshot."""
    rds = local_aws.client("rds", REGION)
    scratch = f"{SCRATCH}-nosnap"
    rds.create_db_instance(DBInstanceIdentifier=scratch, Engine="postgres", EngineVersion="15.10",
                           DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="scratch",
                           MasterUserPassword="a-long-password-1", BackupRetentionPeriod=1)
    resource_id = rds.describe_db_instances(DBInstanceIdentifier=scratch)["DBInstances"][0]["DbiResourceId"]
    deletion_vars = {**SCRATCH_VARS, "rds_identifier": scratch, "rds_read_replicas": [], "rds_state": "absent",
                     "rds_confirm_deletion": scratch, "rds_skip_final_snapshot": True,
                     "rds_delete_automated_backups": True}
    env = ansible_environment(local_aws)

    since = local_aws.recorder.mark()
    checked = run_playbook(PLAYBOOK, INVENTORY, env=env, extra_vars=deletion_vars, check=True, diff=True)
    assert "deleting its automated backups" in checked.stdout
    assert f"-    db_instance_identifier: {scratch}" in checked.stdout  # the diff's before
    assert "changed=1" in checked.stdout
    assert not [call for call in local_aws.recorder.calls(since) if call["action"].startswith("Delete")]
    assert scratch in instance_ids(rds)

    since = local_aws.recorder.mark()
    result = run_playbook(PLAYBOOK, INVENTORY, env=env, extra_vars=deletion_vars)
    assert "Delete the writer, without a final snapshot (rds_skip_final_snapshot)" in result.stdout
    assert scratch not in instance_ids(rds)
    assert [call["ids"].get("DBInstanceIdentifier") for call in local_aws.recorder.calls(since)
            if call["action"] == "DeleteDBInstance"] == [scratch]
    assert rds.describe_db_snapshots(DBInstanceIdentifier=scratch, SnapshotType="manual")["DBSnapshots"] == []
    with pytest.raises(rds.exceptions.ClientError, match="DBInstanceAutomatedBackupNotFound"):
        rds.describe_db_instance_automated_backups(DbiResourceId=resource_id)

    again = run_playbook(PLAYBOOK, INVENTORY, env=env, extra_vars=deletion_vars)
    assert "changed=0" in again.stdout


def test_a_protected_writer_or_a_taken_final_snapshot_name_stops_the_deletion_before_it(local_aws):
    """dbfleet.aws.rds_instance_delete reads before it deletes: both problems in one error,
    no DeleteDBInstance."""
    rds = local_aws.client("rds", REGION)
    scratch = f"{SCRATCH}-kept"
    rds.create_db_instance(DBInstanceIdentifier=scratch, Engine="postgres", EngineVersion="15.10",
                           DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="scratch",
                           MasterUserPassword="a-long-password-1", BackupRetentionPeriod=0, DeletionProtection=True)
    rds.create_db_snapshot(DBInstanceIdentifier=scratch, DBSnapshotIdentifier=f"{scratch}-final")
    try:
        since = local_aws.recorder.mark()
        refused = run_playbook(PLAYBOOK, INVENTORY, env=ansible_environment(local_aws), expect_rc=2, extra_vars={
            **SCRATCH_VARS, "rds_identifier": scratch, "rds_read_replicas": [], "rds_state": "absent",
            "rds_confirm_deletion": scratch})
        message = " ".join(refused.stdout.split())
        assert (f"2 problem(s), {scratch} was not deleted: {scratch} has deletion protection; turn it off on a "
                f"previous run (rds_deletion_protection: false); final snapshot {scratch}-final exists already"
                in message)
        assert not [call for call in local_aws.recorder.calls(since) if call["action"].startswith("Delete")]
        assert scratch in instance_ids(rds)
    finally:
        rds.delete_db_snapshot(DBSnapshotIdentifier=f"{scratch}-final")
        rds.modify_db_instance(DBInstanceIdentifier=scratch, DeletionProtection=False, ApplyImmediately=True)
        rds.delete_db_instance(DBInstanceIdentifier=scratch, SkipFinalSnapshot=True)
