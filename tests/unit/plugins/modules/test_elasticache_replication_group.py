"""The elasticache_replication_group module's ensure functions against a stubbed client:
the calls it makes, in order and with their parameters, and what it returns."""

import pytest

from ansible_collections.dbfleet.aws.plugins.modules import elasticache_replication_group as module_code

from ..stubbed_aws import Exited, Failed, StubbedModule, params_from_spec, stubbed_client

GROUP_ID = "app-redis"
ARN = "arn:aws:elasticache:us-east-1:123456789012:replicationgroup:app-redis"
TOKEN = "Token-of-32-characters-0123456789"


def params(**given):
    return params_from_spec(module_code.ARGUMENT_SPEC, **dict({"replication_group_id": GROUP_ID}, **given))


def member(number, role):
    return {"CacheClusterId": "%s-%03d" % (GROUP_ID, number), "CurrentRole": role,
            "ReadEndpoint": {"Address": "%s-%03d.example" % (GROUP_ID, number), "Port": 6379},
            "PreferredAvailabilityZone": "us-east-1%s" % "abc"[number - 1]}


def group(status="available", nodes=1, failover="disabled", multi_az="disabled", **fields):
    """A ReplicationGroup as DescribeReplicationGroups returns it (cluster mode disabled)."""
    members = [member(number, "primary" if number == 1 else "replica") for number in range(1, nodes + 1)]
    return dict({
        "ReplicationGroupId": GROUP_ID, "Description": GROUP_ID, "Status": status, "ARN": ARN,
        "MemberClusters": [entry["CacheClusterId"] for entry in members],
        "AutomaticFailover": failover, "MultiAZ": multi_az, "CacheNodeType": "cache.t4g.micro",
        "SnapshotRetentionLimit": 0, "AtRestEncryptionEnabled": False, "TransitEncryptionEnabled": False,
        "AuthTokenEnabled": False, "Engine": "redis",
        "NodeGroups": [{"NodeGroupId": "0001", "Status": status, "NodeGroupMembers": members,
                        "PrimaryEndpoint": {"Address": "%s.primary.example" % GROUP_ID, "Port": 6379},
                        "ReaderEndpoint": {"Address": "%s.reader.example" % GROUP_ID, "Port": 6379}}],
    }, **fields)


CLUSTER = {"CacheClusterId": "%s-001" % GROUP_ID, "Engine": "redis", "EngineVersion": "7.1.0",
           "CacheSubnetGroupName": GROUP_ID, "CacheParameterGroup": {"CacheParameterGroupName": "default.redis7"},
           "SecurityGroups": [], "PreferredMaintenanceWindow": "sun:05:00-sun:06:00"}


@pytest.fixture
def elasticache():
    yield from stubbed_client("elasticache")


def expect_describe(stubber, answer):
    stubber.add_response("describe_replication_groups", {"ReplicationGroups": [answer]},
                         {"ReplicationGroupId": GROUP_ID})


def expect_primary_and_tags(stubber, tags=()):
    stubber.add_response("describe_cache_clusters", {"CacheClusters": [CLUSTER]},
                         {"CacheClusterId": "%s-001" % GROUP_ID})
    stubber.add_response("list_tags_for_resource", {"TagList": [{"Key": k, "Value": v} for k, v in tags]},
                         {"ResourceName": ARN})


def test_create_sends_one_request_waits_and_returns_the_group_without_its_token(elasticache):
    stubber, client = elasticache
    stubber.add_response("create_replication_group", {"ReplicationGroup": group(status="creating")}, {
        "ReplicationGroupId": GROUP_ID, "ReplicationGroupDescription": GROUP_ID, "Engine": "redis",
        "AutomaticFailoverEnabled": True, "MultiAZEnabled": True, "AtRestEncryptionEnabled": False,
        "TransitEncryptionEnabled": True, "TransitEncryptionMode": "required", "SnapshotRetentionLimit": 0,
        "NumCacheClusters": 2, "CacheNodeType": "cache.t4g.micro", "Port": 6379, "AuthToken": TOKEN,
        "Tags": [{"Key": "env", "Value": "dev"}]})
    created = group(nodes=2, failover="enabled", multi_az="enabled", TransitEncryptionEnabled=True,
                    AuthTokenEnabled=True)
    expect_describe(stubber, created)  # the waiter: available at once
    expect_describe(stubber, created)  # read back
    expect_primary_and_tags(stubber, tags=[("env", "dev")])
    module = StubbedModule(params(node_type="cache.t4g.micro", port=6379, num_cache_clusters=2,
                                  automatic_failover=True, multi_az=True, transit_encryption=True,
                                  auth_token=TOKEN, tags={"env": "dev"}))

    with pytest.raises(Exited) as exited:
        module_code.ensure_created(module, client)

    result = exited.value.result
    assert result["changed"] is True and result["actions"][0]["action"] == module_code.CREATE
    summary = result["replication_group"]
    assert summary["primary_endpoint"] == {"address": "app-redis.primary.example", "port": 6379}
    assert [entry["role"] for entry in summary["member_clusters"]] == ["primary", "replica"]
    assert summary["tags"] == {"env": "dev"} and summary["auth_token_enabled"] is True
    assert TOKEN not in repr(result)


