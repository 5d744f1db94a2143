"""ElastiCache replication groups of the local endpoint, through boto3 and redis-py against
the real redis-server processes behind them."""

import time
import uuid

import pytest
import redis
from botocore.exceptions import ClientError
from conftest import redis_answers, redis_connect

from tools.local_aws.dataplane import loopback
from tools.local_aws.dataplane import redis as redis_plane

REGION = "us-east-1"
NODE_TYPE = "cache.t4g.micro"
REPLICATION_TIMEOUT_SECONDS = 10


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def token():
    return f"tok-{uuid.uuid4().hex}"


@pytest.fixture
def elasticache(local_aws):
    return local_aws.client("elasticache", region=REGION)


@pytest.fixture
def make_group(elasticache):
    """Create replication groups (with an AUTH token unless told otherwise); deleted after."""
    created = []

    def make(node_count=1, auth_token=None, **options):
        group_id = unique("rg")
        settings = {"TransitEncryptionEnabled": True, "AuthToken": auth_token} \
            if auth_token else {}
        group = elasticache.create_replication_group(
            ReplicationGroupId=group_id, ReplicationGroupDescription="test group",
            CacheNodeType=NODE_TYPE, Engine="redis", NumCacheClusters=node_count,
            **settings, **options)["ReplicationGroup"]
        created.append(group_id)
        return group

    yield make
    for group_id in created:
        try:
            elasticache.delete_replication_group(ReplicationGroupId=group_id)
        except ClientError as problem:
            assert problem.response["Error"]["Code"] == "ReplicationGroupNotFoundFault"


def describe(elasticache, group_id):
    return elasticache.describe_replication_groups(
        ReplicationGroupId=group_id)["ReplicationGroups"][0]


def address_port(endpoint):
    """(Address, Port) of an endpoint: every node is a host of its own, on the group's port."""
    return endpoint["Address"], endpoint["Port"]


def primary_endpoint(group):
    return address_port(group["NodeGroups"][0]["PrimaryEndpoint"])


def member_endpoints(group):
    """{CacheClusterId: (CurrentRole, (address, port))} of the group's node group members."""
    return {member["CacheClusterId"]: (member["CurrentRole"], address_port(member["ReadEndpoint"]))
            for member in group["NodeGroups"][0]["NodeGroupMembers"]}


def wait_for_value(client, key, expected):
    deadline = time.monotonic() + REPLICATION_TIMEOUT_SECONDS
    while client.get(key) != expected:
        assert time.monotonic() < deadline, f"{key} never became {expected!r}"
        time.sleep(0.05)


def error_code(problem):
    return problem.value.response["Error"]["Code"]


def group_pids(local_aws, group_id):
    return {name: pid for name, pid in redis_plane.running_pids(local_aws.state_dir).items()
            if name.startswith(f"{REGION}/{group_id}/")}


def test_primary_endpoint_answers_with_the_token_only(elasticache, make_group, local_aws):
    secret = token()
    group = make_group(auth_token=secret)
    group_id = group["ReplicationGroupId"]

    assert group["Status"] == "available"
    assert group["MemberClusters"] == [f"{group_id}-001"]
    assert group["AuthTokenEnabled"] is True
    endpoint = group["NodeGroups"][0]["PrimaryEndpoint"]
    # A host of its own on the default port, as on AWS.
    assert endpoint["Address"] in loopback.addresses(loopback.REDIS_HOSTS, local_aws.port) and endpoint["Port"] == 6379
    assert redis_connect(address_port(endpoint), secret).ping() is True
    with pytest.raises(redis.AuthenticationError):
        redis_connect(address_port(endpoint), "wrong-token-0123456789").ping()
    with pytest.raises(redis.AuthenticationError):
        redis_connect(address_port(endpoint)).ping()

    cluster = elasticache.describe_cache_clusters(
        CacheClusterId=f"{group_id}-001", ShowCacheNodeInfo=True)["CacheClusters"][0]
    assert cluster["ReplicationGroupId"] == group_id
    assert cluster["CacheNodeType"] == NODE_TYPE
    assert cluster["CacheNodes"][0]["Endpoint"] == endpoint
    assert cluster["SnapshotWindow"] == "05:00-06:00"
    assert cluster["PreferredMaintenanceWindow"] == "sun:23:00-mon:00:30"
    assert set(group_pids(local_aws, group_id)) == {f"{REGION}/{group_id}/{group_id}-001"}


