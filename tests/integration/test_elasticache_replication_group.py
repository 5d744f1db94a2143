"""dbfleet.aws.elasticache_replication_group through ansible-playbook against the local endpoint.

Every test reads the resulting group back through boto3, talks to the real redis-server
processes behind it with redis-py, and counts the API calls the module made with the
endpoint's recorder.
"""

import json
from datetime import datetime
import uuid
from pathlib import Path

import pytest
import redis
from botocore.exceptions import ClientError
from conftest import redis_answers, redis_connect

PLAYBOOK = Path(__file__).resolve().parent / "playbooks" / "elasticache_replication_group.yml"
NODE_TYPE = "cache.t3.micro"


def new_token():
    return "Tok-%s" % uuid.uuid4().hex


@pytest.fixture
def elasticache(local_aws):
    return local_aws.client("elasticache")


@pytest.fixture
def group_id(elasticache):
    name = "rg-test-%s" % uuid.uuid4().hex[:10]
    yield name
    try:
        elasticache.delete_replication_group(ReplicationGroupId=name)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ReplicationGroupNotFoundFault"


@pytest.fixture
def apply(module_runner):
    return module_runner(PLAYBOOK)


def describe(elasticache, name):
    return elasticache.describe_replication_groups(ReplicationGroupId=name)["ReplicationGroups"][0]


def group_exists(elasticache, name):
    try:
        describe(elasticache, name)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ReplicationGroupNotFoundFault"
        return False
    return True


def address_port(endpoint):
    """(address, port) of an endpoint, as the API (Address, Port) or the module (address, port)
    gives it: each node is a host of its own, on the group's port."""
    return tuple(endpoint.get(key) or endpoint.get(key.lower()) for key in ("Address", "Port"))


def primary_endpoint(elasticache, group_id):
    return address_port(describe(elasticache, group_id)["NodeGroups"][0]["PrimaryEndpoint"])


def members(group):
    """{CacheClusterId: (CurrentRole, (address, port))}."""
    return dict((member["CacheClusterId"], (member["CurrentRole"], address_port(member["ReadEndpoint"])))
                for member in group["NodeGroups"][0]["NodeGroupMembers"])


def mutating_actions(local_aws, since):
    return [call["action"] for call in local_aws.recorder.mutating(since)]


def test_create_answers_with_the_token_and_second_run_changes_nothing(local_aws, elasticache, apply, group_id):
    token = new_token()
    arguments = {"replication_group_id": group_id, "node_type": NODE_TYPE, "transit_encryption": True,
                 "auth_token": token, "tags": {"env": "dev"}}
    result, process = apply(arguments, diff=True, with_process=True)
    assert result["changed"] is True
    assert token not in process.stdout and token not in json.dumps(result)

    group = describe(elasticache, group_id)
    assert group["AuthTokenEnabled"] is True and group["TransitEncryptionEnabled"] is True
    assert group["CacheNodeType"] == NODE_TYPE and group["MemberClusters"] == ["%s-001" % group_id]
    endpoint = result["replication_group"]["primary_endpoint"]
    assert address_port(endpoint) == address_port(group["NodeGroups"][0]["PrimaryEndpoint"])
    assert endpoint["port"] == 6379
    assert result["replication_group"]["member_clusters"][0]["role"] == "primary"
    assert redis_connect(address_port(endpoint), token).ping() is True
    with pytest.raises(redis.AuthenticationError):
        redis_connect(address_port(endpoint)).ping()

    since = local_aws.recorder.mark()
    result, process = apply(arguments, with_process=True)
    assert result["changed"] is False and result["actions"] == []
    assert process.recap["localhost"]["changed"] == 0
    assert local_aws.recorder.mutating(since) == []