def test_create_in_check_mode_calls_nothing(elasticache):
    _stubber, client = elasticache  # no response queued: any call would fail the test
    module = StubbedModule(params(node_type="cache.t4g.micro"), check_mode=True)
    with pytest.raises(Exited) as exited:
        module_code.ensure_created(module, client)
    assert exited.value.result["changed"] is True
    assert exited.value.result["diff"]["after"]["node_type"] == "cache.t4g.micro"


def test_scaling_out_adds_replicas_then_failover_then_multi_az_waiting_between(elasticache):
    stubber, client = elasticache
    current = group()
    expect_primary_and_tags(stubber)
    expect_describe(stubber, current)
    stubber.add_response("increase_replica_count", {"ReplicationGroup": group(status="modifying")},
                         {"ReplicationGroupId": GROUP_ID, "NewReplicaCount": 2, "ApplyImmediately": True})
    expect_describe(stubber, group(status="modifying", nodes=3))
    expect_describe(stubber, group(nodes=3))  # the waiter, before the next step
    stubber.add_response("modify_replication_group", {"ReplicationGroup": group(nodes=3)},
                         {"ReplicationGroupId": GROUP_ID, "AutomaticFailoverEnabled": True,
                          "ApplyImmediately": False})
    expect_describe(stubber, group(nodes=3, failover="enabled"))
    stubber.add_response("modify_replication_group", {"ReplicationGroup": group(nodes=3)},
                         {"ReplicationGroupId": GROUP_ID, "MultiAZEnabled": True, "ApplyImmediately": False})
    final = group(nodes=3, failover="enabled", multi_az="enabled")
    expect_describe(stubber, final)  # the final wait
    expect_describe(stubber, final)  # read back
    expect_primary_and_tags(stubber)
    module = StubbedModule(params(num_cache_clusters=3, automatic_failover=True, multi_az=True))

    with pytest.raises(Exited) as exited:
        module_code.ensure_updated(module, client, current)

    result = exited.value.result
    assert [action["settings"] for action in result["actions"]] == [
        ["num_cache_clusters"], ["automatic_failover"], ["multi_az"]]
    assert result["diff"] == {
        "before": {"num_cache_clusters": 1, "automatic_failover": False, "multi_az": False},
        "after": {"num_cache_clusters": 3, "automatic_failover": True, "multi_az": True}}
    assert len(result["replication_group"]["member_clusters"]) == 3


def test_a_converged_group_is_only_read(elasticache):
    stubber, client = elasticache
    expect_primary_and_tags(stubber, tags=[("env", "dev")])
    module = StubbedModule(params(node_type="cache.t4g.micro", port=6379, num_cache_clusters=1,
                                  tags={"env": "dev"}, engine_version="7.1"))
    with pytest.raises(Exited) as exited:
        module_code.ensure_updated(module, client, group())
    assert exited.value.result["changed"] is False and exited.value.result["actions"] == []


def test_a_port_or_encryption_it_cannot_change_fails_after_reads_only(elasticache):
    stubber, client = elasticache
    stubber.add_response("describe_cache_clusters", {"CacheClusters": [CLUSTER]},
                         {"CacheClusterId": "%s-001" % GROUP_ID})
    module = StubbedModule(params(port=6380, at_rest_encryption=True))
    with pytest.raises(Failed) as failed:
        module_code.ensure_updated(module, client, group())
    assert [problem.split(":")[0] for problem in failed.value.result["problems"]] == ["at_rest_encryption", "port"]
    assert failed.value.result["problems"][1].startswith("port: the group has 6379, 6380 wanted")


def test_delete_takes_the_final_snapshot_and_waits_until_gone(elasticache):
    stubber, client = elasticache
    stubber.add_response("delete_replication_group", {"ReplicationGroup": group(status="deleting")},
                         {"ReplicationGroupId": GROUP_ID, "FinalSnapshotIdentifier": "app-redis-final"})
    stubber.add_client_error("describe_replication_groups", "ReplicationGroupNotFoundFault",
                             expected_params={"ReplicationGroupId": GROUP_ID})
    module = StubbedModule(params(state="absent", final_snapshot_identifier="app-redis-final"))
    with pytest.raises(Exited) as exited:
        module_code.ensure_absent(module, client, group())
    assert exited.value.result["changed"] is True
    assert exited.value.result["diff"] == {"before": {"replication_group_id": GROUP_ID, "status": "available"},
                                           "after": {}}


