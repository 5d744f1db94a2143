"""dbfleet.aws.elasticache_parameter_group through ansible-playbook against the local endpoint.

Every test reads the resulting state back through boto3 (and, where a replication group
uses the group, from its real redis-servers) and counts the API calls the module made
with the endpoint's recorder.
"""

import re
import uuid
from pathlib import Path

import pytest
import redis
from botocore.exceptions import ClientError

PLAYBOOK = Path(__file__).resolve().parent / "playbooks" / "elasticache_parameter_group.yml"
FAMILY = "redis7"
FAMILIES = ["redis6.x", "redis7", "valkey7", "valkey8"]
ALLOWED_OPTION = re.compile(r"^(?P<low>-?\d+)(?:-(?P<high>\d*))?$")


@pytest.fixture
def elasticache(local_aws):
    return local_aws.client("elasticache")


@pytest.fixture
def group_name(elasticache):
    name = "ec-pg-%s" % uuid.uuid4().hex[:10]
    yield name
    try:
        elasticache.delete_cache_parameter_group(CacheParameterGroupName=name)
    except ClientError:
        pass


@pytest.fixture
def apply(module_runner):
    return module_runner(PLAYBOOK)


@pytest.fixture
def replication_group(elasticache):
    """Create a two-node replication group using a parameter group; deleted after the test."""
    created = []

    def create(parameter_group_name):
        group_id = "ec-rg-%s" % uuid.uuid4().hex[:8]
        group = elasticache.create_replication_group(
            ReplicationGroupId=group_id, ReplicationGroupDescription="parameter group tests",
            CacheNodeType="cache.t4g.micro", Engine="redis", EngineVersion="7.1",
            NumCacheClusters=2, CacheParameterGroupName=parameter_group_name)["ReplicationGroup"]
        created.append(group_id)
        return group

    yield create
    for group_id in created:
        elasticache.delete_replication_group(ReplicationGroupId=group_id)


def user_values(elasticache, name):
    pages = elasticache.get_paginator("describe_cache_parameters").paginate(
        CacheParameterGroupName=name, Source="user")
    return dict((parameter["ParameterName"], parameter["ParameterValue"])
                for page in pages for parameter in page["Parameters"])


def group_exists(elasticache, name):
    try:
        return bool(elasticache.describe_cache_parameter_groups(CacheParameterGroupName=name)["CacheParameterGroups"])
    except ClientError as error:
        assert error.response["Error"]["Code"] == "CacheParameterGroupNotFound"
        return False


def tags_of(elasticache, name):
    arn = elasticache.describe_cache_parameter_groups(CacheParameterGroupName=name)["CacheParameterGroups"][0]["ARN"]
    return dict((tag["Key"], tag["Value"]) for tag in elasticache.list_tags_for_resource(ResourceName=arn)["TagList"])


def family_defaults(elasticache, family=FAMILY):
    pages = elasticache.get_paginator("describe_engine_default_parameters").paginate(CacheParameterGroupFamily=family)
    return [parameter for page in pages for parameter in page["EngineDefaults"]["Parameters"]]


def server_config(group, name):
    """{CacheClusterId: CONFIG GET value} on every member's real redis-server."""
    return dict((member["CacheClusterId"], redis.Redis(host=member["ReadEndpoint"]["Address"], port=member["ReadEndpoint"]["Port"],
                                                       decode_responses=True).config_get(name)[name])
                for member in group["NodeGroups"][0]["NodeGroupMembers"])


def apply_status(elasticache, group):
    return dict((cluster_id, elasticache.describe_cache_clusters(CacheClusterId=cluster_id)[
        "CacheClusters"][0]["CacheParameterGroup"]["ParameterApplyStatus"]) for cluster_id in group["MemberClusters"])


def calls_on(local_aws, since, name):
    return [call for call in local_aws.recorder.calls(since)
            if call["ids"].get("CacheParameterGroupName") == name]