def test_one_to_three_nodes_and_back(local_aws, elasticache, apply, group_id):
    apply({"replication_group_id": group_id, "node_type": NODE_TYPE})
    primary = primary_endpoint(elasticache, group_id)
    redis_connect(primary).set("greeting", "hello")

    since = local_aws.recorder.mark()
    result = apply({"replication_group_id": group_id, "num_cache_clusters": 3, "automatic_failover": True,
                    "multi_az": True})
    # Replicas first, then failover, then Multi-AZ: the order ElastiCache accepts.
    assert mutating_actions(local_aws, since) == [
        "IncreaseReplicaCount", "ModifyReplicationGroup", "ModifyReplicationGroup"]
    assert [action["settings"] for action in result["actions"]] == [
        ["num_cache_clusters"], ["automatic_failover"], ["multi_az"]]
    group = describe(elasticache, group_id)
    assert (group["AutomaticFailover"], group["MultiAZ"]) == ("enabled", "enabled")
    roles = members(group)
    assert sorted(role for role, port in roles.values()) == ["primary", "replica", "replica"]
    replicas = [endpoint for role, endpoint in roles.values() if role == "replica"]
    for endpoint in replicas:
        replica = redis_connect(endpoint)
        assert replica.info("replication")["role"] == "slave"
        assert replica.get("greeting") == "hello"
    assert sorted(member["role"] for member in result["replication_group"]["member_clusters"]) == \
        ["primary", "replica", "replica"]
    assert address_port(result["replication_group"]["reader_endpoint"]) in replicas

    since = local_aws.recorder.mark()
    result = apply({"replication_group_id": group_id, "num_cache_clusters": 1, "automatic_failover": False,
                    "multi_az": False})
    # Multi-AZ off, then failover off, then the replicas go.
    assert mutating_actions(local_aws, since) == [
        "ModifyReplicationGroup", "ModifyReplicationGroup", "DecreaseReplicaCount"]
    assert [action["settings"] for action in result["actions"]] == [
        ["multi_az"], ["automatic_failover"], ["num_cache_clusters"]]
    group = describe(elasticache, group_id)
    assert group["MemberClusters"] == ["%s-001" % group_id]
    assert (group["AutomaticFailover"], group["MultiAZ"]) == ("disabled", "disabled")
    assert not any(redis_answers(endpoint) for endpoint in replicas)
    assert redis_connect(primary).get("greeting") == "hello"


def test_node_type_change_is_one_modify_call(local_aws, elasticache, apply, group_id):
    apply({"replication_group_id": group_id, "node_type": NODE_TYPE, "num_cache_clusters": 2})
    since = local_aws.recorder.mark()
    result, process = apply({"replication_group_id": group_id, "node_type": "cache.r6g.large",
                             "apply_immediately": True}, diff=True, with_process=True)
    assert local_aws.recorder.count_by_action(since).get("ModifyReplicationGroup") == 1
    assert mutating_actions(local_aws, since) == ["ModifyReplicationGroup"]
    assert result["diff"] == {"before": {"node_type": NODE_TYPE}, "after": {"node_type": "cache.r6g.large"}}
    assert "cache.r6g.large" in process.stdout
    assert describe(elasticache, group_id)["CacheNodeType"] == "cache.r6g.large"
    member = elasticache.describe_cache_clusters(CacheClusterId="%s-002" % group_id)["CacheClusters"][0]
    assert member["CacheNodeType"] == "cache.r6g.large"

    since = local_aws.recorder.mark()
    assert apply({"replication_group_id": group_id, "node_type": "cache.r6g.large"})["changed"] is False
    assert local_aws.recorder.mutating(since) == []


def test_multi_az_on_a_one_node_group_is_refused_without_a_call(local_aws, elasticache, apply, group_id):
    apply({"replication_group_id": group_id, "node_type": NODE_TYPE})
    since = local_aws.recorder.mark()
    result = apply({"replication_group_id": group_id, "multi_az": True, "automatic_failover": True},
                   expect_failure=True)
    assert result["problems"] == [
        "multi_az: requires at least 2 nodes (num_cache_clusters is 1); add a replica first"]
    assert local_aws.recorder.mutating(since) == []
    assert describe(elasticache, group_id)["MultiAZ"] == "disabled"