def test_member_clusters_follow_num_cache_clusters(elasticache, make_group):
    group = make_group(node_count=3, AutomaticFailoverEnabled=True,
                       PreferredCacheClusterAZs=["us-east-1a", "us-east-1b", "us-east-1c"])
    group_id = group["ReplicationGroupId"]
    members = member_endpoints(group)

    assert group["MemberClusters"] == [f"{group_id}-00{n}" for n in (1, 2, 3)]
    assert [role for role, _port in members.values()] == ["primary", "replica", "replica"]
    assert address_port(group["NodeGroups"][0]["ReaderEndpoint"]) == members[f"{group_id}-002"][1]
    zones = {cluster["CacheClusterId"]: cluster["PreferredAvailabilityZone"]
             for cluster in elasticache.describe_cache_clusters()["CacheClusters"]}
    assert [zones[cluster_id] for cluster_id in group["MemberClusters"]] == \
        ["us-east-1a", "us-east-1b", "us-east-1c"]
    for cluster_id, (role, port) in members.items():
        assert redis_connect(port).info("replication")["role"] == \
            ("master" if role == "primary" else "slave"), cluster_id


@pytest.mark.parametrize("options, code", [
    ({"NumCacheClusters": 7}, "InvalidParameterValue"),
    ({"NumCacheClusters": 1, "AutomaticFailoverEnabled": True}, "InvalidParameterCombination"),
    ({"NumCacheClusters": 2, "MultiAZEnabled": True}, "InvalidParameterCombination"),
    ({"NumCacheClusters": 1, "AuthToken": "short", "TransitEncryptionEnabled": True},
     "InvalidParameterValue"),
    ({"NumCacheClusters": 1, "AuthToken": "has-an-@-in-the-middle-of-it",
      "TransitEncryptionEnabled": True}, "InvalidParameterValue"),
    ({"NumCacheClusters": 1, "AuthToken": "a-valid-token-but-no-encryption"},
     "InvalidParameterValue"),
    ({"NumCacheClusters": 1, "SnapshotWindow": "5:00-6:00"}, "InvalidParameterValue"),
    ({"NumCacheClusters": 1, "PreferredMaintenanceWindow": "sunday:05:00-sunday:06:00"},
     "InvalidParameterValue"),
])
def test_create_is_validated_like_aws(elasticache, options, code):
    group_id = unique("bad")
    with pytest.raises(ClientError) as problem:
        elasticache.create_replication_group(
            ReplicationGroupId=group_id, ReplicationGroupDescription="refused",
            CacheNodeType=NODE_TYPE, Engine="redis", **options)
    assert error_code(problem) == code
    with pytest.raises(ClientError):
        describe(elasticache, group_id)


def test_one_to_three_replicas_and_back(elasticache, make_group, local_aws):
    secret = token()
    group = make_group(node_count=2, auth_token=secret)
    group_id = group["ReplicationGroupId"]
    primary = redis_connect(primary_endpoint(group), secret)
    primary.set("greeting", "hello")

    grown = elasticache.increase_replica_count(
        ReplicationGroupId=group_id, NewReplicaCount=3, ApplyImmediately=True)["ReplicationGroup"]

    assert grown["MemberClusters"] == [f"{group_id}-00{n}" for n in (1, 2, 3, 4)]
    assert describe(elasticache, group_id)["MemberClusters"] == grown["MemberClusters"]
    assert len(group_pids(local_aws, group_id)) == 4
    replicas = {cluster_id: port for cluster_id, (role, port) in member_endpoints(grown).items()
                if role == "replica"}
    assert len(replicas) == 3
    for port in replicas.values():
        wait_for_value(redis_connect(port, secret), "greeting", "hello")
    clusters = {cluster["CacheClusterId"] for cluster in
                elasticache.describe_cache_clusters()["CacheClusters"]}
    assert set(grown["MemberClusters"]) <= clusters

    shrunk = elasticache.decrease_replica_count(
        ReplicationGroupId=group_id, NewReplicaCount=1, ApplyImmediately=True)["ReplicationGroup"]

    assert shrunk["MemberClusters"] == [f"{group_id}-001", f"{group_id}-002"]
    assert len(group_pids(local_aws, group_id)) == 2
    for cluster_id in (f"{group_id}-003", f"{group_id}-004"):
        assert not redis_answers(replicas[cluster_id])
        with pytest.raises(ClientError) as problem:
            elasticache.describe_cache_clusters(CacheClusterId=cluster_id)
        assert error_code(problem) == "CacheClusterNotFound"
    assert redis_connect(primary_endpoint(shrunk), secret).get("greeting") == "hello"


