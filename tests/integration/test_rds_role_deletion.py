"""rds_state: absent on a scratch target of the local inventory: confirmation
required, replicas first, the writer deleted with its final snapshot."""

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

    try:
        since = local_aws.recorder.mark()
        run_playbook(PLAYBOOK, INVENTORY, env=env, extra_vars={
            **SCRATCH_VARS, "rds_state": "absent", "rds_confirm_deletion": SCRATCH})
        assert not {SCRATCH, f"{SCRATCH}-reader"} & instance_ids(rds)
        deleted = [call["ids"].get("DBInstanceIdentifier") for call in local_aws.recorder.calls(since)
                   if call["action"] == "DeleteDBInstance"]
        assert deleted == [f"{SCRATCH}-reader", SCRATCH]
        [snapshot] = rds.describe_db_snapshots(DBSnapshotIdentifier=f"{SCRATCH}-final")["DBSnapshots"]
        assert snapshot["DBInstanceIdentifier"] == SCRATCH
    finally:
        existing = rds.describe_db_snapshots(DBInstanceIdentifier=SCRATCH)["DBSnapshots"]
        for snapshot in existing:
            rds.delete_db_snapshot(DBSnapshotIdentifier=snapshot["DBSnapshotIdentifier"])


def test_a_writer_deleted_without_a_final_snapshot_leaves_none(local_aws):
    """rds_skip_final_snapshot: a scratch writer (made directly, the role only deletes it)
    goes without a snapshot."""
    rds = local_aws.client("rds", REGION)
    scratch = f"{SCRATCH}-nosnap"
    rds.create_db_instance(DBInstanceIdentifier=scratch, Engine="postgres", EngineVersion="15.10",
                           DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="scratch",
                           MasterUserPassword="a-long-password-1", BackupRetentionPeriod=1)
    since = local_aws.recorder.mark()
    result = run_playbook(PLAYBOOK, INVENTORY, env=ansible_environment(local_aws), extra_vars={
        **SCRATCH_VARS, "rds_identifier": scratch, "rds_read_replicas": [], "rds_state": "absent",
        "rds_confirm_deletion": scratch, "rds_skip_final_snapshot": True})
    assert "Delete the writer, without a final snapshot (rds_skip_final_snapshot)" in result.stdout
    assert scratch not in instance_ids(rds)
    assert [call["ids"].get("DBInstanceIdentifier") for call in local_aws.recorder.calls(since)
            if call["action"] == "DeleteDBInstance"] == [scratch]
    assert rds.describe_db_snapshots(DBInstanceIdentifier=scratch, SnapshotType="manual")["DBSnapshots"] == []
