"""Replication groups with cluster mode enabled on the local endpoint: one real Redis
Cluster of NumNodeGroups shards, read back through boto3 and redis-py's cluster client."""

import uuid

import pytest
import redis
from botocore.exceptions import ClientError
from redis.cluster import ClusterNode, RedisCluster

from tools.local_aws.dataplane import redis as redis_plane


@pytest.fixture
def cluster_parameter_group(elasticache):
    name = f"pg-{uuid.uuid4().hex[:8]}"
    elasticache.create_cache_parameter_group(CacheParameterGroupName=name, CacheParameterGroupFamily="redis7",
                                             Description="cluster mode on")
    elasticache.modify_cache_parameter_group(CacheParameterGroupName=name, ParameterNameValues=[
        {"ParameterName": "cluster-enabled", "ParameterValue": "yes"},
        {"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"}])
    return name


def create(elasticache, group_id, **options):
    settings = dict(ReplicationGroupId=group_id, ReplicationGroupDescription="sharded", CacheNodeType="cache.t4g.micro",
                    Engine="redis", EngineVersion="7.1", ClusterMode="enabled", NumNodeGroups=2,
                    ReplicasPerNodeGroup=1, AutomaticFailoverEnabled=True, MultiAZEnabled=True)
    settings.update(options)
    return elasticache.create_replication_group(**settings)["ReplicationGroup"]


def error_code(problem):
    return problem.value.response["Error"]["Code"]


def test_two_shards_are_one_redis_cluster(elasticache, cluster_parameter_group, local_aws):
    group_id = f"cm-{uuid.uuid4().hex[:8]}"
    group = create(elasticache, group_id, CacheParameterGroupName=cluster_parameter_group)
    try:
        assert group["ClusterEnabled"] is True
        assert [(node_group["NodeGroupId"], node_group["Slots"]) for node_group in group["NodeGroups"]] == [
            ("0001", "0-8191"), ("0002", "8192-16383")]
        assert group["MemberClusters"] == [f"{group_id}-0001-001", f"{group_id}-0001-002",
                                           f"{group_id}-0002-001", f"{group_id}-0002-002"]
        members = {cluster["CacheClusterId"]: cluster for cluster in elasticache.describe_cache_clusters(
            ShowCacheNodeInfo=True)["CacheClusters"] if cluster.get("ReplicationGroupId") == group_id}
        assert set(members) == set(group["MemberClusters"])
        assert {cluster["CacheParameterGroup"]["CacheParameterGroupName"] for cluster in members.values()} == {
            cluster_parameter_group}

        endpoint = group["ConfigurationEndpoint"]
        client = RedisCluster(startup_nodes=[ClusterNode(endpoint["Address"], endpoint["Port"])],
                              decode_responses=True)
        keys = [f"key-{number}" for number in range(50)]
        for key in keys:
            client.set(key, key.upper())
        assert [client.get(key) for key in keys] == [key.upper() for key in keys]
        # The keys are spread over both shards' primaries, and each has a replica.
        primaries = [node for node in client.get_nodes() if node.server_type == "primary"]
        assert len(primaries) == 2
        assert all(client.dbsize(target_nodes=node) > 0 for node in primaries)
        nodes = client.cluster_nodes()
        masters = {node["node_id"] for node in nodes.values() if "master" in node["flags"]}
        assert len(masters) == 2
        assert sorted(node["master_id"] for node in nodes.values() if "slave" in node["flags"]) == sorted(masters)
        # The parameter group reached the servers.
        assert client.config_get("maxmemory-policy", target_nodes=primaries[0]) == {
            "maxmemory-policy": "allkeys-lru"}
        client.close()

        # NewReplicaCount applies to every node group: a third node in each, then back to two.
        grown = elasticache.increase_replica_count(ReplicationGroupId=group_id, NewReplicaCount=2,
                                                   ApplyImmediately=True)["ReplicationGroup"]
        assert [len(node_group["NodeGroupMembers"]) for node_group in grown["NodeGroups"]] == [3, 3]
        assert f"{group_id}-0002-003" in grown["MemberClusters"]
        seed = redis.Redis(endpoint["Address"], endpoint["Port"], decode_responses=True)
        assert sum("slave" in node["flags"] for node in seed.cluster("NODES").values()) == 4
        with pytest.raises(ClientError) as problem:
            elasticache.decrease_replica_count(ReplicationGroupId=group_id, NewReplicaCount=0, ApplyImmediately=True)
        assert error_code(problem) == "InvalidParameterCombination"  # Multi-AZ needs a replica per node group
        shrunk = elasticache.decrease_replica_count(ReplicationGroupId=group_id, NewReplicaCount=1,
                                                    ApplyImmediately=True)["ReplicationGroup"]
        assert len(shrunk["MemberClusters"]) == 4
        nodes = seed.cluster("NODES")
        assert len(nodes) == 4 and sum("slave" in node["flags"] for node in nodes.values()) == 2
        seed.close()

        with pytest.raises(ClientError) as problem:
            elasticache.test_failover(ReplicationGroupId=group_id, NodeGroupId="0001")
        assert error_code(problem) == "InvalidReplicationGroupState"  # not supported locally
    finally:
        elasticache.delete_replication_group(ReplicationGroupId=group_id)
    assert not [name for name in redis_plane.running_pids(local_aws.state_dir) if f"/{group_id}/" in name]
    assert not [cluster for cluster in elasticache.describe_cache_clusters()["CacheClusters"]
                if cluster.get("ReplicationGroupId") == group_id]


