"""dbfleet.aws.rds_snapshot_lifecycle and dbfleet.aws.elasticache_snapshot_lifecycle through
ansible-playbook against the local endpoint.

One DB instance with 2,000 manual snapshots (and its automated one) and one replication group
with 60 manual snapshots are made once per module; the tests run in file order on them and
read the surviving snapshots back through boto3 and the API calls through the recorder.
"""

import json
import time
import uuid
from pathlib import Path

import pytest
from conftest import ansible_environment, run_playbook

PLAYBOOK = Path(__file__).resolve().parent / "playbooks" / "snapshot_lifecycle.yml"
MANUAL = 2000
PROTECTED = {7, 150, 999, 1500, 1990}  # indexes of snapshots tagged retain=true
DR_REGION = "us-west-2"


@pytest.fixture(scope="module")
def apply(local_aws, tmp_path_factory):
    env = ansible_environment(local_aws)
    work = tmp_path_factory.mktemp("snapshot-lifecycle")
    inventory = work / "inventory.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    runs = []

    def run(module, lifecycle, check=False, diff=False, expect_failure=False):
        result_file = work / ("result-%d.json" % len(runs))
        runs.append(result_file)
        extra_vars = {"endpoint_url": local_aws.url, "module": module, "lifecycle": lifecycle,
                      "result_file": str(result_file), "expect_failure": expect_failure}
        process = run_playbook(PLAYBOOK, inventory, extra_vars=extra_vars, check=check, diff=diff, env=env)
        result = json.loads(result_file.read_text())
        assert bool(result.get("failed")) == expect_failure, result.get("msg")
        result["_stdout"] = process.stdout
        return result

    return run


@pytest.fixture(scope="module")
def rds(local_aws):
    return local_aws.client("rds")


@pytest.fixture(scope="module")
def instance(local_aws, rds):
    """A DB instance with its automated snapshot and 2,000 manual snapshots, oldest first."""
    name = "snapl-%s" % uuid.uuid4().hex[:8]
    rds.create_db_instance(DBInstanceIdentifier=name, Engine="postgres", DBInstanceClass="db.t3.micro",
                           MasterUsername="app", MasterUserPassword="Snapshot-test-1", AllocatedStorage=20,
                           BackupRetentionPeriod=7)
    for index in range(MANUAL):
        tags = [{"Key": "retain", "Value": "true"}] if index in PROTECTED else [{"Key": "batch", "Value": "bulk"}]
        rds.create_db_snapshot(DBInstanceIdentifier=name, DBSnapshotIdentifier="%s-s%04d" % (name, index), Tags=tags)
    yield name
    rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=True, DeleteAutomatedBackups=True)
    for region in ("us-east-1", DR_REGION):
        client = local_aws.client("rds", region=region)
        for snapshot in all_snapshots(client, name, "manual"):
            client.delete_db_snapshot(DBSnapshotIdentifier=snapshot["DBSnapshotIdentifier"])


def all_snapshots(client, instance_id, snapshot_type):
    pages = client.get_paginator("describe_db_snapshots").paginate(
        DBInstanceIdentifier=instance_id, SnapshotType=snapshot_type)
    return [snapshot for page in pages for snapshot in page["DBSnapshots"]]


def manual_ids(client, instance_id):
    return set(snapshot["DBSnapshotIdentifier"] for snapshot in all_snapshots(client, instance_id, "manual"))


def calls(local_aws, since, action):
    return [call for call in local_aws.recorder.calls(since) if call["action"] == action]


def test_bad_input_fails_before_any_aws_call(local_aws, apply, instance):
    since = local_aws.recorder.mark()
    result = apply("rds_snapshot_lifecycle", {
        "db_instance_identifier": instance,
        "create": True,
        "snapshot_name": "{source}-{when}",
        "retention": {"keep_last": -1, "max_age_days": 0},
        "concurrency": 0,
        "copies": [{"region": DR_REGION, "kms_key_id": "arn:aws:kms:us-east-1:123456789012:key/abc",
                    "retention": {"daily": -2}}],
    }, expect_failure=True)
    assert [problem.split(":")[0] for problem in result["problems"]] == [
        "retention.keep_last", "snapshot_name", "concurrency", "copies[0].retention.daily", "copies[0].kms_key_id"]
    assert result["msg"].startswith("5 problem(s) with the arguments, nothing was changed")
    assert local_aws.recorder.calls(since) == []


def test_check_mode_lists_what_would_go_and_deletes_nothing(local_aws, rds, apply, instance):
    since = local_aws.recorder.mark()
    result = apply("rds_snapshot_lifecycle", {"db_instance_identifier": instance, "retention": {"keep_last": 10}},
                   check=True, diff=True)
    assert local_aws.recorder.mutating(since) == []
    assert len(calls(local_aws, since, "DescribeDBSnapshots")) == 20
    assert result["changed"] is True and result["listing_calls"] == 20
    assert len(result["deleted"]) == MANUAL - 10 - len(PROTECTED)
    kept = dict((entry["id"], entry["reasons"]) for entry in result["kept"])
    assert kept["%s-s1999" % instance] == ["keep_last: 1 of the 10 newest"]
    assert kept["%s-s0007" % instance] == ["protected by tag retain=true"]
    assert result["deleted"][0]["reasons"] == ["selected by no rule of keep_last=10"]
    assert manual_ids(rds, instance) == set("%s-s%04d" % (instance, index) for index in range(MANUAL))