def fits(number, allowed_values):
    """Whether an integer fits ElastiCache AllowedValues such as "0-", "0,20-" or "1-75"."""
    for option in allowed_values.split(","):
        bounds = ALLOWED_OPTION.match(option)
        low, high = int(bounds.group("low")), bounds.group("high")
        if number == low or (high is not None and low <= number and (high == "" or number <= int(high))):
            return True
    return False


def another_valid_value(parameter):
    """A value other than the default that the parameter's AllowedValues accept, or None."""
    default, allowed = parameter.get("ParameterValue"), parameter.get("AllowedValues")
    if default is None or allowed is None:
        return None
    if parameter["DataType"] == "string":
        return next(option for option in allowed.split(",") if option != default)
    for candidate in (int(default) + 1, int(default) - 1):
        if fits(candidate, allowed):
            return str(candidate)
    return None


def test_invalid_name_fails_before_any_aws_call(local_aws, apply):
    since = local_aws.recorder.mark()
    result = apply({"name": "bad--name-", "family": FAMILY, "parameters": {"timeout": "soon"}},
                   expect_failure=True)
    assert result["problems"] == ["name: must not end with a hyphen or contain two consecutive hyphens"]
    assert local_aws.recorder.calls(since) == []


def test_every_problem_reported_in_one_error_without_writing(local_aws, elasticache, apply, group_name):
    apply({"name": group_name, "family": FAMILY, "parameters": {"timeout": 300}})
    since = local_aws.recorder.mark()
    result = apply({"name": group_name, "family": FAMILY, "parameters": {
        "maxmemory-polcy": "allkeys-lru",
        "maxclients": 1000,
        "maxmemory-policy": "evict-everything",
        "timeout": 5,
        "tcp-keepalive": -1,
        "activedefrag": "maybe",
        "maxmemory-samples": "many",
        "notify-keyspace-events": "Ex",
    }}, expect_failure=True)
    assert result["problems"] == [
        "parameters.activedefrag: 'maybe' is not one of yes, no",
        "parameters.maxclients: not modifiable in family redis7",
        "parameters.maxmemory-polcy: unknown parameter for family redis7 (did you mean maxmemory-policy?)",
        "parameters.maxmemory-policy: 'evict-everything' is not one of volatile-lru, allkeys-lru, volatile-lfu, "
        "allkeys-lfu, volatile-random, allkeys-random, volatile-ttl, noeviction",
        "parameters.maxmemory-samples: 'many' is not an integer",
        "parameters.tcp-keepalive: -1 is outside the allowed values 0-",
        "parameters.timeout: 5 is outside the allowed values 0,20-",
    ]
    assert result["msg"].startswith("7 problem(s)")
    assert local_aws.recorder.mutating(since) == []
    assert user_values(elasticache, group_name) == {"timeout": "300"}


def test_45_changes_take_three_modify_calls_and_second_run_changes_nothing(
        local_aws, elasticache, apply, group_name):
    changeable = [parameter for parameter in family_defaults(elasticache)
                  if parameter["IsModifiable"] and another_valid_value(parameter) is not None]
    assert len(changeable) >= 45
    desired = dict((parameter["ParameterName"], another_valid_value(parameter)) for parameter in changeable[:45])
    requires_reboot = set(parameter["ParameterName"] for parameter in changeable[:45]
                          if parameter["ChangeType"] == "requires-reboot")

    since = local_aws.recorder.mark()
    result = apply({"name": group_name, "family": FAMILY, "parameters": desired})
    counts = local_aws.recorder.count_by_action(since)
    assert counts.get("ModifyCacheParameterGroup") == 3
    assert counts.get("CreateCacheParameterGroup") == 1
    assert user_values(elasticache, group_name) == desired
    assert len(result["changed_parameters"]) == 45
    assert set(change["name"] for change in result["changed_parameters"]
               if change["change_type"] == "requires-reboot") == requires_reboot
    assert result["reboot_required"] == bool(requires_reboot)

    since = local_aws.recorder.mark()
    result, process = apply({"name": group_name, "family": FAMILY, "parameters": desired}, with_process=True)
    assert result["changed"] is False and result["changed_parameters"] == []
    assert process.recap["localhost"]["changed"] == 0
    # Validated against the group's own listing: the family's defaults are not read again.
    read = local_aws.recorder.count_by_action(since)
    assert "DescribeEngineDefaultParameters" not in read and read.get("DescribeCacheParameters") >= 1
    assert local_aws.recorder.mutating(since) == []


