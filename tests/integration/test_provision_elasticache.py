"""playbooks/provision.yml on the local inventory, the elasticache role read back
through the AWS APIs and the real redis-server processes behind the replication group.

The tests read the session's shared environment (local_env, its second run and its drift
run: tests/conftest.py); the last ones check a new group in check mode and rotate the token
with the elasticache role alone.
"""

import json
import random
import string
from urllib.parse import quote

import pytest
import redis
import yaml

from conftest import (LOCAL_HOST as HOST, LOCAL_INVENTORY as INVENTORY, LOCAL_REGION as REGION, REPO_ROOT,
                      cache_parameters, read_secret as secret)

# The session's local environment: these modules run on one xdist worker, in this order.
XDIST_GROUP = "local_env"

CACHE_VARS = yaml.safe_load(
    (REPO_ROOT / INVENTORY / "group_vars/local/elasticache.yml").read_text())
GROUP = "dbfleet-local"
MEMBERS = ["dbfleet-local-001", "dbfleet-local-002", "dbfleet-local-003"]
PARAMETER_GROUP = "dbfleet-local-redis7"
SECURITY_GROUP = "dbfleet-local-elasticache"
AUTH_SECRET = "dbfleet/local/redis/auth-token"
CONNECTION_SECRET = "dbfleet/local/redis/connection"
# The characters ElastiCache accepts in a token besides letters and digits are
# ! & # $ ^ < > -; the role uses ! ^ - only.
TOKEN_CHARACTERS = set(string.ascii_letters + string.digits + "!^-")


@pytest.fixture(scope="module")
def provisioned(local_env):
    """The session's first run of the local inventory, at -vvv."""
    return local_env.first_run


@pytest.fixture(scope="module")
def elasticache(local_aws):
    return local_aws.client("elasticache", REGION)


def replication_group(elasticache):
    return elasticache.describe_replication_groups(
        ReplicationGroupId=GROUP)["ReplicationGroups"][0]


def member_clusters(elasticache):
    return [elasticache.describe_cache_clusters(CacheClusterId=cluster_id)["CacheClusters"][0]
            for cluster_id in replication_group(elasticache)["MemberClusters"]]


def primary_endpoint(elasticache):
    endpoint = replication_group(elasticache)["NodeGroups"][0]["PrimaryEndpoint"]
    return endpoint["Address"], endpoint["Port"]


def connect(address, port, password=None):
    return redis.Redis(host=address, port=port, password=password, socket_timeout=10,
                       decode_responses=True)


def test_token_from_the_secret_gets_pong_from_the_primary(provisioned, elasticache, local_aws):
    token = secret(local_aws, AUTH_SECRET)["auth_token"]
    assert len(token) == 64
    assert set(token) <= TOKEN_CHARACTERS
    address, port = primary_endpoint(elasticache)

    primary = connect(address, port, token)
    assert primary.ping() is True
    assert primary.info("replication")["role"] == "master"
    assert primary.info("replication")["connected_slaves"] == 2
    with pytest.raises(redis.AuthenticationError):
        connect(address, port).ping()
    with pytest.raises(redis.AuthenticationError):
        connect(address, port, token[:-1] + ("A" if token[-1] != "A" else "B")).ping()


def test_connection_secret_reaches_primary_and_reader(provisioned, elasticache, local_aws):
    token = secret(local_aws, AUTH_SECRET)["auth_token"]
    connection = secret(local_aws, CONNECTION_SECRET)
    address, port = primary_endpoint(elasticache)
    reader = replication_group(elasticache)["NodeGroups"][0]["ReaderEndpoint"]

    assert connection["auth_token"] == token
    assert (connection["primary_endpoint"], connection["port"]) == (address, port)
    assert (connection["reader_endpoint"], connection["reader_port"]) == (
        reader["Address"], reader["Port"])
    assert connection["engine"] == "redis"
    assert connection["replication_group_id"] == GROUP
    # No TLS on the local endpoint, so a plain redis:// URL.
    assert connection["tls"] is False
    assert connection["url"] == f"redis://:{quote(token, safe='')}@{address}:{port}"

    client = redis.Redis.from_url(connection["url"], socket_timeout=10, decode_responses=True)
    client.set("dbfleet:test", "written through the primary")
    try:
        assert client.execute_command("WAIT", 2, 5000) == 2
        replica = connect(connection["reader_endpoint"], connection["reader_port"], token)
        assert replica.info("replication")["role"] == "slave"
        assert replica.get("dbfleet:test") == "written through the primary"
    finally:
        client.delete("dbfleet:test")


