"""The elasticache role's input rules (plugins/module_utils/inputs/elasticache.py) on the
local inventory's variables, broken one at a time."""

import json

import pytest
import yaml

from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_parameters import spec_from_elasticache
from ansible_collections.dbfleet.aws.plugins.module_utils.engine_options import node_type_memory
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import Values
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.elasticache import parameter_group_family
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.elasticache import offering_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.elasticache import problems

from conftest import REPO_ROOT

LOCAL = yaml.safe_load((REPO_ROOT / "inventories/local/group_vars/local/elasticache.yml").read_text())


def values(**changes):
    return Values({"elasticache_replication_group_id": "dbfleet-local", "elasticache_engine": "redis",
                   "elasticache_parameter_group_family": "redis7", "elasticache_log_delivery": [],
                   **LOCAL, **changes})


def test_the_local_inventory_passes():
    assert problems(values()) == []


@pytest.mark.parametrize("engine, version, family", [
    ("redis", "6.2", "redis6.x"), ("redis", "7.1", "redis7"), ("valkey", "7.2", "valkey7"), ("valkey", "8.0", "valkey8")])
def test_parameter_group_family_of_an_engine_version(engine, version, family):
    assert parameter_group_family(engine, version) == family


@pytest.mark.parametrize("changes, expected", [
    ({"elasticache_parameter_group_family": "redis6.x"},
     "elasticache_parameter_group_family: must be redis7, the family of redis 7.1 (got 'redis6.x')"),
    ({"elasticache_num_cache_clusters": 7}, "elasticache_num_cache_clusters: must be between 1 and 6 (got 7)"),
    ({"elasticache_num_cache_clusters": 1, "elasticache_multi_az": False},
     "elasticache_automatic_failover: needs elasticache_num_cache_clusters of at least 2"),
    ({"elasticache_node_type": "cache.r6g"}, "elasticache_node_type: must look like cache.r6g.large"),
    ({"elasticache_transit_encryption": False, "elasticache_client_tls": False},
     "elasticache_auth_token_enabled: needs elasticache_transit_encryption true"),
    ({"elasticache_auth_token_length": 200}, "elasticache_auth_token_length: must be between 64 and 128 (got 200)"),
    ({"elasticache_snapshot_window": "04:00-04:30"}, "elasticache_snapshot_window: must be at least 60 minutes long"),
    ({"elasticache_snapshot_window": "05:30-06:30"},
     "elasticache_snapshot_window: 05:30-06:30 overlaps elasticache_maintenance_window sun:05:00-sun:06:00"),
    ({"elasticache_notification_topic_arn": "topic"}, "elasticache_notification_topic_arn: must be empty or an SNS"),
    ({"elasticache_log_delivery": [{"log_type": "slow-log", "destination": "a"},
                                   {"log_type": "slow-log", "destination": "b"}]},
     "elasticache_log_delivery[1].log_type: slow-log is listed twice"),
    ({"elasticache_replication_group_id": "x" * 41}, "elasticache_replication_group_id: must be 1-40 letters"),
])
def test_each_rule_names_its_variable(changes, expected):
    found = problems(values(**changes))
    assert [problem for problem in found if problem.startswith(expected)], found


# --- against what AWS offers --------------------------------------------------------------

REDIS7_PARAMETERS = json.loads((REPO_ROOT / "tools/local_aws/data/elasticache_parameters_redis7.json").read_text())
MAXMEMORY = {"ParameterName": "maxmemory", "DataType": "integer", "AllowedValues": "0-", "IsModifiable": False,
             "CacheNodeTypeSpecificValues": [{"CacheNodeType": "cache.r6g.large", "Value": "14037181030"},
                                             {"CacheNodeType": "cache.t3.micro", "Value": "536870912"}]}
REDIS7 = {parameter["ParameterName"]: spec_from_elasticache(parameter) for parameter in REDIS7_PARAMETERS + [MAXMEMORY]}
NODE_TYPES = sorted(node_type_memory(REDIS7_PARAMETERS + [MAXMEMORY]))


def test_node_types_come_from_the_node_type_specific_maxmemory():
    assert node_type_memory(REDIS7_PARAMETERS + [MAXMEMORY]) == {"cache.r6g.large": 14037181030,
                                                                 "cache.t3.micro": 536870912}
    assert node_type_memory(REDIS7_PARAMETERS) == {}


def test_an_offered_node_type_and_valid_parameters_pass():
    assert offering_problems(values(elasticache_parameters={"maxmemory-policy": "allkeys-lru"}),
                             NODE_TYPES, REDIS7) == []


