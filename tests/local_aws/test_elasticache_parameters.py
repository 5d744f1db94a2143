"""ElastiCache cache parameter groups of the local endpoint: metadata per family,
validation, and the values reaching the real redis-servers."""

import uuid

import pytest
import redis
from botocore.exceptions import ClientError

FAMILIES = ["redis6.x", "redis7", "valkey7", "valkey8"]
EVICTION_POLICIES = {"volatile-lru", "allkeys-lru", "volatile-lfu", "allkeys-lfu",
                     "volatile-random", "allkeys-random", "volatile-ttl", "noeviction"}


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def error_code(problem):
    return problem.value.response["Error"]["Code"]


@pytest.fixture
def elasticache(local_aws):
    return local_aws.client("elasticache", region="us-east-1")


@pytest.fixture
def parameter_group(elasticache):
    """A redis7 parameter group, deleted after the test."""
    name = unique("params")
    elasticache.create_cache_parameter_group(CacheParameterGroupName=name,
                                             CacheParameterGroupFamily="redis7",
                                             Description="test parameters")
    yield name
    elasticache.delete_cache_parameter_group(CacheParameterGroupName=name)


@pytest.fixture
def group_using(elasticache):
    """Create a two-node replication group using a parameter group; deleted after."""
    created = []

    def create(parameter_group_name):
        group_id = unique("rg")
        group = elasticache.create_replication_group(
            ReplicationGroupId=group_id, ReplicationGroupDescription="parameters",
            CacheNodeType="cache.t4g.micro", Engine="redis", EngineVersion="7.1",
            NumCacheClusters=2, CacheParameterGroupName=parameter_group_name)["ReplicationGroup"]
        created.append(group_id)
        return group

    yield create
    for group_id in created:
        elasticache.delete_replication_group(ReplicationGroupId=group_id)


def engine_defaults(elasticache, family):
    """{name: Parameter} over every page of DescribeEngineDefaultParameters."""
    parameters, marker = {}, None
    while True:
        kwargs = {"CacheParameterGroupFamily": family, "MaxRecords": 20}
        if marker:
            kwargs["Marker"] = marker
        page = elasticache.describe_engine_default_parameters(**kwargs)["EngineDefaults"]
        assert page["CacheParameterGroupFamily"] == family
        parameters.update({parameter["ParameterName"]: parameter
                           for parameter in page["Parameters"]})
        marker = page.get("Marker")
        if not marker:
            return parameters


def group_parameters(elasticache, name, **filters):
    paginator = elasticache.get_paginator("describe_cache_parameters")
    return {parameter["ParameterName"]: parameter
            for page in paginator.paginate(CacheParameterGroupName=name, **filters)
            for parameter in page["Parameters"]}


def node_config(group, name):
    """{CacheClusterId: CONFIG GET value} on every member's redis-server."""
    return {member["CacheClusterId"]: redis.Redis(
        host=member["ReadEndpoint"]["Address"], port=member["ReadEndpoint"]["Port"],
        decode_responses=True).config_get(name)[name]
        for member in group["NodeGroups"][0]["NodeGroupMembers"]}


def apply_status(elasticache, group):
    return {cluster_id: elasticache.describe_cache_clusters(CacheClusterId=cluster_id)[
        "CacheClusters"][0]["CacheParameterGroup"]["ParameterApplyStatus"]
        for cluster_id in group["MemberClusters"]}


@pytest.mark.parametrize("family", FAMILIES)
def test_engine_defaults_per_family(elasticache, family):
    parameters = engine_defaults(elasticache, family)

    policy = parameters["maxmemory-policy"]
    assert set(policy["AllowedValues"].split(",")) == EVICTION_POLICIES
    assert (policy["ParameterValue"], policy["ChangeType"]) == ("volatile-lru", "immediate")
    for name in ("activerehashing", "cluster-enabled", "databases"):
        assert parameters[name]["ChangeType"] == "requires-reboot", name
    assert parameters["timeout"]["ChangeType"] == "immediate"
    assert parameters["reserved-memory-percent"]["ParameterValue"] == "25"
    assert parameters["maxclients"]["IsModifiable"] is False
    assert all(parameter["Source"] == "system" and parameter["MinimumEngineVersion"]
               and parameter["DataType"] in ("string", "integer")
               for parameter in parameters.values())
    listpack = "hash-max-listpack-entries" in parameters
    assert listpack == (family != "redis6.x")
    assert ("hash-max-ziplist-entries" in parameters) == (family == "redis6.x")