def test_replication_group_matches_the_inventory(provisioned, elasticache):
    group = replication_group(elasticache)
    assert group["Status"] == "available"
    assert group["Engine"] == CACHE_VARS["elasticache_engine"]
    assert group["CacheNodeType"] == "cache.r6g.large"
    assert group["MemberClusters"] == MEMBERS
    assert group["AutomaticFailover"] == "enabled"
    assert group["MultiAZ"] == "enabled"
    assert group["SnapshotRetentionLimit"] == 30
    assert group["SnapshotWindow"] == "04:00-05:00"
    assert group["AtRestEncryptionEnabled"] is True
    assert group["TransitEncryptionEnabled"] is True
    assert group["TransitEncryptionMode"] == "required"
    assert group["AuthTokenEnabled"] is True
    assert group["ClusterEnabled"] is False

    roles = {member["CacheClusterId"]: member["CurrentRole"]
             for member in group["NodeGroups"][0]["NodeGroupMembers"]}
    assert sorted(roles.values()) == ["primary", "replica", "replica"]

    clusters = member_clusters(elasticache)
    assert {c["EngineVersion"] for c in clusters} == {CACHE_VARS["elasticache_engine_version"]}
    assert {c["PreferredMaintenanceWindow"] for c in clusters} == {"sun:05:00-sun:06:00"}
    assert {c["CacheSubnetGroupName"] for c in clusters} == {GROUP}
    assert {(c["CacheParameterGroup"]["CacheParameterGroupName"],
             c["CacheParameterGroup"]["ParameterApplyStatus"]) for c in clusters} == {
        (PARAMETER_GROUP, "in-sync")}
    # Multi-AZ: the nodes are spread over availability zones.
    assert len({c["PreferredAvailabilityZone"] for c in clusters}) >= 2

    tags = {t["Key"]: t["Value"]
            for t in elasticache.list_tags_for_resource(ResourceName=group["ARN"])["TagList"]}
    assert tags["Environment"] == "local" and tags["Name"] == GROUP


def test_parameter_group_holds_the_production_parameters(provisioned, elasticache, local_aws):
    values = cache_parameters(elasticache, PARAMETER_GROUP)
    wanted = {name: str(value) for name, value in CACHE_VARS["elasticache_parameters"].items()}
    assert {name: values[name] for name in wanted} == wanted

    # Every node runs with them.
    token = secret(local_aws, AUTH_SECRET)["auth_token"]
    for cluster in member_clusters(elasticache):
        node = cluster["CacheNodes"][0]["Endpoint"]
        running = connect(node["Address"], node["Port"], token).config_get("*")
        assert {name: running[name] for name in wanted} == wanted, cluster["CacheClusterId"]


def test_network_admits_only_the_application(provisioned, elasticache, local_aws):
    ec2 = local_aws.client("ec2", REGION)
    # The application security group the inventory names.
    inventory = yaml.safe_load((REPO_ROOT / INVENTORY / "group_vars/local/dbfleet.yml").read_text())
    app_group = ec2.describe_security_groups(
        GroupIds=inventory["rds_allowed_security_group_ids"])["SecurityGroups"][0]
    subnet_group = elasticache.describe_cache_subnet_groups(
        CacheSubnetGroupName=GROUP)["CacheSubnetGroups"][0]
    subnet_ids = [s["SubnetIdentifier"] for s in subnet_group["Subnets"]]
    zones = {s["AvailabilityZone"] for s in ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"]}
    assert zones == {"us-east-1a", "us-east-1b"}

    [cluster_groups] = {tuple(g["SecurityGroupId"] for g in c["SecurityGroups"])
                        for c in member_clusters(elasticache)}
    cache_group = ec2.describe_security_groups(GroupIds=list(cluster_groups))["SecurityGroups"][0]
    assert cache_group["GroupName"] == SECURITY_GROUP
    assert cache_group["VpcId"] == subnet_group["VpcId"] == app_group["VpcId"]
    [rule] = cache_group["IpPermissions"]
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 6379, 6379)
    assert [pair["GroupId"] for pair in rule["UserIdGroupPairs"]] == [app_group["GroupId"]]
    assert rule["IpRanges"] == [] and rule.get("Ipv6Ranges", []) == []


def test_token_never_appears_in_verbose_output(provisioned, local_aws):
    token = secret(local_aws, AUTH_SECRET)["auth_token"]
    output = provisioned.stdout + provisioned.stderr
    assert "Store the auth token" in output and "Store the connection secret" in output
    assert token not in output
    assert quote(token, safe="") not in output


def test_second_run_changes_nothing(local_env_rerun, local_aws):
    """The same second run as test_provision's, asserted for the token: kept in both secrets."""
    assert local_env_rerun.recap and all(
        counters["changed"] == 0 and counters["failed"] == 0
        for counters in local_env_rerun.recap.values())
    assert [call for call in local_env_rerun.calls if call["service"] == "elasticache"
            and call["action"].startswith("Describe")], "the elasticache role did not run"
    assert local_env_rerun.mutating == []
    token = local_env_rerun.secrets_before[AUTH_SECRET]["auth_token"]
    assert secret(local_aws, AUTH_SECRET)["auth_token"] == token
    assert secret(local_aws, CONNECTION_SECRET)["auth_token"] == token