def test_replica_count_changes_are_validated(elasticache, make_group):
    group_id = make_group(node_count=2, AutomaticFailoverEnabled=True)["ReplicationGroupId"]
    for call, count, code in [
        (elasticache.increase_replica_count, 1, "InvalidParameterValue"),
        (elasticache.increase_replica_count, 6, "InvalidParameterValue"),
        (elasticache.decrease_replica_count, 0, "InvalidParameterCombination"),
    ]:
        with pytest.raises(ClientError) as problem:
            call(ReplicationGroupId=group_id, NewReplicaCount=count, ApplyImmediately=True)
        assert error_code(problem) == code
    assert len(describe(elasticache, group_id)["MemberClusters"]) == 2


def test_rotate_then_set_token(elasticache, make_group):
    old, new = token(), token()
    group = make_group(node_count=2, auth_token=old)
    group_id = group["ReplicationGroupId"]
    ports = [port for _role, port in member_endpoints(group).values()]

    rotated = elasticache.modify_replication_group(
        ReplicationGroupId=group_id, AuthToken=new, AuthTokenUpdateStrategy="ROTATE",
        ApplyImmediately=True)["ReplicationGroup"]

    for port in ports:
        assert redis_connect(port, old).ping() is True
        assert redis_connect(port, new).ping() is True
    assert rotated["AuthTokenLastModifiedDate"] > group["AuthTokenLastModifiedDate"]

    elasticache.modify_replication_group(
        ReplicationGroupId=group_id, AuthToken=new, AuthTokenUpdateStrategy="SET",
        ApplyImmediately=True)

    for port in ports:
        with pytest.raises(redis.AuthenticationError):
            redis_connect(port, old).ping()
        assert redis_connect(port, new).ping() is True
    # Replication does not depend on the token.
    redis_connect(primary_endpoint(rotated), new).set("after-set", "1")
    replica_port = [port for role, port in member_endpoints(rotated).values() if role == "replica"][0]
    wait_for_value(redis_connect(replica_port, new), "after-set", "1")


def test_auth_token_without_strategy_rotates(elasticache, make_group):
    old, new = token(), token()
    group = make_group(auth_token=old)
    elasticache.modify_replication_group(ReplicationGroupId=group["ReplicationGroupId"],
                                         AuthToken=new, ApplyImmediately=True)
    assert redis_connect(primary_endpoint(group), old).ping() is True
    assert redis_connect(primary_endpoint(group), new).ping() is True


def test_every_special_character_aws_permits_in_a_token_is_accepted(make_group):
    """AWS's alphabet, which dbfleet.aws.elasticache_replication_group checks too
    (TOKEN_SPECIAL_CHARACTERS, tests/unit/plugins/module_utils/test_elasticache_replication_groups.py)."""
    secret = "Ab0!&#$^<>-" + uuid.uuid4().hex
    group = make_group(auth_token=secret)
    assert redis_connect(primary_endpoint(group), secret).ping() is True


def test_token_changes_are_validated_and_delete_needs_transit_encryption_off(
        elasticache, make_group):
    secret = token()
    group = make_group(auth_token=secret)
    group_id = group["ReplicationGroupId"]
    for options, code in [
        ({"AuthToken": token(), "AuthTokenUpdateStrategy": "SET"},
         "InvalidParameterCombination"),
        ({"AuthToken": "bad%token-0123456789", "AuthTokenUpdateStrategy": "ROTATE"},
         "InvalidParameterValue"),
        # Printable, but not one of the special characters AWS permits (! & # $ ^ < > -).
        ({"AuthToken": "bad*token-0123456789", "AuthTokenUpdateStrategy": "ROTATE"},
         "InvalidParameterValue"),
        ({"AuthTokenUpdateStrategy": "DELETE"}, "InvalidParameterCombination"),
    ]:
        with pytest.raises(ClientError) as problem:
            elasticache.modify_replication_group(ReplicationGroupId=group_id,
                                                 ApplyImmediately=True, **options)
        assert error_code(problem) == code
    assert redis_connect(primary_endpoint(group), secret).ping() is True

    deleted = elasticache.modify_replication_group(
        ReplicationGroupId=group_id, TransitEncryptionEnabled=False,
        AuthTokenUpdateStrategy="DELETE", ApplyImmediately=True)["ReplicationGroup"]

    assert deleted["AuthTokenEnabled"] is False
    assert deleted["TransitEncryptionEnabled"] is False
    assert redis_connect(primary_endpoint(group)).ping() is True


