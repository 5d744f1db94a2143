"""rds_snapshot_lifecycle's run (module_utils/snapshot_lifecycle.py over the module's RDS
adapter) against stubbed clients: create, list every page, prune by the policy, copy to
another region."""

import datetime

import pytest

from ansible_collections.dbfleet.aws.plugins.module_utils.snapshot_lifecycle import lifecycle_argument_spec
from ansible_collections.dbfleet.aws.plugins.module_utils.snapshot_lifecycle import run
from ansible_collections.dbfleet.aws.plugins.modules.rds_snapshot_lifecycle import RdsSnapshots

from ..stubbed_aws import Exited, StubbedModule, params_from_spec, stubbed_client

SOURCE = "app-db"
ACCOUNT_ARN = "arn:aws:rds:us-east-1:123456789012:snapshot:"
NOW = datetime.datetime.now(datetime.timezone.utc)


def snapshot(name, days_old, region="us-east-1", status="available"):
    return {"DBSnapshotIdentifier": name, "DBInstanceIdentifier": SOURCE, "SnapshotType": "manual",
            "SnapshotCreateTime": NOW - datetime.timedelta(days=days_old), "Status": status,
            "DBSnapshotArn": ACCOUNT_ARN.replace("us-east-1", region) + name, "Encrypted": True,
            "TagList": [{"Key": "Purpose", "Value": "nightly"}]}


def params(**given):
    return params_from_spec(lifecycle_argument_spec("db_instance_identifier"),
                            **dict({"db_instance_identifier": SOURCE, "concurrency": 1}, **given))


def listing(region="us-east-1", **extra):
    return dict({"DBInstanceIdentifier": SOURCE, "SnapshotType": "manual", "MaxRecords": 100}, **extra)


@pytest.fixture
def rds():
    yield from stubbed_client("rds")


@pytest.fixture
def rds_west():
    yield from stubbed_client("rds", region="us-west-2")


def test_create_then_prune_to_the_policy_over_every_page(rds):
    stubber, client = rds
    new = snapshot("app-db-nightly", 0, status="creating")
    stubber.add_response("create_db_snapshot", {"DBSnapshot": new}, {
        "DBInstanceIdentifier": SOURCE, "DBSnapshotIdentifier": "app-db-nightly",
        "Tags": [{"Key": "Purpose", "Value": "nightly"}]})
    available = dict(new, Status="available")
    stubber.add_response("describe_db_snapshots", {"DBSnapshots": [available]},
                         {"DBSnapshotIdentifier": "app-db-nightly"})  # the waiter
    stubber.add_response("describe_db_snapshots", {"DBSnapshots": [available]},
                         {"DBSnapshotIdentifier": "app-db-nightly"})  # read back
    stubber.add_response("describe_db_snapshots", {"DBSnapshots": [available, snapshot("old-1", 1)],
                                                   "Marker": "page-2"}, listing())
    stubber.add_response("describe_db_snapshots", {"DBSnapshots": [snapshot("old-2", 2), snapshot("old-3", 3)]},
                         listing(Marker="page-2"))
    for name in ("old-2", "old-3"):
        stubber.add_response("delete_db_snapshot", {"DBSnapshot": snapshot(name, 0)}, {"DBSnapshotIdentifier": name})
    module = StubbedModule(params(create=True, snapshot_name="{source}-{purpose}", purpose="nightly",
                                  retention={"keep_last": 2}), clients={"us-east-1": client})

    with pytest.raises(Exited) as exited:
        run(module, RdsSnapshots(module), "db_instance_identifier", [])

    result = exited.value.result
    assert result["changed"] is True and result["snapshot"]["id"] == "app-db-nightly"
    assert sorted(entry["id"] for entry in result["deleted"]) == ["old-2", "old-3"]
    assert sorted(entry["id"] for entry in result["kept"]) == ["app-db-nightly", "old-1"]
    assert result["listing_calls"] == 2
    assert result["diff"]["after"] == {"snapshots": ["app-db-nightly", "old-1"]}


def test_check_mode_only_lists(rds):
    stubber, client = rds
    stubber.add_response("describe_db_snapshots", {"DBSnapshots": [snapshot("old-1", 1), snapshot("old-2", 2)]},
                         listing())
    module = StubbedModule(params(create=True, retention={"keep_last": 1}), check_mode=True,
                           clients={"us-east-1": client})

    with pytest.raises(Exited) as exited:
        run(module, RdsSnapshots(module), "db_instance_identifier", [])

    result = exited.value.result
    assert result["changed"] is True and result["snapshot"]["status"] == "creating"
    assert sorted(entry["id"] for entry in result["deleted"]) == ["old-1", "old-2"]


def test_the_newest_snapshot_is_copied_to_another_region_with_that_regions_key(rds, rds_west):
    stubber, client = rds
    west_stubber, west = rds_west
    stubber.add_response("describe_db_snapshots", {"DBSnapshots": [snapshot("old-2", 2), snapshot("old-1", 1)]},
                         listing())
    west_stubber.add_response("describe_db_snapshots", {"DBSnapshots": []}, listing())
    key = "arn:aws:kms:us-west-2:123456789012:key/dr"
    west_stubber.add_response("copy_db_snapshot", {"DBSnapshot": snapshot("old-1-dr", 0, region="us-west-2")}, {
        "SourceDBSnapshotIdentifier": ACCOUNT_ARN + "old-1", "TargetDBSnapshotIdentifier": "old-1-dr",
        "Tags": [{"Key": "Purpose", "Value": "nightly"}], "SourceRegion": "us-east-1", "KmsKeyId": key})
    copies = [{"region": "us-west-2", "kms_key_id": key, "snapshot_name": "{snapshot}-dr", "tags": {},
               "retention": None}]
    module = StubbedModule(params(copies=copies), clients={"us-east-1": client, "us-west-2": west})

    with pytest.raises(Exited) as exited:
        run(module, RdsSnapshots(module), "db_instance_identifier", [])

    [copy] = exited.value.result["copies"]
    assert (copy["id"], copy["region"], copy["source_snapshot"], copy["changed"]) == (
        "old-1-dr", "us-west-2", "old-1", True)