def test_check_mode_shows_drift_without_mutating(local_env_drift):
    check = local_env_drift["check"]
    assert local_env_drift["drifted"]["SnapshotRetentionLimit"] == 7
    assert "snapshot_retention_limit" in check.stdout
    assert check.recap[HOST]["changed"] >= 1
    assert check.mutating == []
    assert local_env_drift["after_check"]["SnapshotRetentionLimit"] == 7
    assert local_env_drift["after_apply"]["SnapshotRetentionLimit"] == 30


def test_a_lower_engine_version_changes_nothing(local_env, elasticache):
    """The preflight reads the version the group runs: 6.2 (with its family) below 7.1 is
    refused before any change, as ElastiCache would refuse it halfway."""
    refused = local_env.run(only=["elasticache"], expect_rc=2, elasticache_engine_version="6.2",
                            elasticache_parameter_group_family="redis6.x")
    output = " ".join(refused.stdout.split())
    assert "elasticache_engine_version: 6.2 is lower than 7.1" in output
    assert "the version dbfleet-local runs; ElastiCache cannot downgrade" in output
    assert refused.mutating == []
    groups = elasticache.describe_cache_parameter_groups()["CacheParameterGroups"]
    assert "dbfleet-local-redis6-x" not in [group["CacheParameterGroupName"] for group in groups]


def test_a_port_the_group_cannot_move_to_is_refused_before_any_change(local_env, elasticache):
    """ElastiCache cannot move a group to another port: the preflight compares the port asked
    for with the one the group listens on, so port drift is reported, not skipped."""
    refused = local_env.run(only=["elasticache"], expect_rc=2, elasticache_port=6380)
    output = " ".join(refused.stdout.split())
    assert ("elasticache_port: the group has 6379, 6380 wanted; ElastiCache cannot change port of an existing "
            "group, so the group must be replaced") in output
    assert refused.mutating == []
    endpoint = elasticache.describe_replication_groups(ReplicationGroupId=GROUP)["ReplicationGroups"][0][
        "NodeGroups"][0]["PrimaryEndpoint"]
    assert endpoint["Port"] == 6379


def test_check_mode_on_a_new_group_creates_nothing(local_env, elasticache, local_aws):
    scratch = {
        "elasticache_replication_group_id": "dbfleet-local-scratch",
        "elasticache_auth_secret_name": "dbfleet/local/redis/scratch-auth-token",
        "elasticache_connection_secret_name": "dbfleet/local/redis/scratch-connection",
    }
    result = local_env.run(only=["elasticache"], check=True, **scratch)
    assert "Replication group dbfleet-local-scratch" in result.stdout
    assert result.recap[HOST]["changed"] >= 1
    assert result.mutating == []
    with pytest.raises(elasticache.exceptions.ReplicationGroupNotFoundFault):
        elasticache.describe_replication_groups(ReplicationGroupId="dbfleet-local-scratch")
    secrets = local_aws.client("secretsmanager", REGION).list_secrets()["SecretList"]
    assert not {s["Name"] for s in secrets} & {scratch["elasticache_auth_secret_name"],
                                               scratch["elasticache_connection_secret_name"]}


def test_rotation_rotate_then_set(local_env, elasticache, local_aws):
    """The elasticache role alone, with a new token in the secret: ROTATE accepts both
    tokens, SET only the new one."""
    old = secret(local_aws, AUTH_SECRET)["auth_token"]
    new = "".join(random.SystemRandom().choices(sorted(TOKEN_CHARACTERS), k=64))
    local_aws.client("secretsmanager", REGION).put_secret_value(
        SecretId=AUTH_SECRET, SecretString=json.dumps({"auth_token": new}))
    address, port = primary_endpoint(elasticache)

    rotated = local_env.run(only=["elasticache"], elasticache_auth_token_update_strategy="ROTATE")
    assert connect(address, port, old).ping() is True
    assert connect(address, port, new).ping() is True
    assert secret(local_aws, CONNECTION_SECRET)["auth_token"] == new

    replaced = local_env.run(only=["elasticache"], elasticache_auth_token_update_strategy="SET")
    strategies = [call["ids"].get("AuthTokenUpdateStrategy")
                  for call in rotated.mutating + replaced.mutating
                  if call["action"] == "ModifyReplicationGroup"]
    assert strategies == ["ROTATE", "SET"]
    assert connect(address, port, new).ping() is True
    with pytest.raises(redis.AuthenticationError):
        connect(address, port, old).ping()