def test_test_failover_moves_the_primary(elasticache, make_group):
    secret = token()
    group = make_group(node_count=3, auth_token=secret, AutomaticFailoverEnabled=True)
    group_id = group["ReplicationGroupId"]

    failed_over = elasticache.test_failover(ReplicationGroupId=group_id,
                                            NodeGroupId="0001")["ReplicationGroup"]

    members = member_endpoints(failed_over)
    assert members[f"{group_id}-001"][0] == "replica"
    assert members[f"{group_id}-002"][0] == "primary"
    new_primary_port = members[f"{group_id}-002"][1]
    assert primary_endpoint(failed_over) == new_primary_port
    assert primary_endpoint(describe(elasticache, group_id)) == new_primary_port
    redis_connect(new_primary_port, secret).set("after-failover", "yes")
    for cluster_id in (f"{group_id}-001", f"{group_id}-003"):
        replica = redis_connect(members[cluster_id][1], secret)
        replication = replica.info("replication")
        assert (replication["master_host"], replication["master_port"]) == new_primary_port
        wait_for_value(replica, "after-failover", "yes")
    with pytest.raises(redis.ReadOnlyError):
        redis_connect(members[f"{group_id}-001"][1], secret).set("old-primary", "no")
    messages = [event["Message"] for event in elasticache.describe_events(
        SourceIdentifier=group_id, SourceType="replication-group")["Events"]]
    assert messages == ["Test Failover API called for node group 0001",
                        f"Failover from master node {group_id}-001 to replica node "
                        f"{group_id}-002 completed"]


def test_test_failover_needs_automatic_failover_and_a_known_node_group(elasticache,
                                                                       make_group):
    group_id = make_group(node_count=2)["ReplicationGroupId"]
    for node_group, code in [("0001", "InvalidReplicationGroupState"),
                             ("0002", "NodeGroupNotFoundFault")]:
        with pytest.raises(ClientError) as problem:
            elasticache.test_failover(ReplicationGroupId=group_id, NodeGroupId=node_group)
        assert error_code(problem) == code


def test_multi_az_is_refused_on_a_one_node_group(elasticache, make_group):
    group_id = make_group(node_count=1)["ReplicationGroupId"]
    with pytest.raises(ClientError) as problem:
        elasticache.modify_replication_group(
            ReplicationGroupId=group_id, MultiAZEnabled=True, AutomaticFailoverEnabled=True,
            ApplyImmediately=True)
    assert error_code(problem) == "InvalidParameterCombination"
    group = describe(elasticache, group_id)
    assert (group["MultiAZ"], group["AutomaticFailover"]) == ("disabled", "disabled")


def test_multi_az_needs_automatic_failover(elasticache, make_group):
    group_id = make_group(node_count=2)["ReplicationGroupId"]
    with pytest.raises(ClientError) as problem:
        elasticache.modify_replication_group(ReplicationGroupId=group_id, MultiAZEnabled=True,
                                             ApplyImmediately=True)
    assert error_code(problem) == "InvalidParameterCombination"

    group = elasticache.modify_replication_group(
        ReplicationGroupId=group_id, MultiAZEnabled=True, AutomaticFailoverEnabled=True,
        ApplyImmediately=True)["ReplicationGroup"]
    assert (group["MultiAZ"], group["AutomaticFailover"]) == ("enabled", "enabled")