def test_rotate_then_set_leaves_only_the_new_token(local_aws, elasticache, apply, group_id):
    old_token, token = new_token(), new_token()
    arguments = {"replication_group_id": group_id, "node_type": NODE_TYPE, "transit_encryption": True}
    apply(dict(arguments, auth_token=old_token))
    primary = primary_endpoint(elasticache, group_id)

    result, process = apply(dict(arguments, auth_token=token, auth_token_update_strategy="ROTATE"),
                            diff=True, with_process=True)
    assert result["changed"] is True
    assert result["diff"]["after"] == {"auth_token_update_strategy": "ROTATE"}
    assert token not in process.stdout and old_token not in process.stdout
    assert redis_connect(primary, old_token).ping() is True
    assert redis_connect(primary, token).ping() is True

    since = local_aws.recorder.mark()
    apply(dict(arguments, auth_token=token, auth_token_update_strategy="SET"))
    assert mutating_actions(local_aws, since) == ["ModifyReplicationGroup"]
    assert redis_connect(primary, token).ping() is True
    with pytest.raises(redis.AuthenticationError):
        redis_connect(primary, old_token).ping()

    # Without a strategy the token of a group that has AUTH is not sent again.
    since = local_aws.recorder.mark()
    assert apply(dict(arguments, auth_token=token))["changed"] is False
    assert local_aws.recorder.mutating(since) == []


def test_bad_id_token_and_windows_fail_in_one_error_without_any_call(local_aws, apply):
    since = local_aws.recorder.mark()
    result = apply({
        "replication_group_id": "1bad--id-", "node_type": NODE_TYPE, "auth_token": "short@token",
        "transit_encryption": True, "snapshot_window": "25:00-26:00",
        "preferred_maintenance_window": "someday:01:00-02:00", "snapshot_retention_limit": 40,
        "num_cache_clusters": 7,
    }, expect_failure=True)
    assert [problem.split(":")[0] for problem in result["problems"]] == [
        "replication_group_id", "auth_token", "num_cache_clusters", "snapshot_retention_limit",
        "snapshot_window", "preferred_maintenance_window"]
    assert result["msg"].startswith("6 problem(s)")
    assert "short@token" not in json.dumps(result)

    result = apply({"replication_group_id": "rg-windows", "node_type": NODE_TYPE,
                    "auth_token": "contains/a/slash/token", "transit_encryption": True,
                    "snapshot_window": "04:00-06:00", "preferred_maintenance_window": "tue:05:00-tue:06:00"},
                   expect_failure=True)
    assert result["problems"][0].startswith("auth_token: may contain only letters, digits")
    assert result["problems"][1] == \
        "snapshot_window: 04:00-06:00 overlaps preferred_maintenance_window tue:05:00-tue:06:00"
    assert local_aws.recorder.calls(since) == []


def test_check_mode_makes_no_mutating_call(local_aws, elasticache, apply, group_id):
    since = local_aws.recorder.mark()
    result = apply({"replication_group_id": group_id, "node_type": NODE_TYPE, "num_cache_clusters": 2},
                   check=True)
    assert result["changed"] is True
    assert [action["action"] for action in result["actions"]] == ["CreateReplicationGroup"]
    assert local_aws.recorder.mutating(since) == []
    assert not group_exists(elasticache, group_id)

    apply({"replication_group_id": group_id, "node_type": NODE_TYPE})
    since = local_aws.recorder.mark()
    result = apply({"replication_group_id": group_id, "num_cache_clusters": 3, "automatic_failover": True,
                    "snapshot_retention_limit": 7, "tags": {"env": "prod"}}, check=True)
    assert result["changed"] is True
    assert [action["action"] for action in result["actions"]] == [
        "IncreaseReplicaCount", "ModifyReplicationGroup", "ModifyReplicationGroup"]
    assert result["replication_group"]["num_cache_clusters"] == 3
    assert local_aws.recorder.mutating(since) == []
    group = describe(elasticache, group_id)
    assert len(group["MemberClusters"]) == 1 and group["SnapshotRetentionLimit"] == 0


def test_changes_that_need_a_new_group_are_refused_before_any_write(local_aws, elasticache, apply, group_id):
    apply({"replication_group_id": group_id, "node_type": NODE_TYPE, "engine_version": "7.1"})
    since = local_aws.recorder.mark()
    result = apply({"replication_group_id": group_id, "at_rest_encryption": True, "engine_version": "6.2",
                    "node_type": "cache.r6g.large", "num_node_groups": 2}, expect_failure=True)
    problems = result["problems"]
    assert [problem.split(":")[0] for problem in problems] == ["at_rest_encryption", "num_node_groups",
                                                               "engine_version"]
    assert all("the group must be replaced" in problem for problem in problems)
    assert local_aws.recorder.mutating(since) == []
    group = describe(elasticache, group_id)
    assert group["AtRestEncryptionEnabled"] is False and group["CacheNodeType"] == NODE_TYPE