@pytest.mark.parametrize("family", FAMILIES)
def test_reference_parameters_are_accepted_in_every_family(elasticache, apply, group_name, family):
    result = apply({"name": group_name, "family": family, "parameters": {
        "maxmemory-policy": "volatile-lru", "timeout": 300, "tcp-keepalive": 300, "notify-keyspace-events": "AKE",
    }})
    # volatile-lru and a keepalive of 300 are ElastiCache's defaults: nothing to write for them.
    assert [(change["name"], change["before"], change["after"]) for change in result["changed_parameters"]] == [
        ("notify-keyspace-events", None, "AKE"), ("timeout", "0", "300")]
    assert user_values(elasticache, group_name) == {"notify-keyspace-events": "AKE", "timeout": "300"}

    apply({"name": group_name, "family": family, "purge": True, "parameters": {
        "maxmemory-policy": "allkeys-lru", "timeout": 300, "tcp-keepalive": 300, "maxmemory-samples": 5,
        "notify-keyspace-events": "Ex",
    }})
    assert user_values(elasticache, group_name) == {
        "maxmemory-policy": "allkeys-lru", "timeout": "300", "maxmemory-samples": "5", "notify-keyspace-events": "Ex"}


def test_equivalent_spellings_are_idempotent(local_aws, elasticache, apply, group_name):
    apply({"name": group_name, "family": FAMILY,
           "parameters": {"activedefrag": True, "timeout": "0300", "maxmemory-policy": "ALLKEYS-LRU"}})
    assert user_values(elasticache, group_name) == {
        "activedefrag": "yes", "timeout": "300", "maxmemory-policy": "allkeys-lru"}
    since = local_aws.recorder.mark()
    result = apply({"name": group_name, "family": FAMILY,
                    "parameters": {"activedefrag": "yes", "timeout": 300, "maxmemory-policy": "allkeys-lru"}})
    assert result["changed"] is False
    assert local_aws.recorder.mutating(since) == []


def test_immediate_changes_reach_the_servers_and_requires_reboot_marks_members(
        local_aws, elasticache, apply, group_name, replication_group):
    apply({"name": group_name, "family": FAMILY, "parameters": {"timeout": 300}})
    group = replication_group(group_name)
    members = sorted(group["MemberClusters"])
    assert set(server_config(group, "timeout").values()) == {"300"}

    result = apply({"name": group_name, "family": FAMILY,
                    "parameters": {"timeout": 300, "maxmemory-policy": "allkeys-lru"}})
    assert result["changed_parameters"] == [
        {"name": "maxmemory-policy", "before": "volatile-lru", "after": "allkeys-lru", "change_type": "immediate"}]
    assert result["reboot_required"] is False and result["pending_reboot_clusters"] == []
    assert set(server_config(group, "maxmemory-policy").values()) == {"allkeys-lru"}
    assert set(apply_status(elasticache, group).values()) == {"in-sync"}

    wanted = {"timeout": 300, "maxmemory-policy": "allkeys-lru", "activerehashing": False}
    since = local_aws.recorder.mark()
    result = apply({"name": group_name, "family": FAMILY, "parameters": wanted}, check=True)
    assert result["reboot_required"] is True and result["pending_reboot_clusters"] == members
    assert local_aws.recorder.mutating(since) == []
    assert set(apply_status(elasticache, group).values()) == {"in-sync"}

    result = apply({"name": group_name, "family": FAMILY, "parameters": wanted})
    assert result["changed_parameters"] == [
        {"name": "activerehashing", "before": "yes", "after": "no", "change_type": "requires-reboot"}]
    assert result["reboot_required"] is True and result["pending_reboot_clusters"] == members
    assert set(apply_status(elasticache, group).values()) == {"pending-reboot"}
    # Not applied until the members reboot.
    assert set(server_config(group, "activerehashing").values()) == {"yes"}

    since = local_aws.recorder.mark()
    result = apply({"name": group_name, "state": "absent"}, expect_failure=True)
    assert "still used" in result["msg"] and all(member in result["msg"] for member in members)
    assert local_aws.recorder.mutating(since) == []
    assert group_exists(elasticache, group_name)