def test_default_groups_exist_and_unknown_families_are_refused(elasticache):
    names = {group["CacheParameterGroupName"]: group["CacheParameterGroupFamily"]
             for group in elasticache.describe_cache_parameter_groups()["CacheParameterGroups"]}
    for family in FAMILIES:
        assert names[f"default.{family}"] == family
    with pytest.raises(ClientError) as problem:
        elasticache.create_cache_parameter_group(CacheParameterGroupName=unique("bad"),
                                                 CacheParameterGroupFamily="redis2.8",
                                                 Description="unknown family")
    assert error_code(problem) == "InvalidParameterValue"
    with pytest.raises(ClientError) as problem:
        elasticache.describe_cache_parameters(CacheParameterGroupName=unique("missing"))
    assert error_code(problem) == "CacheParameterGroupNotFound"


def test_modify_is_validated_like_aws(elasticache, parameter_group):
    modifiable = [name for name, parameter in engine_defaults(elasticache, "redis7").items()
                  if parameter["IsModifiable"] and parameter.get("ParameterValue")]
    too_many = [{"ParameterName": name,
                 "ParameterValue": engine_defaults(elasticache, "redis7")[name]["ParameterValue"]}
                for name in modifiable[:21]]
    for changes in (
        too_many,
        [{"ParameterName": "no-such-parameter", "ParameterValue": "1"}],
        [{"ParameterName": "maxclients", "ParameterValue": "100"}],
        [{"ParameterName": "maxmemory-policy", "ParameterValue": "evict-everything"}],
        [{"ParameterName": "timeout", "ParameterValue": "5"}],
    ):
        with pytest.raises(ClientError) as problem:
            elasticache.modify_cache_parameter_group(CacheParameterGroupName=parameter_group,
                                                     ParameterNameValues=changes)
        assert error_code(problem) == "InvalidParameterValue", changes
    assert group_parameters(elasticache, parameter_group, Source="user") == {}

    elasticache.modify_cache_parameter_group(CacheParameterGroupName=parameter_group,
                                             ParameterNameValues=too_many[:20])
    assert len(group_parameters(elasticache, parameter_group, Source="user")) == 20
    with pytest.raises(ClientError) as problem:
        elasticache.modify_cache_parameter_group(
            CacheParameterGroupName="default.redis7",
            ParameterNameValues=[{"ParameterName": "timeout", "ParameterValue": "60"}])
    assert error_code(problem) == "InvalidParameterValue"


def test_immediate_changes_reach_the_servers_and_static_ones_wait_for_reboot(
        elasticache, parameter_group, group_using):
    elasticache.modify_cache_parameter_group(
        CacheParameterGroupName=parameter_group,
        ParameterNameValues=[{"ParameterName": "tcp-keepalive", "ParameterValue": "120"}])
    group = group_using(parameter_group)
    assert set(node_config(group, "tcp-keepalive").values()) == {"120"}
    # ElastiCache's default, not the engine's noeviction.
    assert set(node_config(group, "maxmemory-policy").values()) == {"volatile-lru"}

    elasticache.modify_cache_parameter_group(
        CacheParameterGroupName=parameter_group,
        ParameterNameValues=[{"ParameterName": "maxmemory-policy",
                              "ParameterValue": "allkeys-lru"},
                             {"ParameterName": "notify-keyspace-events",
                              "ParameterValue": "Ex"}])
    assert set(node_config(group, "maxmemory-policy").values()) == {"allkeys-lru"}
    assert set(node_config(group, "notify-keyspace-events").values()) == {"xE"}
    assert set(apply_status(elasticache, group).values()) == {"in-sync"}

    elasticache.modify_cache_parameter_group(
        CacheParameterGroupName=parameter_group,
        ParameterNameValues=[{"ParameterName": "activerehashing", "ParameterValue": "no"}])
    assert set(apply_status(elasticache, group).values()) == {"pending-reboot"}
    assert set(node_config(group, "activerehashing").values()) == {"yes"}
    cluster = elasticache.describe_cache_clusters(
        CacheClusterId=group["MemberClusters"][0])["CacheClusters"][0]
    assert cluster["CacheParameterGroup"]["CacheNodeIdsToReboot"] == ["0001"]

    for cluster_id in group["MemberClusters"]:
        elasticache.reboot_cache_cluster(CacheClusterId=cluster_id, CacheNodeIdsToReboot=["0001"])
    assert set(apply_status(elasticache, group).values()) == {"in-sync"}
    assert set(node_config(group, "activerehashing").values()) == {"no"}

    elasticache.reset_cache_parameter_group(CacheParameterGroupName=parameter_group,
                                            ResetAllParameters=True)
    assert group_parameters(elasticache, parameter_group, Source="user") == {}
    assert set(node_config(group, "maxmemory-policy").values()) == {"volatile-lru"}
    assert set(apply_status(elasticache, group).values()) == {"pending-reboot"}