def test_windows_logs_and_tags_are_applied_once(local_aws, elasticache, apply, group_id):
    apply({"replication_group_id": group_id, "node_type": NODE_TYPE, "tags": {"env": "dev", "team": "db"}})
    arguments = {
        "replication_group_id": group_id, "snapshot_retention_limit": 7, "snapshot_window": "03:00-04:00",
        "preferred_maintenance_window": "Sun:05:00-Sun:06:00", "description": "sessions",
        "log_delivery": [{"log_type": "slow-log", "destination": "/elasticache/slow"}],
        "tags": {"env": "prod", "team": "db"}, "apply_immediately": True,
    }
    result = apply(arguments, diff=True)
    assert result["diff"]["before"]["tags"] == {"env": "dev"}
    assert result["diff"]["after"]["tags"] == {"env": "prod"}
    group = describe(elasticache, group_id)
    assert (group["SnapshotRetentionLimit"], group["SnapshotWindow"], group["Description"]) == \
        (7, "03:00-04:00", "sessions")
    assert [(entry["LogType"], entry["DestinationDetails"]["CloudWatchLogsDetails"]["LogGroup"])
            for entry in group["LogDeliveryConfigurations"]] == [("slow-log", "/elasticache/slow")]
    member = elasticache.describe_cache_clusters(CacheClusterId="%s-001" % group_id)["CacheClusters"][0]
    assert member["PreferredMaintenanceWindow"] == "sun:05:00-sun:06:00"
    tags = elasticache.list_tags_for_resource(ResourceName=group["ARN"])["TagList"]
    assert sorted((tag["Key"], tag["Value"]) for tag in tags) == [("env", "prod"), ("team", "db")]

    since = local_aws.recorder.mark()
    assert apply(arguments)["changed"] is False
    assert local_aws.recorder.mutating(since) == []

    apply({"replication_group_id": group_id, "log_delivery": []})
    assert describe(elasticache, group_id)["LogDeliveryConfigurations"] == []


def test_delete_with_final_snapshot_and_restore_from_it(local_aws, elasticache, apply, group_id):
    apply({"replication_group_id": group_id, "node_type": NODE_TYPE})
    redis_connect(primary_endpoint(elasticache, group_id)).set("kept", "yes")
    snapshot = "%s-final" % group_id
    restored = "%s-r" % group_id

    result = apply({"replication_group_id": group_id, "state": "absent", "final_snapshot_identifier": snapshot},
                   check=True)
    assert result["changed"] is True and group_exists(elasticache, group_id)
    try:
        since = local_aws.recorder.mark()
        result = apply({"replication_group_id": group_id, "state": "absent",
                        "final_snapshot_identifier": snapshot})
        assert result["changed"] is True
        assert mutating_actions(local_aws, since) == ["DeleteReplicationGroup"]
        assert not group_exists(elasticache, group_id)
        assert elasticache.describe_snapshots(SnapshotName=snapshot)["Snapshots"][0]["ReplicationGroupId"] == \
            group_id
        assert apply({"replication_group_id": group_id, "state": "absent"})["changed"] is False

        result = apply({"replication_group_id": restored, "snapshot_name": snapshot})
        primary = address_port(result["replication_group"]["primary_endpoint"])
        assert redis_connect(primary).get("kept") == "yes"
        assert describe(elasticache, restored)["CacheNodeType"] == NODE_TYPE
    finally:
        if group_exists(elasticache, restored):
            elasticache.delete_replication_group(ReplicationGroupId=restored)
        elasticache.delete_snapshot(SnapshotName=snapshot)