def test_check_mode_reports_changes_and_writes_nothing(local_aws, elasticache, apply, group_name):
    since = local_aws.recorder.mark()
    result = apply({"name": group_name, "family": FAMILY, "parameters": {"timeout": 300}}, check=True)
    assert result["changed"] is True and result["parameter_group"]["arn"] is None
    assert local_aws.recorder.mutating(since) == []
    assert not group_exists(elasticache, group_name)

    apply({"name": group_name, "family": FAMILY, "parameters": {"timeout": 300}, "tags": {"env": "dev"}})
    since = local_aws.recorder.mark()
    result = apply({"name": group_name, "family": FAMILY, "parameters": {"maxmemory-policy": "allkeys-lru"},
                    "tags": {"env": "prod"}, "purge": True}, check=True)
    assert result["changed"] is True
    assert result["changed_parameters"] == [
        {"name": "maxmemory-policy", "before": "volatile-lru", "after": "allkeys-lru", "change_type": "immediate"},
        {"name": "timeout", "before": "300", "after": "0", "change_type": "immediate"},
    ]
    assert local_aws.recorder.mutating(since) == []
    assert user_values(elasticache, group_name) == {"timeout": "300"}
    assert tags_of(elasticache, group_name) == {"env": "dev"}


def test_diff_shows_only_what_changes(apply, group_name):
    apply({"name": group_name, "family": FAMILY, "tags": {"env": "dev", "team": "cache"},
           "parameters": {"timeout": 300, "tcp-keepalive": 120, "maxmemory-policy": "allkeys-lru"}})
    result, process = apply({"name": group_name, "family": FAMILY, "tags": {"env": "prod", "team": "cache"},
                             "parameters": {"timeout": 300, "tcp-keepalive": 60, "maxmemory-policy": "allkeys-lru"}},
                            diff=True, with_process=True)
    assert result["diff"] == {
        "before": {"parameters": {"tcp-keepalive": "120"}, "tags": {"env": "dev"}},
        "after": {"parameters": {"tcp-keepalive": "60"}, "tags": {"env": "prod"}},
    }
    assert "tcp-keepalive" in process.stdout
    assert "maxmemory-policy" not in process.stdout and "timeout" not in process.stdout


def test_purge_resets_unlisted_parameters_to_family_default(local_aws, elasticache, apply, group_name):
    apply({"name": group_name, "family": FAMILY,
           "parameters": {"timeout": 300, "maxmemory-samples": 5, "activerehashing": "no"}})
    result = apply({"name": group_name, "family": FAMILY, "parameters": {"timeout": 300}})
    assert result["changed"] is False

    since = local_aws.recorder.mark()
    result = apply({"name": group_name, "family": FAMILY, "parameters": {"timeout": 300}, "purge": True})
    assert user_values(elasticache, group_name) == {"timeout": "300"}
    assert local_aws.recorder.count_by_action(since).get("ResetCacheParameterGroup") == 1
    assert result["changed_parameters"] == [
        {"name": "activerehashing", "before": "no", "after": "yes", "change_type": "requires-reboot"},
        {"name": "maxmemory-samples", "before": "5", "after": "3", "change_type": "immediate"},
    ]
    assert result["reboot_required"] is True

    result = apply({"name": group_name, "family": FAMILY, "parameters": {"timeout": 300}, "purge": True})
    assert result["changed"] is False

    since = local_aws.recorder.mark()
    result = apply({"name": group_name, "family": FAMILY, "purge": True})
    assert [change["name"] for change in result["changed_parameters"]] == ["timeout"]
    assert user_values(elasticache, group_name) == {}
    assert local_aws.recorder.count_by_action(since).get("ResetCacheParameterGroup") == 1