def test_a_node_type_that_is_not_offered_and_bad_parameters_are_each_named():
    found = offering_problems(values(elasticache_node_type="cache.r6g.lrge",
                                     elasticache_parameters={"maxmemory-policy": "lru", "maxmemory": 1024,
                                                             "timeot": 30}),
                              NODE_TYPES, REDIS7)
    assert found[0] == ("elasticache_node_type: cache.r6g.lrge is not offered for family redis7 in this region; "
                        "did you mean cache.r6g.large?")
    assert found[1] == "elasticache_parameters.maxmemory: not modifiable in family redis7"
    assert found[2].startswith("elasticache_parameters.maxmemory-policy: ")
    assert found[3] == "elasticache_parameters.timeot: unknown parameter for family redis7 (did you mean timeout?)"
    assert len(found) == 4


@pytest.mark.parametrize("wanted, running, lower", [
    ("6.2", "7.1.0", True), ("7.0", "7.1", True), ("7.1", "7.1.0", False), ("7.1", "7.1", False), ("8.0", "7.1", False)])
def test_a_version_below_the_running_one_is_refused(wanted, running, lower):
    found = offering_problems(values(elasticache_engine_version=wanted,
                                     elasticache_parameter_group_family=parameter_group_family("redis", wanted)),
                              NODE_TYPES, REDIS7, running=dict(RUNNING, engine_version=running))
    downgrade = [problem for problem in found if problem.startswith("elasticache_engine_version:")]
    assert downgrade == (["elasticache_engine_version: %s is lower than %s, the version dbfleet-local runs; "
                          "ElastiCache cannot downgrade (restore a snapshot into a new replication group instead)"
                          % (wanted, running)] if lower else [])


# The settings of an existing group, as engine_options_info reads them (current_settings).
KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/00000000-aaaa-bbbb-cccc-000000000001"
RUNNING = {"engine_version": "7.1.0", "port": 6379, "at_rest_encryption": True, "kms_key_id": KEY_ARN,
           "cache_subnet_group": "dbfleet-local-redis"}


def test_what_elasticache_cannot_change_on_an_existing_group_is_named_before_any_call():
    found = offering_problems(values(elasticache_port=6380, elasticache_at_rest_encryption=False,
                                     elasticache_kms_key_id="arn:aws:kms:us-east-1:111122223333:key/other",
                                     elasticache_subnet_group_name="dbfleet-other"),
                              NODE_TYPES, REDIS7, running=RUNNING)
    assert [problem.split(":")[0] for problem in found] == [
        "elasticache_at_rest_encryption", "elasticache_kms_key_id", "elasticache_subnet_group_name", "elasticache_port"]
    assert found[-1] == ("elasticache_port: the group has 6379, 6380 wanted; ElastiCache cannot change port of an "
                         "existing group, so the group must be replaced (create a new group, for example from a "
                         "snapshot with snapshot_name, and delete this one)")
    # A new group may have any of them.
    assert offering_problems(values(elasticache_port=6380), NODE_TYPES, REDIS7, running=None) == []


@pytest.mark.parametrize("key", [KEY_ARN, "00000000-aaaa-bbbb-cccc-000000000001", "alias/dbfleet-local-redis", ""])
def test_the_same_key_given_as_arn_key_id_or_alias_is_no_change(key):
    assert offering_problems(values(elasticache_kms_key_id=key, elasticache_subnet_group_name="dbfleet-local-redis"),
                             NODE_TYPES, REDIS7, running=RUNNING) == []


def test_a_key_for_a_group_encrypted_with_the_service_key_is_a_change():
    (problem,) = offering_problems(values(elasticache_kms_key_id="alias/dbfleet-local-redis"), NODE_TYPES, REDIS7,
                                   running=dict(RUNNING, kms_key_id=None))
    assert problem.startswith("elasticache_kms_key_id: the group has none, alias/dbfleet-local-redis wanted")


def test_zones_one_per_node_in_the_region():
    three = ["us-east-1a", "us-east-1b", "us-east-1a"]
    assert problems(values(dbfleet_region="us-east-1", elasticache_availability_zones=three)) == []
    assert problems(values(dbfleet_region="us-east-1", elasticache_availability_zones=["us-east-1a", "eu-west-1b"])) == [
        "elasticache_availability_zones: names 2 zones for elasticache_num_cache_clusters 3 (one zone per node, the "
        "primary's first)",
        "elasticache_availability_zones: eu-west-1b not zones of us-east-1 (like us-east-1a)"]