def test_waits_for_available_between_calls(local_aws, elasticache, apply, group_id):
    apply({"replication_group_id": group_id, "node_type": NODE_TYPE})
    delay_seconds = 2
    local_aws.set_delay(delay_seconds)
    try:
        since = local_aws.recorder.mark()
        apply({"replication_group_id": group_id, "num_cache_clusters": 2, "automatic_failover": True})
    finally:
        local_aws.set_delay(0)
    calls = [call for call in local_aws.recorder.calls(since)
             if call["ids"].get("ReplicationGroupId") == group_id]
    writes = [call for call in calls if call["action"] in ("IncreaseReplicaCount", "ModifyReplicationGroup")]
    assert [call["action"] for call in writes] == ["IncreaseReplicaCount", "ModifyReplicationGroup"]
    assert all(call["error"] is None for call in writes)
    # The group reports "modifying" for the delay after the first write; the second waits it out.
    gap = datetime.fromisoformat(writes[1]["ts"]) - datetime.fromisoformat(writes[0]["ts"])
    assert gap.total_seconds() >= delay_seconds
    assert describe(elasticache, group_id)["AutomaticFailover"] == "enabled"


def test_throttled_writes_are_retried(local_aws, elasticache, apply, group_id):
    apply({"replication_group_id": group_id, "node_type": NODE_TYPE})
    local_aws.set_faults([{"action": "ModifyReplicationGroup", "first_n": 2, "error": "Throttling"}])
    try:
        since = local_aws.recorder.mark()
        # botocore's own retries are off, so only the module's backoff can succeed.
        apply({"replication_group_id": group_id, "snapshot_retention_limit": 5},
              aws_config={"retries": {"mode": "standard", "total_max_attempts": 1}})
    finally:
        local_aws.clear_faults()
    modify_calls = [call for call in local_aws.recorder.calls(since) if call["action"] == "ModifyReplicationGroup"]
    assert [call["error"] for call in modify_calls] == ["Throttling", "Throttling", None]
    assert describe(elasticache, group_id)["SnapshotRetentionLimit"] == 5


def test_tls_off_then_auth_deleted(local_aws, elasticache, apply, group_id):
    token = new_token()
    apply({"replication_group_id": group_id, "node_type": NODE_TYPE, "transit_encryption": True,
           "auth_token": token})
    primary = primary_endpoint(elasticache, group_id)

    since = local_aws.recorder.mark()
    result = apply({"replication_group_id": group_id, "transit_encryption": False,
                    "auth_token_update_strategy": "DELETE", "apply_immediately": True})
    assert [action["settings"] for action in result["actions"]] == [
        ["transit_encryption_mode"], ["transit_encryption"], ["auth_token_enabled"]]
    assert mutating_actions(local_aws, since) == ["ModifyReplicationGroup"] * 3
    group = describe(elasticache, group_id)
    assert group["TransitEncryptionEnabled"] is False and group["AuthTokenEnabled"] is False
    assert redis_connect(primary).ping() is True

    since = local_aws.recorder.mark()
    assert apply({"replication_group_id": group_id, "transit_encryption": False,
                  "auth_token_update_strategy": "DELETE"})["changed"] is False
    assert local_aws.recorder.mutating(since) == []


def test_redis_upgrades_to_valkey_in_place_but_not_back(local_aws, elasticache, apply, group_id):
    apply({"replication_group_id": group_id, "node_type": NODE_TYPE, "engine": "redis", "engine_version": "7.1"})
    since = local_aws.recorder.mark()
    valkey = {"replication_group_id": group_id, "engine": "valkey", "engine_version": "8.0",
              "apply_immediately": True}
    result = apply(valkey)
    assert [action["settings"] for action in result["actions"]] == [["engine", "engine_version"]]
    assert mutating_actions(local_aws, since) == ["ModifyReplicationGroup"]
    assert describe(elasticache, group_id)["Engine"] == "valkey"
    member = elasticache.describe_cache_clusters(CacheClusterId="%s-001" % group_id)["CacheClusters"][0]
    assert member["EngineVersion"] == "8.0"
    assert apply(valkey)["changed"] is False

    since = local_aws.recorder.mark()
    result = apply({"replication_group_id": group_id, "engine": "redis", "engine_version": "7.1"},
                   expect_failure=True)
    assert [problem.split(":")[0] for problem in result["problems"]] == ["engine"]
    assert "the group must be replaced" in result["msg"]
    assert local_aws.recorder.mutating(since) == []