def members_maxmemory(elasticache, group_id):
    """INFO maxmemory of each member's server."""
    return [int(redis_connect(address_port(cluster["CacheNodes"][0]["Endpoint"])).info("memory")["maxmemory"])
            for cluster in elasticache.describe_cache_clusters(ShowCacheNodeInfo=True)["CacheClusters"]
            if cluster.get("ReplicationGroupId") == group_id]


def test_modify_reaches_group_and_member_clusters(elasticache, make_group):
    group_id = make_group(node_count=2)["ReplicationGroupId"]
    # The servers run with the node type's maxmemory, as ElastiCache sets it (cache.t4g.micro).
    assert members_maxmemory(elasticache, group_id) == [536870912, 536870912]
    topic = "arn:aws:sns:us-east-1:123456789012:cache-events"
    log_delivery = {"LogType": "slow-log", "DestinationType": "cloudwatch-logs",
                    "DestinationDetails": {"CloudWatchLogsDetails": {"LogGroup": "/cache/slow"}},
                    "LogFormat": "json", "Enabled": True}

    group = elasticache.modify_replication_group(
        ReplicationGroupId=group_id, CacheNodeType="cache.r6g.large", SnapshotRetentionLimit=7,
        SnapshotWindow="03:00-04:00", PreferredMaintenanceWindow="sun:05:00-sun:06:00",
        SecurityGroupIds=["sg-0123456789abcdef0"], NotificationTopicArn=topic,
        LogDeliveryConfigurations=[log_delivery], ApplyImmediately=True)["ReplicationGroup"]

    assert group["CacheNodeType"] == "cache.r6g.large"
    assert (group["SnapshotRetentionLimit"], group["SnapshotWindow"]) == (7, "03:00-04:00")
    assert group["SnapshottingClusterId"] == f"{group_id}-002"
    assert [(config["LogType"], config["Status"]) for config in
            describe(elasticache, group_id)["LogDeliveryConfigurations"]] == \
        [("slow-log", "active")]
    for cluster_id in group["MemberClusters"]:
        cluster = elasticache.describe_cache_clusters(CacheClusterId=cluster_id)[
            "CacheClusters"][0]
        assert cluster["CacheNodeType"] == "cache.r6g.large"
        assert cluster["PreferredMaintenanceWindow"] == "sun:05:00-sun:06:00"
        assert cluster["SecurityGroups"] == [{"SecurityGroupId": "sg-0123456789abcdef0",
                                              "Status": "active"}]
        assert cluster["NotificationConfiguration"]["TopicArn"] == topic
    assert members_maxmemory(elasticache, group_id) == [14037181030, 14037181030]

    elasticache.modify_replication_group(
        ReplicationGroupId=group_id, ApplyImmediately=True,
        LogDeliveryConfigurations=[{"LogType": "slow-log", "Enabled": False}])
    assert describe(elasticache, group_id)["LogDeliveryConfigurations"] == []


def test_snapshots_keep_the_data_and_restore_it(elasticache, make_group):
    secret = token()
    group = make_group(node_count=1, auth_token=secret)
    redis_connect(primary_endpoint(group), secret).set("kept", "in-snapshot")
    snapshot_name, copy_name = unique("snap"), unique("copy")

    elasticache.create_snapshot(ReplicationGroupId=group["ReplicationGroupId"],
                                SnapshotName=snapshot_name)
    copied = elasticache.copy_snapshot(SourceSnapshotName=snapshot_name,
                                       TargetSnapshotName=copy_name)["Snapshot"]
    assert copied["ReplicationGroupId"] == group["ReplicationGroupId"]
    with pytest.raises(ClientError) as problem:
        elasticache.copy_snapshot(SourceSnapshotName=snapshot_name,
                                  TargetSnapshotName=copy_name)
    assert error_code(problem) == "SnapshotAlreadyExistsFault"

    restored = make_group(node_count=2, auth_token=secret, SnapshotName=copy_name)
    assert redis_connect(primary_endpoint(restored), secret).get("kept") == "in-snapshot"
    for name in (snapshot_name, copy_name):
        elasticache.delete_snapshot(SnapshotName=name)


