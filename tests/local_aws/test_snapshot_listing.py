"""The endpoint's snapshot listings: pages as AWS returns them, creation times, tagging type."""

import uuid

import pytest
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def instance(local_aws):
    rds = local_aws.client("rds")
    name = "pages-%s" % uuid.uuid4().hex[:8]
    rds.create_db_instance(DBInstanceIdentifier=name, Engine="postgres", DBInstanceClass="db.t3.micro",
                           MasterUsername="app", MasterUserPassword="Paging-test-1", AllocatedStorage=20)
    for index in range(45):
        rds.create_db_snapshot(DBInstanceIdentifier=name, DBSnapshotIdentifier="%s-%02d" % (name, index))
    yield name
    for index in range(45):
        rds.delete_db_snapshot(DBSnapshotIdentifier="%s-%02d" % (name, index))
    rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=True)


def test_describe_db_snapshots_pages_with_marker(local_aws, instance):
    rds = local_aws.client("rds")
    seen, marker, pages = [], None, 0
    while True:
        request = {"DBInstanceIdentifier": instance, "SnapshotType": "manual", "MaxRecords": 20}
        if marker:
            request["Marker"] = marker
        answer = rds.describe_db_snapshots(**request)
        pages += 1
        seen += [snapshot["DBSnapshotIdentifier"] for snapshot in answer["DBSnapshots"]]
        marker = answer.get("Marker")
        if not marker:
            break
    assert pages == 3
    assert seen == ["%s-%02d" % (instance, index) for index in range(45)]
    # Without MaxRecords: up to 100, no marker; the automated snapshot is listed apart.
    answer = rds.describe_db_snapshots(DBInstanceIdentifier=instance, SnapshotType="manual")
    assert len(answer["DBSnapshots"]) == 45 and "Marker" not in answer
    automated = rds.describe_db_snapshots(DBInstanceIdentifier=instance, SnapshotType="automated")["DBSnapshots"]
    assert [snapshot["SnapshotType"] for snapshot in automated] == ["automated"]


@pytest.mark.parametrize("max_records", [19, 101])
def test_describe_db_snapshots_max_records_bounds(local_aws, instance, max_records):
    with pytest.raises(ClientError) as error:
        local_aws.client("rds").describe_db_snapshots(DBInstanceIdentifier=instance, MaxRecords=max_records)
    assert error.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_elasticache_snapshots_page_and_have_times_and_tags(local_aws):
    elasticache = local_aws.client("elasticache")
    group = "pages-%s" % uuid.uuid4().hex[:8]
    elasticache.create_replication_group(ReplicationGroupId=group, ReplicationGroupDescription="paging",
                                         CacheNodeType="cache.t3.micro", NumCacheClusters=1)
    names = ["%s-%02d" % (group, index) for index in range(25)]
    try:
        for index, name in enumerate(names):
            tags = [{"Key": "retain", "Value": "true"}] if index == 4 else []
            elasticache.create_snapshot(ReplicationGroupId=group, SnapshotName=name, Tags=tags)
        first = elasticache.describe_snapshots(ReplicationGroupId=group, SnapshotSource="user", MaxRecords=20)
        second = elasticache.describe_snapshots(ReplicationGroupId=group, SnapshotSource="user", MaxRecords=20,
                                                Marker=first["Marker"])
        assert [snapshot["SnapshotName"] for snapshot in first["Snapshots"] + second["Snapshots"]] == names
        assert "Marker" not in second
        node = first["Snapshots"][0]["NodeSnapshots"][0]
        assert node["CacheClusterId"] == "%s-001" % group and node["SnapshotCreateTime"].tzinfo is not None
        with pytest.raises(ClientError) as error:
            elasticache.describe_snapshots(ReplicationGroupId=group, MaxRecords=51)
        assert error.value.response["Error"]["Code"] == "InvalidParameterValue"
        tagged = local_aws.client("resourcegroupstaggingapi").get_resources(
            ResourceTypeFilters=["elasticache:snapshot"], TagFilters=[{"Key": "retain"}])["ResourceTagMappingList"]
        assert [resource["ResourceARN"].rsplit(":", 1)[1] for resource in tagged
                if resource["ResourceARN"].rsplit(":", 1)[1].startswith(group)] == [names[4]]
    finally:
        for name in names:
            try:
                elasticache.delete_snapshot(SnapshotName=name)
            except ClientError:
                pass
        elasticache.delete_replication_group(ReplicationGroupId=group)
