from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_failover import failover_done
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_failover import failover_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_failover import primary_member
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_failover import validate_node_group_id


def group(status="available", failover="enabled", roles=("primary", "replica", "replica")):
    """A ReplicationGroup as DescribeReplicationGroups returns it (cluster mode disabled)."""
    return {
        "ReplicationGroupId": "app-redis",
        "Status": status,
        "AutomaticFailover": failover,
        "NodeGroups": [{
            "NodeGroupId": "0001",
            "PrimaryEndpoint": {"Address": "primary.example", "Port": 6379},
            "NodeGroupMembers": [{"CacheClusterId": "app-redis-%03d" % number, "CurrentRole": role}
                                 for number, role in enumerate(roles, start=1)],
        }],
    }


def test_node_group_id_is_up_to_four_digits():
    assert validate_node_group_id("0001") == []
    assert validate_node_group_id("12") == []
    assert validate_node_group_id("00001") == ["node_group_id: must be 1 to 4 digits, for example 0001 (got '00001')"]
    assert validate_node_group_id("") != []
    assert validate_node_group_id(None) != []


def test_primary_member():
    assert primary_member(group(), "0001") == "app-redis-001"
    assert primary_member(group(roles=("replica", "primary")), "0001") == "app-redis-002"
    assert primary_member(group(), "0002") is None
    assert primary_member({"ReplicationGroupId": "x"}, "0001") is None


def test_a_healthy_group_can_fail_over():
    assert failover_problems(group(), "0001") == []


def test_every_reason_against_a_failover_is_reported():
    problems = failover_problems(group(status="modifying", failover="disabled", roles=("primary",)), "0001")
    assert problems == [
        "replication group app-redis is modifying; a failover needs it available",
        "replication group app-redis has automatic failover disabled; a failover needs it enabled",
        "node group 0001 of app-redis has no replica to promote",
    ]
    assert failover_problems(group(), "0003") == [
        "node_group_id: 0003 is not a node group of app-redis (node groups: 0001)"]
    missing_setting = dict(group(), AutomaticFailover=None)
    assert "automatic failover disabled" in failover_problems(missing_setting, "0001")[0]


def test_failover_is_done_when_available_with_another_primary():
    assert not failover_done(group(status="modifying", roles=("replica", "primary")), "0001", "app-redis-001")
    assert not failover_done(group(), "0001", "app-redis-001")
    assert failover_done(group(roles=("replica", "primary", "replica")), "0001", "app-redis-001")
    assert not failover_done(group(roles=("replica", "replica")), "0001", "app-redis-001")