def test_delete_stops_the_servers(elasticache, make_group, local_aws):
    group = make_group(node_count=2)
    group_id = group["ReplicationGroupId"]
    ports = [port for _role, port in member_endpoints(group).values()]
    final_snapshot = unique("final")

    elasticache.delete_replication_group(ReplicationGroupId=group_id,
                                         FinalSnapshotIdentifier=final_snapshot)

    assert not any(redis_answers(endpoint) for endpoint in ports)
    assert group_pids(local_aws, group_id) == {}
    with pytest.raises(ClientError) as problem:
        describe(elasticache, group_id)
    assert error_code(problem) == "ReplicationGroupNotFoundFault"
    cluster_ids = {cluster["CacheClusterId"] for cluster in
                   elasticache.describe_cache_clusters()["CacheClusters"]}
    assert not cluster_ids & set(group["MemberClusters"])
    snapshot = elasticache.describe_snapshots(SnapshotName=final_snapshot)["Snapshots"][0]
    assert snapshot["ReplicationGroupId"] == group_id
    elasticache.delete_snapshot(SnapshotName=final_snapshot)


def test_primary_cluster_id_chooses_the_primary(elasticache, make_group):
    secret = token()
    group = make_group(node_count=2, auth_token=secret)
    group_id = group["ReplicationGroupId"]

    changed = elasticache.modify_replication_group(
        ReplicationGroupId=group_id, PrimaryClusterId=f"{group_id}-002",
        ApplyImmediately=True)["ReplicationGroup"]

    members = member_endpoints(changed)
    assert [members[f"{group_id}-00{n}"][0] for n in (1, 2)] == ["replica", "primary"]
    assert redis_connect(primary_endpoint(changed), secret).set("on-new-primary", "1") is True
    wait_for_value(redis_connect(members[f"{group_id}-001"][1], secret), "on-new-primary", "1")
    with pytest.raises(ClientError) as problem:
        elasticache.modify_replication_group(ReplicationGroupId=group_id,
                                             PrimaryClusterId="not-a-member",
                                             ApplyImmediately=True)
    assert error_code(problem) == "InvalidParameterValue"


def test_state_delay_reports_creating_then_available(elasticache, make_group, local_aws):
    local_aws.set_delay(1)
    try:
        group = make_group(node_count=2)
        group_id = group["ReplicationGroupId"]
        assert group["Status"] == "creating"
        assert {cluster["CacheClusterStatus"] for cluster in elasticache.describe_cache_clusters()[
            "CacheClusters"] if cluster["CacheClusterId"] in group["MemberClusters"]} == \
            {"creating"}
        elasticache.get_waiter("replication_group_available").wait(
            ReplicationGroupId=group_id, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
        modified = elasticache.modify_replication_group(
            ReplicationGroupId=group_id, CacheNodeType="cache.t4g.small",
            ApplyImmediately=True)["ReplicationGroup"]
        assert modified["Status"] == "modifying"
        elasticache.get_waiter("replication_group_available").wait(
            ReplicationGroupId=group_id, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    finally:
        local_aws.set_delay(0)
    assert describe(elasticache, group_id)["CacheNodeType"] == "cache.t4g.small"


def test_cache_subnet_group_delete_is_refused_while_in_use(elasticache, local_aws):
    ec2 = local_aws.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.77.1.0/24")["Subnet"]["SubnetId"]
    name = unique("subnets")
    elasticache.create_cache_subnet_group(
        CacheSubnetGroupName=name, CacheSubnetGroupDescription="test", SubnetIds=[subnet_id])
    group_id = unique("sg-user")
    elasticache.create_replication_group(
        ReplicationGroupId=group_id, ReplicationGroupDescription="uses the subnet group",
        CacheNodeType="cache.t4g.micro", Engine="redis", NumCacheClusters=1,
        CacheSubnetGroupName=name)
    with pytest.raises(ClientError) as in_use:
        elasticache.delete_cache_subnet_group(CacheSubnetGroupName=name)
    assert in_use.value.response["Error"]["Code"] == "CacheSubnetGroupInUse"
    elasticache.delete_replication_group(ReplicationGroupId=group_id)
    elasticache.get_waiter("replication_group_deleted").wait(ReplicationGroupId=group_id)
    elasticache.delete_cache_subnet_group(CacheSubnetGroupName=name)
    with pytest.raises(ClientError) as gone:
        elasticache.describe_cache_subnet_groups(CacheSubnetGroupName=name)
    assert gone.value.response["Error"]["Code"] == "CacheSubnetGroupNotFoundFault"
