"""`reset` and `down` stop every redis-server the endpoint started (separate endpoint)."""

import uuid

from conftest import port_answers

from tools.local_aws.dataplane import redis as redis_plane


def process_running(pid):
    """Whether `pid` runs; an exited process nobody reaped yet (zombie) does not."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def create_group(endpoint):
    """A two-node replication group; returns the (address, port) of its servers."""
    group = endpoint.client("elasticache").create_replication_group(
        ReplicationGroupId=f"life-{uuid.uuid4().hex[:8]}", ReplicationGroupDescription="life",
        CacheNodeType="cache.t4g.micro", Engine="redis", NumCacheClusters=2)["ReplicationGroup"]
    return [(member["ReadEndpoint"]["Address"], member["ReadEndpoint"]["Port"])
            for member in group["NodeGroups"][0]["NodeGroupMembers"]]


def test_reset_and_down_stop_every_redis_server(own_endpoint):
    assert own_endpoint.cli("up").returncode == 0
    ports = create_group(own_endpoint)
    pids = redis_plane.running_pids(own_endpoint.state_dir)
    assert len(pids) == 2 and all(port_answers(*endpoint) for endpoint in ports)

    assert own_endpoint.cli("reset").returncode == 0
    assert redis_plane.running_pids(own_endpoint.state_dir) == {}
    assert not any(port_answers(*endpoint) for endpoint in ports)
    assert not any(process_running(pid) for pid in pids.values())
    assert own_endpoint.client("elasticache").describe_replication_groups()[
        "ReplicationGroups"] == []

    ports = create_group(own_endpoint)
    pids = redis_plane.running_pids(own_endpoint.state_dir)
    assert len(pids) == 2
    assert own_endpoint.cli("down").returncode == 0
    assert redis_plane.running_pids(own_endpoint.state_dir) == {}
    assert not any(port_answers(*endpoint) for endpoint in ports)
    assert not any(process_running(pid) for pid in pids.values())

    # A restarted endpoint starts without the groups of the one before.
    assert own_endpoint.cli("up").returncode == 0
    assert not list(redis_plane.groups_dir(own_endpoint.state_dir).glob("*/life-*"))
