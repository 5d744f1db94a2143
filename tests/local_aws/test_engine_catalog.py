"""What the local endpoint offers each engine, as AWS does: orderable DB instance classes
for postgres, node types through ElastiCache's node-type-specific parameters, and the
refusal of a class or node type that does not exist."""

import uuid

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def rds(local_aws):
    return local_aws.client("rds", region="us-east-1")


@pytest.fixture
def elasticache(local_aws):
    return local_aws.client("elasticache", region="us-east-1")


def orderable(rds, **filters):
    pages = rds.get_paginator("describe_orderable_db_instance_options").paginate(Engine="postgres", **filters)
    return [option for page in pages for option in page["OrderableDBInstanceOptions"]]


def test_orderable_options_of_one_class_and_version(rds):
    options = orderable(rds, EngineVersion="15.10", DBInstanceClass="db.r6g.large")
    assert {option["StorageType"] for option in options} == {"gp2", "gp3", "io1", "io2"}
    assert {(option["DBInstanceClass"], option["EngineVersion"]) for option in options} == {("db.r6g.large", "15.10")}
    assert all(option["MultiAZCapable"] and option["ReadReplicaCapable"] for option in options)


def test_no_option_for_a_class_or_version_that_does_not_exist(rds):
    assert orderable(rds, EngineVersion="15.10", DBInstanceClass="db.r6g.larg") == []
    assert orderable(rds, EngineVersion="15.99", DBInstanceClass="db.r6g.large") == []


def test_every_class_of_a_version_over_several_pages(rds):
    first = rds.describe_orderable_db_instance_options(Engine="postgres", EngineVersion="16.3", MaxRecords=100)
    assert "Marker" in first
    classes = {option["DBInstanceClass"] for option in orderable(rds, EngineVersion="16.3")}
    assert {"db.t3.micro", "db.t4g.medium", "db.m6i.32xlarge", "db.r7g.16xlarge"} <= classes
    assert "db.r7g.32xlarge" not in classes


def test_a_class_that_does_not_exist_is_refused_on_create_and_modify(rds, local_aws):
    identifier = f"catalog-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ClientError) as refused:
        rds.create_db_instance(DBInstanceIdentifier=identifier, Engine="postgres", EngineVersion="15.10",
                               DBInstanceClass="db.r6g.larg", AllocatedStorage=20, MasterUsername="app",
                               MasterUserPassword="a-long-password-1")
    assert refused.value.response["Error"]["Code"] == "InvalidParameterCombination"
    assert "DBInstanceClass=db.r6g.larg, Engine=postgres, EngineVersion=15.10" in str(refused.value)
    assert not rds.describe_db_instances(Filters=[{"Name": "db-instance-id", "Values": [identifier]}])["DBInstances"]

    rds.create_db_instance(DBInstanceIdentifier=identifier, Engine="postgres", EngineVersion="15.10",
                           DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="app",
                           MasterUserPassword="a-long-password-1")
    try:
        with pytest.raises(ClientError) as refused:
            rds.modify_db_instance(DBInstanceIdentifier=identifier, DBInstanceClass="db.t3.mirco",
                                   ApplyImmediately=True)
        assert refused.value.response["Error"]["Code"] == "InvalidParameterCombination"
        instance = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
        assert instance["DBInstanceClass"] == "db.t3.micro"
    finally:
        rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True)


@pytest.mark.parametrize("family", ["redis6.x", "redis7", "valkey7", "valkey8"])
def test_node_types_of_a_family_in_its_node_type_specific_parameters(elasticache, family):
    pages = elasticache.get_paginator("describe_engine_default_parameters").paginate(
        CacheParameterGroupFamily=family)
    specific = [parameter for page in pages
                for parameter in page["EngineDefaults"]["CacheNodeTypeSpecificParameters"]]
    maxmemory = {entry["CacheNodeType"]: int(entry["Value"])
                 for parameter in specific if parameter["ParameterName"] == "maxmemory"
                 for entry in parameter["CacheNodeTypeSpecificValues"]}
    assert maxmemory["cache.r6g.large"] == 14037181030
    assert maxmemory["cache.t4g.micro"] == 536870912
    assert "cache.r6g.lrge" not in maxmemory
    assert ("cache.t2.micro" in maxmemory) == family.startswith("redis")


def test_a_node_type_that_does_not_exist_is_refused(elasticache):
    group_id = f"catalog-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ClientError) as refused:
        elasticache.create_replication_group(
            ReplicationGroupId=group_id, ReplicationGroupDescription="catalog",
            CacheNodeType="cache.r6g.lrge", Engine="redis", EngineVersion="7.1", NumCacheClusters=1)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "cache.r6g.lrge" in str(refused.value)
    groups = elasticache.describe_replication_groups()["ReplicationGroups"]
    assert group_id not in {group["ReplicationGroupId"] for group in groups}


def test_without_a_version_postgres_gets_one_rds_runs_and_restores_keep_it(rds):
    identifier = f"catalog-{uuid.uuid4().hex[:8]}"
    rds.create_db_instance(DBInstanceIdentifier=identifier, Engine="postgres", DBInstanceClass="db.t3.micro",
                           AllocatedStorage=20, MasterUsername="app", MasterUserPassword="a-long-password-1")
    restored = identifier + "-restored"
    try:
        assert rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]["EngineVersion"] == "17.6"
        rds.create_db_snapshot(DBInstanceIdentifier=identifier, DBSnapshotIdentifier=identifier + "-snap")
        rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier=restored,
                                                 DBSnapshotIdentifier=identifier + "-snap")
        assert rds.describe_db_instances(DBInstanceIdentifier=restored)["DBInstances"][0]["EngineVersion"] == "17.6"
    finally:
        for name in (restored, identifier):
            try:
                rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=True)
            except ClientError:
                pass
        rds.delete_db_snapshot(DBSnapshotIdentifier=identifier + "-snap")


def test_gp3_iops_and_throughput_are_provisioned_from_400_gib_only(rds):
    small, large = (f"gp3-{uuid.uuid4().hex[:8]}" for _index in range(2))
    common = dict(Engine="postgres", EngineVersion="16.3", DBInstanceClass="db.t3.micro", StorageType="gp3",
                  MasterUsername="app", MasterUserPassword="a-long-password-1")
    with pytest.raises(ClientError) as refused:
        rds.create_db_instance(DBInstanceIdentifier=small, AllocatedStorage=100, Iops=12000, **common)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterCombination"
    assert "storage size less than 400" in str(refused.value)

    rds.create_db_instance(DBInstanceIdentifier=small, AllocatedStorage=100, **common)
    rds.create_db_instance(DBInstanceIdentifier=large, AllocatedStorage=400, Iops=15000, StorageThroughput=600,
                           **common)
    try:
        with pytest.raises(ClientError):
            rds.modify_db_instance(DBInstanceIdentifier=small, StorageThroughput=500, ApplyImmediately=True)
        described = rds.describe_db_instances(DBInstanceIdentifier=small)["DBInstances"][0]
        assert (described["Iops"], described["StorageThroughput"]) == (3000, 125)
        described = rds.describe_db_instances(DBInstanceIdentifier=large)["DBInstances"][0]
        assert (described["Iops"], described["StorageThroughput"]) == (15000, 600)
        rds.modify_db_instance(DBInstanceIdentifier=large, Iops=20000, ApplyImmediately=True)
        described = rds.describe_db_instances(DBInstanceIdentifier=large)["DBInstances"][0]
        assert (described["Iops"], described["StorageThroughput"]) == (20000, 600)
    finally:
        for identifier in (small, large):
            rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True)