def test_zones_an_existing_group_cannot_reach_are_refused_before_any_call():
    running = dict(RUNNING, availability_zones=["us-east-1a", "us-east-1b", "us-east-1c"],
                   primary_availability_zone="us-east-1a")
    assert offering_problems(values(elasticache_availability_zones=["us-east-1c", "us-east-1a", "us-east-1b"],
                                    elasticache_subnet_group_name="dbfleet-local-redis"),
                             NODE_TYPES, REDIS7, running=running) == []
    (problem,) = offering_problems(values(elasticache_availability_zones=["us-east-1a", "us-east-1b", "us-east-1b"],
                                          elasticache_subnet_group_name="dbfleet-local-redis"),
                                   NODE_TYPES, REDIS7, running=running)
    assert problem.startswith("elasticache_availability_zones: the nodes are in us-east-1a, us-east-1b, us-east-1c, "
                              "us-east-1a, us-east-1b, us-east-1b wanted; ElastiCache cannot move a node")


def test_ziplist_names_are_refused_where_the_family_calls_them_listpack():
    found = offering_problems(values(elasticache_parameters={"hash-max-ziplist-entries": 512,
                                                             "zset-max-ziplist-value": 64}),
                              NODE_TYPES, REDIS7)
    assert found == [
        "elasticache_parameters.hash-max-ziplist-entries: not a parameter of family redis7, which calls it "
        "hash-max-listpack-entries (Redis 7 renamed the ziplist encoding listpack)",
        "elasticache_parameters.zset-max-ziplist-value: not a parameter of family redis7, which calls it "
        "zset-max-listpack-value (Redis 7 renamed the ziplist encoding listpack)"]


SHARDED = {"elasticache_cluster_mode": "enabled", "elasticache_num_node_groups": 3,
           "elasticache_replicas_per_node_group": 1, "elasticache_automatic_failover": True,
           "elasticache_multi_az": True, "elasticache_availability_zones": []}


def sharded(**changes):
    return values(**{**SHARDED, **changes})


def test_cluster_mode_enabled_needs_failover_and_a_replica_per_group_for_multi_az():
    assert problems(sharded()) == []
    # elasticache_num_cache_clusters is not used with cluster mode enabled, whatever it says.
    assert problems(sharded(elasticache_num_cache_clusters=1)) == []
    assert problems(sharded(elasticache_automatic_failover=False, elasticache_multi_az=False,
                            elasticache_num_node_groups=501, elasticache_replicas_per_node_group=6)) == [
        "elasticache_num_node_groups: must be between 1 and 500 (got 501)",
        "elasticache_replicas_per_node_group: must be between 0 and 5 (got 6)",
        "elasticache_automatic_failover: must be true with cluster mode enabled (ElastiCache requires automatic "
        "failover for it)"]
    assert problems(sharded(elasticache_replicas_per_node_group=0)) == [
        "elasticache_multi_az: needs elasticache_replicas_per_node_group of at least 1 with cluster mode enabled"]


def test_cluster_mode_enabled_refuses_zones_and_a_contrary_cluster_enabled_parameter():
    assert problems(sharded(elasticache_availability_zones=["us-east-1a", "us-east-1b"],
                            elasticache_parameters={"cluster-enabled": "no"})) == [
        "elasticache_availability_zones: places the nodes of a group with cluster mode disabled; leave it empty with "
        "elasticache_cluster_mode enabled",
        "elasticache_parameters: cluster-enabled no contradicts elasticache_cluster_mode enabled; leave it out, the "
        "role sets it"]
    assert problems(values(elasticache_cluster_mode="disabled", elasticache_parameters={"cluster-enabled": "yes"})) == [
        "elasticache_parameters: cluster-enabled yes contradicts elasticache_cluster_mode disabled; leave it out, the "
        "role sets it"]


def test_an_existing_group_keeps_its_cluster_mode_and_node_groups():
    running = dict(RUNNING, num_node_groups=None)
    mine = {"elasticache_subnet_group_name": "dbfleet-local-redis"}
    assert offering_problems(values(elasticache_cluster_mode="disabled", **mine), NODE_TYPES, REDIS7,
                             running=running) == []
    (problem,) = offering_problems(sharded(**mine), NODE_TYPES, REDIS7, running=running)
    assert problem.startswith("elasticache_cluster_mode: dbfleet-local runs with cluster mode disabled; ElastiCache "
                              "does not switch an existing group")
    (problem,) = offering_problems(sharded(**mine), NODE_TYPES, REDIS7, running=dict(RUNNING, num_node_groups=2))
    assert problem.startswith("elasticache_num_node_groups: dbfleet-local has 2 node groups, 3 wanted; online "
                              "resharding is not done")