def test_tags_are_set_replaced_and_kept(elasticache, apply, group_name):
    result = apply({"name": group_name, "family": FAMILY, "description": "cache settings",
                    "tags": {"env": "dev", "team": "cache"}})
    assert tags_of(elasticache, group_name) == {"env": "dev", "team": "cache"}
    assert result["parameter_group"]["description"] == "cache settings"
    assert result["parameter_group"]["arn"].endswith(":parametergroup:%s" % group_name)

    result = apply({"name": group_name, "tags": {"env": "prod", "owner": "ops"}})
    assert tags_of(elasticache, group_name) == {"env": "prod", "owner": "ops"}
    assert result["parameter_group"]["tags"] == {"env": "prod", "owner": "ops"}

    apply({"name": group_name, "tags": {"cost": "42"}, "purge_tags": False})
    assert tags_of(elasticache, group_name) == {"env": "prod", "owner": "ops", "cost": "42"}

    result = apply({"name": group_name, "tags": {"env": "prod", "owner": "ops", "cost": "42"}})
    assert result["changed"] is False


def test_throttled_writes_are_retried(local_aws, elasticache, apply, group_name):
    apply({"name": group_name, "family": FAMILY})
    local_aws.set_faults([{"action": "ModifyCacheParameterGroup", "first_n": 2, "error": "Throttling"}])
    try:
        since = local_aws.recorder.mark()
        # botocore's own retries are off, so only the module's backoff can succeed.
        apply({"name": group_name, "parameters": {"timeout": 300}},
              aws_config={"retries": {"mode": "standard", "total_max_attempts": 1}})
    finally:
        local_aws.clear_faults()
    modify_calls = [call for call in calls_on(local_aws, since, group_name)
                    if call["action"] == "ModifyCacheParameterGroup"]
    assert [call["error"] for call in modify_calls] == ["Throttling", "Throttling", None]
    assert user_values(elasticache, group_name) == {"timeout": "300"}


def test_family_cannot_change(local_aws, elasticache, apply, group_name):
    apply({"name": group_name, "family": FAMILY})
    since = local_aws.recorder.mark()
    result = apply({"name": group_name, "family": "valkey8", "parameters": {"timeout": 300}}, expect_failure=True)
    assert result["problems"][0].startswith("family: parameter group %s is family redis7" % group_name)
    assert "new name" in result["msg"]
    assert local_aws.recorder.mutating(since) == []
    group = elasticache.describe_cache_parameter_groups(CacheParameterGroupName=group_name)["CacheParameterGroups"][0]
    assert group["CacheParameterGroupFamily"] == FAMILY


def test_family_required_to_create_and_unknown_family_refused(local_aws, elasticache, apply, group_name):
    result = apply({"name": group_name, "parameters": {"timeout": 300}}, expect_failure=True)
    assert result["problems"] == ["family: required to create parameter group %s" % group_name]
    since = local_aws.recorder.mark()
    result = apply({"name": group_name, "family": "redis99", "parameters": {"timeout": 300}}, expect_failure=True)
    assert result["problems"][0].startswith("family: ") and "redis99" in result["problems"][0]
    assert local_aws.recorder.mutating(since) == []
    assert not group_exists(elasticache, group_name)


def test_absent_deletes_the_group(elasticache, apply, group_name):
    apply({"name": group_name, "family": FAMILY})
    result = apply({"name": group_name, "state": "absent"}, check=True)
    assert result["changed"] is True and group_exists(elasticache, group_name)
    result = apply({"name": group_name, "state": "absent"})
    assert result["changed"] is True and not group_exists(elasticache, group_name)
    result = apply({"name": group_name, "state": "absent"})
    assert result["changed"] is False