def test_prune_2000_in_one_run(local_aws, rds, apply, instance):
    since = local_aws.recorder.mark()
    result = apply("rds_snapshot_lifecycle", {"db_instance_identifier": instance, "retention": {"keep_last": 10}})
    counts = local_aws.recorder.count_by_action(since)
    expected_gone = MANUAL - 10 - len(PROTECTED)
    assert counts.get("DescribeDBSnapshots") == 20
    assert counts.get("DeleteDBSnapshot") == expected_gone
    assert set(action for action in counts if ":" not in action) == {"DescribeDBSnapshots", "DeleteDBSnapshot"}
    assert result["changed"] is True and len(result["deleted"]) == expected_gone
    # Protected snapshots take no slot: s1990 is protected, so s1989 is the 10th newest.
    newest = set("%s-s%04d" % (instance, index) for index in [1989] + list(range(1991, MANUAL)))
    protected = set("%s-s%04d" % (instance, index) for index in PROTECTED)
    assert manual_ids(rds, instance) == newest | protected
    automated = all_snapshots(rds, instance, "automated")
    assert len(automated) == 1 and automated[0]["DBSnapshotIdentifier"].startswith("rds:%s-" % instance)


def test_second_run_changes_nothing(local_aws, rds, apply, instance):
    since = local_aws.recorder.mark()
    result = apply("rds_snapshot_lifecycle", {"db_instance_identifier": instance, "retention": {"keep_last": 10}})
    assert result["changed"] is False and result["deleted"] == []
    assert local_aws.recorder.count_by_action(since) == {"rds:DescribeDBSnapshots": 1, "DescribeDBSnapshots": 1}


def test_concurrent_deletions_ride_out_throttling(local_aws, rds, apply):
    """Eight deletions at a time while the endpoint throttles 30 % of the snapshot calls:
    every throttled deletion is retried, the run succeeds, the 10 newest are left."""
    name = "snapt-%s" % uuid.uuid4().hex[:8]
    rds.create_db_instance(DBInstanceIdentifier=name, Engine="postgres", DBInstanceClass="db.t3.micro",
                           MasterUsername="app", MasterUserPassword="Snapshot-test-1", AllocatedStorage=20)
    for index in range(200):
        rds.create_db_snapshot(DBInstanceIdentifier=name, DBSnapshotIdentifier="%s-s%03d" % (name, index))
    since = local_aws.recorder.mark()
    local_aws.set_faults([{"action": "DeleteDBSnapshot", "rate": 0.3, "error": "Throttling"},
                          {"action": "DescribeDBSnapshots", "rate": 0.3, "error": "Throttling"}])
    try:
        result = apply("rds_snapshot_lifecycle", {"db_instance_identifier": name, "retention": {"keep_last": 10},
                                                  "concurrency": 8})
    finally:
        local_aws.clear_faults()
        until = local_aws.recorder.mark()
        remaining = manual_ids(rds, name)
        for snapshot in remaining:
            rds.delete_db_snapshot(DBSnapshotIdentifier=snapshot)
        rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=True)
    deletions = [call for call in local_aws.recorder.calls(since, until) if call["action"] == "DeleteDBSnapshot"]
    assert sum(1 for call in deletions if call["error"] == "Throttling") > 0
    # Each of the 190 oldest deleted once, whatever its throttled attempts.
    assert sorted(call["ids"]["DBSnapshotIdentifier"] for call in deletions if call["error"] is None) == \
        ["%s-s%03d" % (name, index) for index in range(190)]
    assert len(result["deleted"]) == 190
    assert remaining == set("%s-s%03d" % (name, index) for index in range(190, 200))