def test_create_places_each_node_in_its_zone(elasticache):
    stubber, client = elasticache
    stubber.add_response("create_replication_group", {"ReplicationGroup": group(status="creating")}, {
        "ReplicationGroupId": GROUP_ID, "ReplicationGroupDescription": GROUP_ID, "Engine": "redis",
        "AutomaticFailoverEnabled": True, "MultiAZEnabled": False, "AtRestEncryptionEnabled": False,
        "TransitEncryptionEnabled": False, "SnapshotRetentionLimit": 0, "NumCacheClusters": 2,
        "PreferredCacheClusterAZs": ["us-east-1b", "us-east-1a"], "CacheNodeType": "cache.t4g.micro"})
    created = group(nodes=2, failover="enabled")
    expect_describe(stubber, created)
    expect_describe(stubber, created)
    expect_primary_and_tags(stubber)
    module = StubbedModule(params(node_type="cache.t4g.micro", num_cache_clusters=2, automatic_failover=True,
                                  preferred_cache_cluster_azs=["us-east-1b", "us-east-1a"]))
    with pytest.raises(Exited) as exited:
        module_code.ensure_created(module, client)
    assert exited.value.result["replication_group"]["availability_zones"] == ["us-east-1a", "us-east-1b"]


def test_a_replica_added_in_the_missing_zone(elasticache):
    """Nodes in a (primary) and b; a, b, c wanted: one replica, placed in c."""
    stubber, client = elasticache
    current = group(nodes=2, failover="enabled")
    expect_primary_and_tags(stubber)
    expect_describe(stubber, current)
    stubber.add_response("increase_replica_count", {"ReplicationGroup": group(status="modifying", nodes=3)}, {
        "ReplicationGroupId": GROUP_ID, "ApplyImmediately": True, "ReplicaConfiguration": [{
            "NodeGroupId": "0001", "NewReplicaCount": 2,
            "PreferredAvailabilityZones": ["us-east-1a", "us-east-1b", "us-east-1c"]}]})
    final = group(nodes=3, failover="enabled")
    expect_describe(stubber, final)  # the final wait
    expect_describe(stubber, final)  # read back
    expect_primary_and_tags(stubber)
    module = StubbedModule(params(num_cache_clusters=3,
                                  preferred_cache_cluster_azs=["us-east-1c", "us-east-1a", "us-east-1b"]))
    with pytest.raises(Exited) as exited:
        module_code.ensure_updated(module, client, current)
    assert exited.value.result["diff"]["after"]["availability_zones"] == ["us-east-1a", "us-east-1b", "us-east-1c"]


def test_the_replica_of_the_zone_no_longer_wanted_is_the_one_removed(elasticache):
    stubber, client = elasticache
    current = group(nodes=3, failover="enabled")
    expect_primary_and_tags(stubber)
    expect_describe(stubber, current)
    stubber.add_response("decrease_replica_count", {"ReplicationGroup": group(status="modifying", nodes=3)}, {
        "ReplicationGroupId": GROUP_ID, "ApplyImmediately": True, "ReplicasToRemove": ["app-redis-002"]})
    final = group(nodes=2, failover="enabled")
    expect_describe(stubber, final)
    expect_describe(stubber, final)
    expect_primary_and_tags(stubber)
    module = StubbedModule(params(num_cache_clusters=2, preferred_cache_cluster_azs=["us-east-1a", "us-east-1c"]))
    with pytest.raises(Exited):
        module_code.ensure_updated(module, client, current)


@pytest.mark.parametrize("zones, expected", [
    (["us-east-1a", "us-east-1c"],
     "preferred_cache_cluster_azs: the nodes are in us-east-1a, us-east-1b, us-east-1a, us-east-1c wanted; "
     "ElastiCache cannot move a node: change the node count first (a replica removed from us-east-1b, or added "
     "in us-east-1c), then the other way"),
    (["us-east-1b"],
     "preferred_cache_cluster_azs: the nodes are in us-east-1a, us-east-1b, us-east-1b wanted; the primary is in "
     "us-east-1a and is not removed: fail over first (playbooks/failover.yml) or keep a node in us-east-1a"),
], ids=["move", "primary"])
def test_zones_it_cannot_reach_fail_after_reads_only(elasticache, zones, expected):
    stubber, client = elasticache
    stubber.add_response("describe_cache_clusters", {"CacheClusters": [CLUSTER]},
                         {"CacheClusterId": "%s-001" % GROUP_ID})
    module = StubbedModule(params(num_cache_clusters=len(zones), preferred_cache_cluster_azs=zones))
    with pytest.raises(Failed) as failed:
        module_code.ensure_updated(module, client, group(nodes=2, failover="enabled"))
    assert expected in failed.value.result["problems"]
