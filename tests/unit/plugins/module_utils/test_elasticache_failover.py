"""The failover rules (module_utils/elasticache_failover.py) and the ElastiCache waiters
(module_utils/elasticache_waiters.py), those against a stubbed client."""

import boto3
import pytest
from botocore.exceptions import WaiterError
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_waiters import failed_over
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_waiters import snapshot_available
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


@pytest.fixture
def elasticache():
    client = boto3.client("elasticache", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        # The module hands the waiters amazon.aws's retrying wrapper, as module.client() returns it.
        yield stubber, RetryingBotoClientWrapper(client, AWSRetry.jittered_backoff())
        stubber.assert_no_pending_responses()


def describe_group(stubber, answer):
    stubber.add_response("describe_replication_groups", {"ReplicationGroups": [answer]},
                         {"ReplicationGroupId": "app-redis"})


def test_failover_waits_until_available_with_another_primary(elasticache):
    stubber, client = elasticache
    describe_group(stubber, group(status="modifying", roles=("replica", "primary")))
    describe_group(stubber, group())  # available, but the primary has not moved yet
    describe_group(stubber, group(roles=("replica", "replica")))  # no primary at all
    describe_group(stubber, group(roles=("replica", "primary", "replica")))
    failed_over(client, "0001", "app-redis-001", delay=0.001, timeout=1).wait(ReplicationGroupId="app-redis")


def test_failover_wait_gives_up_after_its_timeout(elasticache):
    stubber, client = elasticache
    for attempt in range(3):
        describe_group(stubber, group(status="available" if attempt else "modifying"))
    with pytest.raises(WaiterError, match="Max attempts exceeded"):
        failed_over(client, "0001", "app-redis-001", delay=0.001, timeout=0.003).wait(ReplicationGroupId="app-redis")


def describe_snapshot(stubber, status):
    stubber.add_response("describe_snapshots", {"Snapshots": [{"SnapshotName": "s1", "SnapshotStatus": status}]},
                         {"SnapshotName": "s1"})


def test_snapshot_waits_until_available(elasticache):
    stubber, client = elasticache
    describe_snapshot(stubber, "creating")
    describe_snapshot(stubber, "available")
    snapshot_available(client, delay=0.001, timeout=1).wait(SnapshotName="s1")


def test_a_failed_snapshot_stops_the_wait_at_once(elasticache):
    stubber, client = elasticache
    describe_snapshot(stubber, "creating")
    describe_snapshot(stubber, "failed")
    with pytest.raises(WaiterError, match="terminal failure state"):
        snapshot_available(client, delay=0.001, timeout=60).wait(SnapshotName="s1")
