"""The elasticache role with cluster mode enabled, on a group of its own in the local
inventory (the role alone): shards, replicas, the parameter group and the connection
secret, read back through boto3 and a Redis Cluster client."""

import yaml
from redis.cluster import ClusterNode, RedisCluster

from conftest import (LOCAL_HOST as HOST, LOCAL_INVENTORY as INVENTORY, LOCAL_REGION as REGION, REPO_ROOT, ROLES,
                      ansible_environment, cache_parameters, read_secret as secret, run_playbook)

PLAYBOOK = "playbooks/provision.yml"
CACHE_VARS = yaml.safe_load((REPO_ROOT / INVENTORY / "group_vars/local/elasticache.yml").read_text())
ELASTICACHE_ONLY = {f"{role}_enabled": role == "elasticache" for role in ROLES}


def test_cluster_mode_enabled_shards_the_keys_and_converges(local_aws, elasticache):
    """The elasticache role with elasticache_cluster_mode enabled: a new group of two node
    groups, the parameter group with cluster-enabled yes, a connection secret with the
    configuration endpoint a cluster client starts from; then no change, and a replica more
    in every node group. (Switching the cluster mode of a running group is refused by the
    preflight: tests/unit/plugins/module_utils/inputs/test_elasticache.py.)"""
    sharded = {
        "elasticache_replication_group_id": "dbfleet-local-sharded",
        "elasticache_auth_secret_name": "dbfleet/local/redis/sharded-auth-token",
        "elasticache_connection_secret_name": "dbfleet/local/redis/sharded-connection",
        "elasticache_cluster_mode": "enabled",
        "elasticache_num_node_groups": 2,
        "elasticache_replicas_per_node_group": 1,
    }
    group_id = sharded["elasticache_replication_group_id"]
    env = ansible_environment(local_aws)

    def provision(**changes):
        return run_playbook(PLAYBOOK, INVENTORY, env=env, extra_vars={**ELASTICACHE_ONLY, **sharded, **changes})

    try:
        provision()
        group = elasticache.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"][0]
        assert (group["ClusterEnabled"], group["AutomaticFailover"], group["MultiAZ"]) == (True, "enabled", "enabled")
        assert [len(node_group["NodeGroupMembers"]) for node_group in group["NodeGroups"]] == [2, 2]
        members = [elasticache.describe_cache_clusters(CacheClusterId=cluster_id)["CacheClusters"][0]
                   for cluster_id in group["MemberClusters"]]
        assert {member["CacheParameterGroup"]["CacheParameterGroupName"] for member in members} == {
            f"{group_id}-redis7"}
        values = cache_parameters(elasticache, f"{group_id}-redis7")
        assert values["cluster-enabled"] == "yes"
        assert values["maxmemory-policy"] == CACHE_VARS["elasticache_parameters"]["maxmemory-policy"]

        connection = secret(local_aws, sharded["elasticache_connection_secret_name"])
        assert connection["cluster_mode"] == "enabled"
        assert (connection["configuration_endpoint"], connection["port"]) == (
            group["ConfigurationEndpoint"]["Address"], group["ConfigurationEndpoint"]["Port"])
        assert "primary_endpoint" not in connection
        client = RedisCluster(startup_nodes=[ClusterNode(connection["configuration_endpoint"], connection["port"])],
                              password=connection["auth_token"], decode_responses=True)
        for number in range(20):
            client.set(f"sharded:{number}", number)
        primaries = client.get_primaries()
        assert len(primaries) == 2 and all(client.dbsize(target_nodes=node) > 0 for node in primaries)
        client.close()

        again = provision()
        assert again.recap[HOST]["changed"] == 0
        assert again.mutating == []

        grown = provision(elasticache_replicas_per_node_group=2)
        assert [call["action"] for call in grown.mutating] == ["IncreaseReplicaCount"]
        group = elasticache.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"][0]
        assert [len(node_group["NodeGroupMembers"]) for node_group in group["NodeGroups"]] == [3, 3]

    finally:
        try:
            elasticache.delete_replication_group(ReplicationGroupId=group_id)
        except elasticache.exceptions.ReplicationGroupNotFoundFault:
            pass
        for delete in (lambda: elasticache.delete_cache_parameter_group(CacheParameterGroupName=f"{group_id}-redis7"),
                       lambda: elasticache.delete_cache_subnet_group(CacheSubnetGroupName=group_id)):
            try:
                delete()
            except elasticache.exceptions.ClientError:
                pass  # the run failed before creating it
        ec2 = local_aws.client("ec2", REGION)
        for security_group in ec2.describe_security_groups(Filters=[
                {"Name": "group-name", "Values": [f"{group_id}-elasticache"]}])["SecurityGroups"]:
            ec2.delete_security_group(GroupId=security_group["GroupId"])
        secrets = local_aws.client("secretsmanager", REGION)
        for name in (sharded["elasticache_auth_secret_name"], sharded["elasticache_connection_secret_name"]):
            try:
                secrets.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
            except secrets.exceptions.ResourceNotFoundException:
                pass