def test_parameter_groups_carry_tags(elasticache):
    name = unique("tagged")
    group = elasticache.create_cache_parameter_group(
        CacheParameterGroupName=name, CacheParameterGroupFamily="valkey8",
        Description="tagged", Tags=[{"Key": "env", "Value": "dev"}])["CacheParameterGroup"]
    try:
        assert elasticache.list_tags_for_resource(ResourceName=group["ARN"])["TagList"] == \
            [{"Key": "env", "Value": "dev"}]
    finally:
        elasticache.delete_cache_parameter_group(CacheParameterGroupName=name)


def test_reset_listed_parameters(elasticache, parameter_group):
    elasticache.modify_cache_parameter_group(
        CacheParameterGroupName=parameter_group,
        ParameterNameValues=[{"ParameterName": "timeout", "ParameterValue": "300"},
                             {"ParameterName": "maxmemory-samples", "ParameterValue": "10"}])
    elasticache.reset_cache_parameter_group(
        CacheParameterGroupName=parameter_group,
        ParameterNameValues=[{"ParameterName": "timeout"}])
    parameters = group_parameters(elasticache, parameter_group)
    assert parameters["timeout"]["ParameterValue"] == "0"
    assert parameters["timeout"]["Source"] == "system"
    assert (parameters["maxmemory-samples"]["ParameterValue"],
            parameters["maxmemory-samples"]["Source"]) == ("10", "user")


def test_parameter_group_must_match_the_engine_and_cannot_be_deleted_in_use(
        elasticache, parameter_group, group_using):
    old_family = unique("six")
    elasticache.create_cache_parameter_group(CacheParameterGroupName=old_family,
                                             CacheParameterGroupFamily="redis6.x",
                                             Description="redis 6")
    with pytest.raises(ClientError) as problem:
        group_using(old_family)
    assert error_code(problem) == "InvalidParameterCombination"
    elasticache.delete_cache_parameter_group(CacheParameterGroupName=old_family)

    group = group_using("default.redis7")
    for cluster_id in group["MemberClusters"]:
        cluster = elasticache.describe_cache_clusters(CacheClusterId=cluster_id)[
            "CacheClusters"][0]
        assert cluster["CacheParameterGroup"]["CacheParameterGroupName"] == "default.redis7"

    elasticache.modify_cache_parameter_group(
        CacheParameterGroupName=parameter_group,
        ParameterNameValues=[{"ParameterName": "timeout", "ParameterValue": "120"}])
    elasticache.modify_replication_group(ReplicationGroupId=group["ReplicationGroupId"],
                                         CacheParameterGroupName=parameter_group,
                                         ApplyImmediately=True)
    assert set(node_config(group, "timeout").values()) == {"120"}
    with pytest.raises(ClientError) as problem:
        elasticache.delete_cache_parameter_group(CacheParameterGroupName=parameter_group)
    assert error_code(problem) == "InvalidCacheParameterGroupState"
    elasticache.modify_replication_group(ReplicationGroupId=group["ReplicationGroupId"],
                                         CacheParameterGroupName="default.redis7",
                                         ApplyImmediately=True)
    assert set(node_config(group, "timeout").values()) == {"0"}