@pytest.mark.parametrize("options, code", [
    ({"AutomaticFailoverEnabled": False, "MultiAZEnabled": False}, "InvalidParameterCombination"),
    ({"ReplicasPerNodeGroup": 0}, "InvalidParameterCombination"),  # Multi-AZ without replicas
    ({"CacheParameterGroupName": "default.redis7"}, "InvalidParameterCombination"),  # cluster-enabled no
])
def test_cluster_mode_is_validated_like_aws(elasticache, options, code):
    group_id = f"cm-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ClientError) as problem:
        create(elasticache, group_id, **options)
    assert error_code(problem) == code
    with pytest.raises(ClientError):
        elasticache.describe_replication_groups(ReplicationGroupId=group_id)


def test_a_cluster_mode_parameter_group_is_refused_for_cluster_mode_disabled(elasticache, cluster_parameter_group):
    with pytest.raises(ClientError) as problem:
        elasticache.create_replication_group(
            ReplicationGroupId=f"cm-{uuid.uuid4().hex[:8]}", ReplicationGroupDescription="one shard",
            CacheNodeType="cache.t4g.micro", Engine="redis", NumCacheClusters=1,
            CacheParameterGroupName=cluster_parameter_group)
    assert error_code(problem) == "InvalidParameterCombination"
    assert "cluster-enabled no" in str(problem.value)


def test_the_default_parameter_group_of_cluster_mode(elasticache, local_aws):
    group_id = f"cm-{uuid.uuid4().hex[:8]}"
    group = create(elasticache, group_id, NumNodeGroups=1, ReplicasPerNodeGroup=0, MultiAZEnabled=False)
    try:
        [member] = elasticache.describe_cache_clusters(CacheClusterId=group["MemberClusters"][0])["CacheClusters"]
        assert member["CacheParameterGroup"]["CacheParameterGroupName"] == "default.redis7.cluster.on"
        endpoint = group["ConfigurationEndpoint"]
        node = redis.Redis(endpoint["Address"], endpoint["Port"], decode_responses=True)
        assert node.cluster("INFO")["cluster_state"] == "ok"
        node.close()
    finally:
        elasticache.delete_replication_group(ReplicationGroupId=group_id)