def test_pre_deploy_snapshot_copied_to_dr_region_with_its_policy(local_aws, rds, apply, instance):
    kms = local_aws.client("kms", region=DR_REGION)
    key_arn = kms.create_key(Description="rds dr copies")["KeyMetadata"]["Arn"]
    dr = local_aws.client("rds", region=DR_REGION)
    lifecycle = {"db_instance_identifier": instance, "create": True, "purpose": "pre-deploy",
                 "tags": {"Release": "v2"}, "retention": {"keep_last": 10},
                 "copies": [{"region": DR_REGION, "kms_key_id": key_arn, "tags": {"Copy": "dr"},
                             "retention": {"keep_last": 1}}]}

    first = apply("rds_snapshot_lifecycle", lifecycle)
    name = first["snapshot"]["id"]
    assert name.startswith("%s-pre-deploy-" % instance) and first["snapshot"]["status"] == "available"
    # The new snapshot is one of the 10 newest: the 10th before it goes.
    assert [(entry["region"], entry["id"]) for entry in first["deleted"]] == [("us-east-1", "%s-s1989" % instance)]
    copy = dr.describe_db_snapshots(DBSnapshotIdentifier=name)["DBSnapshots"][0]
    assert copy["KmsKeyId"] == key_arn and copy["Encrypted"] is True
    tags = dict((tag["Key"], tag["Value"]) for tag in copy["TagList"])
    assert tags == {"Purpose": "pre-deploy", "Release": "v2", "Copy": "dr"}
    assert first["copies"][0]["changed"] is True and first["copies"][0]["region"] == DR_REGION

    time.sleep(1.1)  # the next snapshot gets another timestamp
    since = local_aws.recorder.mark()
    second = apply("rds_snapshot_lifecycle", lifecycle)
    dr_calls = [call["action"] for call in local_aws.recorder.calls(since) if call["region"] == DR_REGION]
    assert dr_calls == ["DescribeDBSnapshots", "CopyDBSnapshot", "DeleteDBSnapshot"]
    newer = second["snapshot"]["id"]
    assert newer != name
    # The DR region keeps only the newest copy; the policy there deleted the first one.
    assert manual_ids(dr, instance) == {newer}
    assert [(entry["region"], entry["id"]) for entry in second["deleted"]] == [
        ("us-east-1", "%s-s1991" % instance), (DR_REGION, name)]


# --- ElastiCache ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def replication_group(local_aws):
    elasticache = local_aws.client("elasticache")
    name = "snapl-%s" % uuid.uuid4().hex[:8]
    elasticache.create_replication_group(ReplicationGroupId=name, ReplicationGroupDescription="snapshot tests",
                                         CacheNodeType="cache.t3.micro", NumCacheClusters=1, Engine="redis")
    for index in range(60):
        tags = [{"Key": "retain", "Value": "true"}] if index in (3, 40) else []
        elasticache.create_snapshot(ReplicationGroupId=name, SnapshotName="%s-s%02d" % (name, index), Tags=tags)
    yield name
    for snapshot in elasticache_ids(elasticache, name):
        elasticache.delete_snapshot(SnapshotName=snapshot)
    elasticache.delete_replication_group(ReplicationGroupId=name)


def elasticache_ids(client, group):
    pages = client.get_paginator("describe_snapshots").paginate(ReplicationGroupId=group, SnapshotSource="user")
    return set(snapshot["SnapshotName"] for page in pages for snapshot in page["Snapshots"])


def test_elasticache_cross_region_copy_is_refused(local_aws, apply, replication_group):
    since = local_aws.recorder.mark()
    result = apply("elasticache_snapshot_lifecycle", {"replication_group_id": replication_group, "create": True,
                                                      "copies": [{"region": DR_REGION}]}, expect_failure=True)
    assert result["problems"][0].startswith("copies[0].region: ElastiCache cannot copy a snapshot to another region")
    assert local_aws.recorder.calls(since) == []


def test_elasticache_snapshot_and_prune(local_aws, apply, replication_group):
    elasticache = local_aws.client("elasticache")
    lifecycle = {"replication_group_id": replication_group, "create": True, "purpose": "pre-deploy",
                 "retention": {"keep_last": 5}}
    since = local_aws.recorder.mark()
    preview = apply("elasticache_snapshot_lifecycle", lifecycle, check=True)
    assert local_aws.recorder.mutating(since) == []
    assert len(preview["deleted"]) == 60 - 4 - 2  # the new one is one of the 5 newest
    assert len(elasticache_ids(elasticache, replication_group)) == 60

    since = local_aws.recorder.mark()
    result = apply("elasticache_snapshot_lifecycle", lifecycle)
    counts = local_aws.recorder.count_by_action(since)
    # 61 snapshots: two pages of DescribeSnapshots, one GetResources for the protect tag.
    # + the waiter for the new snapshot (available at its first look here) and the read of it.
    assert counts.get("DescribeSnapshots") == 2 + 1 + 1
    assert counts.get("GetResources") == 1
    assert counts.get("CreateSnapshot") == 1 and counts.get("DeleteSnapshot") == 54
    name = result["snapshot"]["id"]
    survivors = elasticache_ids(elasticache, replication_group)
    expected = set("%s-s%02d" % (replication_group, index) for index in (3, 40, 56, 57, 58, 59)) | {name}
    assert survivors == expected
    kept = dict((entry["id"], entry["reasons"]) for entry in result["kept"])
    assert kept["%s-s40" % replication_group] == ["protected by tag retain=true"]
    tags = elasticache.list_tags_for_resource(ResourceName=result["snapshot"]["arn"])["TagList"]
    assert {"Key": "Purpose", "Value": "pre-deploy"} in tags
