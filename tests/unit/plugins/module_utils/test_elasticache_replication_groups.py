import pytest

from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import DECREASE
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import INCREASE
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import MODIFY
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import changed_settings
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import create_request
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import current_settings
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import desired_settings
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import is_downgrade
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import log_delivery_request
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import parse_maintenance_window
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import parse_snapshot_window
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import plan_steps
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import replacement_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import validate_arguments
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import validate_auth_token
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import validate_desired
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import (
    validate_replication_group_id)
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import version_matches
from ansible_collections.dbfleet.aws.plugins.module_utils.windows import windows_overlap

GOOD_TOKEN = "Abcdefgh-12345678!&#$^<>"


def arguments(**given):
    """Module arguments as AnsibleModule hands them over (unset options are None)."""
    params = dict((name, None) for name in (
        "description", "engine", "engine_version", "node_type", "port", "num_cache_clusters", "num_node_groups",
        "replicas_per_node_group", "automatic_failover", "multi_az", "at_rest_encryption", "transit_encryption",
        "transit_encryption_mode", "kms_key_id", "auth_token", "auth_token_update_strategy",
        "cache_parameter_group", "cache_subnet_group", "security_group_ids", "snapshot_retention_limit",
        "snapshot_window", "preferred_maintenance_window", "notification_topic_arn", "log_delivery", "tags",
        "snapshot_name", "final_snapshot_identifier"))
    params.update(replication_group_id="app-redis", state="present", apply_immediately=False, wait=True,
                  wait_timeout=1800, purge_tags=True)
    params.update(given)
    return params


def api_group(nodes=1, failover="disabled", multi_az="disabled", **extra):
    member_ids = ["app-redis-%03d" % number for number in range(1, nodes + 1)]
    group = {
        "ReplicationGroupId": "app-redis", "Description": "app", "Status": "available",
        "MemberClusters": member_ids,
        "NodeGroups": [{
            "NodeGroupId": "0001",
            "PrimaryEndpoint": {"Address": "primary.example", "Port": 6379},
            "ReaderEndpoint": {"Address": "reader.example", "Port": 6379},
            "NodeGroupMembers": [{"CacheClusterId": member, "CurrentRole": "primary" if index == 0 else "replica",
                                  "ReadEndpoint": {"Address": member + ".example", "Port": 6379}}
                                 for index, member in enumerate(member_ids)],
        }],
        "AutomaticFailover": failover, "MultiAZ": multi_az, "SnapshotRetentionLimit": 0,
        "SnapshotWindow": "05:00-06:00", "ClusterEnabled": False, "CacheNodeType": "cache.t3.micro",
        "AuthTokenEnabled": False, "TransitEncryptionEnabled": False, "AtRestEncryptionEnabled": False,
        "LogDeliveryConfigurations": [], "Engine": "redis",
    }
    group.update(extra)
    return group


API_CLUSTER = {
    "CacheClusterId": "app-redis-001", "EngineVersion": "7.1.0", "Engine": "redis",
    "PreferredMaintenanceWindow": "sun:23:00-mon:00:30",
    "CacheParameterGroup": {"CacheParameterGroupName": "default.redis7"},
    "SecurityGroups": [{"SecurityGroupId": "sg-2"}, {"SecurityGroupId": "sg-1"}],
}


def plan(current, **given):
    params = arguments(**given)
    desired = desired_settings(params, current)
    changed = changed_settings(current, desired)
    return desired, changed, plan_steps(current, desired, changed, params)


@pytest.mark.parametrize("value, problem", [
    ("a", None),
    ("App-Redis-01", None),
    ("a" * 40, None),
    ("", "must be 1 to 40 characters long"),
    ("a" * 41, "must be 1 to 40 characters long"),
    ("1redis", "must start with a letter"),
    ("redis_1", "must start with a letter and contain only letters, digits and hyphens"),
    ("redis-", "must not end with a hyphen"),
    ("re--dis", "two consecutive hyphens"),
])
def test_replication_group_id_rules(value, problem):
    problems = validate_replication_group_id(value)
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problems[0].startswith("replication_group_id: ") and problem in problems[0]


@pytest.mark.parametrize("token, problem", [
    (GOOD_TOKEN, None),
    ("a" * 16, None),
    ("a" * 128, None),
    # Every special character AWS permits, as the local endpoint does (tests/local_aws).
    ("Ab0!&#$^<>-" + "a" * 8, None),
    ("abcdefghijklmnop*", "may contain only letters, digits"),
    ("a" * 15, "must be 16 to 128 characters long (got 15)"),
    ("a" * 129, "must be 16 to 128 characters long (got 129)"),
    ("abcdefghijklmnop/", "may contain only letters, digits"),
    ('abcdefghijklmnop"', "may contain only letters, digits"),
    ("abcdefghijklmnop@", "may contain only letters, digits"),
    ("abcdefgh ijklmnop", "may contain only letters, digits"),
    ("abcdefghijklmnop%", "may contain only letters, digits"),
    ("abcdefghijklmnopé", "may contain only letters, digits"),
])
def test_auth_token_rules_never_repeat_the_token(token, problem):
    problems = validate_auth_token(token)
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problem in problems[0]
        assert token not in problems[0]


def test_windows_parse_to_minutes():
    assert parse_snapshot_window("05:00-06:00") == (300, 360)
    assert parse_snapshot_window("23:30-00:30") == (1410, 1470)
    assert parse_maintenance_window("sun:23:00-mon:00:30") == (1380, 1470)
    assert parse_maintenance_window("SAT:23:00-sun:01:00") == (6 * 1440 + 1380, 7 * 1440 + 60)


@pytest.mark.parametrize("window, problem", [
    ("5:00-06:00", "format hh24:mi-hh24:mi"),
    ("05:00-24:00", "format hh24:mi-hh24:mi"),
    ("05:00-05:30", "at least 60 minutes"),
    ("05:00-05:00", None),  # a whole day
])
def test_snapshot_window_rules(window, problem):
    if problem is None:
        assert parse_snapshot_window(window) == (300, 300 + 1440)
    else:
        with pytest.raises(ValueError, match=problem):
            parse_snapshot_window(window)


@pytest.mark.parametrize("window, problem", [
    ("sun:05:00", "format ddd:hh24:mi-ddd:hh24:mi"),
    ("sunday:05:00-sunday:06:00", "format ddd:hh24:mi-ddd:hh24:mi"),
    ("sun:05:00-sun:05:59", "at least 60 minutes"),
    ("sun:05:00-tue:05:00", "not be longer than 24 hours"),
])
def test_maintenance_window_rules(window, problem):
    with pytest.raises(ValueError, match=problem):
        parse_maintenance_window(window)


@pytest.mark.parametrize("snapshot, maintenance, overlap", [
    ("05:00-06:00", "sun:23:00-mon:00:30", False),
    ("05:00-06:00", "tue:05:30-tue:06:30", True),
    ("05:00-06:00", "tue:06:00-tue:07:00", False),  # touching is not overlapping
    ("23:30-00:30", "wed:00:00-wed:01:00", True),  # snapshot window past midnight
    ("00:00-01:00", "sat:23:30-sun:00:30", True),  # maintenance window past the week's end
    ("02:00-03:00", "sat:23:30-sun:01:30", False),
])
def test_windows_overlap(snapshot, maintenance, overlap):
    assert windows_overlap(snapshot, maintenance) is overlap


def test_every_argument_problem_in_one_list():
    problems = validate_arguments(arguments(
        replication_group_id="9-bad", auth_token="x" * 10, transit_encryption=False, num_cache_clusters=0,
        replicas_per_node_group=6, snapshot_retention_limit=36, multi_az=True, automatic_failover=False,
        snapshot_window="0500-0600", preferred_maintenance_window="mon:01:00-mon:02:00",
        log_delivery=[{"log_type": "slow-log", "destination": "a"}, {"log_type": "slow-log", "destination": ""}],
    ))
    assert problems == [
        "replication_group_id: must start with a letter and contain only letters, digits and hyphens",
        "auth_token: must be 16 to 128 characters long (got 10)",
        "auth_token: requires transit_encryption (ElastiCache accepts AUTH only over TLS)",
        "num_cache_clusters: must be between 1 and 6 (got 0)",
        "replicas_per_node_group: must be between 0 and 5 (got 6)",
        "snapshot_retention_limit: must be between 0 and 35 (got 36)",
        "num_cache_clusters: cluster mode disabled; do not combine it with num_node_groups or "
        "replicas_per_node_group (cluster mode enabled)",
        "multi_az: requires automatic_failover",
        "snapshot_window: must have the format hh24:mi-hh24:mi (UTC), for example 05:00-06:00",
        "log_delivery[1].log_type: slow-log is listed twice",
        "log_delivery[1].destination: required (the log group or Firehose delivery stream)",
    ]


def test_replicas_per_node_group_needs_num_node_groups():
    assert validate_arguments(arguments(replicas_per_node_group=1)) == [
        "replicas_per_node_group: requires num_node_groups (cluster mode enabled); "
        "use num_cache_clusters with cluster mode disabled"]


def test_token_strategy_rules():
    assert validate_arguments(arguments(auth_token_update_strategy="SET")) == [
        "auth_token_update_strategy: SET needs auth_token, the new token"]
    assert validate_arguments(arguments(auth_token_update_strategy="DELETE", auth_token=GOOD_TOKEN)) == [
        "auth_token_update_strategy: DELETE removes the token; do not give auth_token with it"]
    assert validate_arguments(arguments(auth_token_update_strategy="ROTATE", auth_token=GOOD_TOKEN)) == []


def test_absent_checks_only_identifiers():
    assert validate_arguments(arguments(state="absent", num_cache_clusters=9, final_snapshot_identifier="x--y")) == [
        "final_snapshot_identifier: must not end with a hyphen or contain two consecutive hyphens"]


def test_new_group_defaults_and_create_request():
    params = arguments(node_type="cache.r6g.large", num_cache_clusters=3, automatic_failover=True, multi_az=True,
                       transit_encryption=True, auth_token=GOOD_TOKEN, security_group_ids=["sg-2", "sg-1", "sg-2"],
                       log_delivery=[{"log_type": "engine-log", "destination_type": "kinesis-firehose",
                                      "destination": "stream", "log_format": "text"}],
                       snapshot_name="snap")
    desired = desired_settings(params)
    assert validate_desired(desired, params) == []
    assert desired["description"] == "app-redis" and desired["engine"] == "redis"
    assert desired["transit_encryption_mode"] == "required" and desired["auth_token_enabled"] is True
    request = create_request(params, desired)
    assert request["NumCacheClusters"] == 3 and "NumNodeGroups" not in request
    assert request["SecurityGroupIds"] == ["sg-1", "sg-2"]
    assert request["AuthToken"] == GOOD_TOKEN and request["SnapshotName"] == "snap"
    assert request["LogDeliveryConfigurations"] == [{
        "LogType": "engine-log", "DestinationType": "kinesis-firehose",
        "DestinationDetails": {"KinesisFirehoseDetails": {"DeliveryStream": "stream"}}, "LogFormat": "text"}]
    assert "Port" not in request and "KmsKeyId" not in request


def test_cluster_mode_enabled_create_request():
    params = arguments(node_type="cache.r6g.large", num_node_groups=3, replicas_per_node_group=1)
    request = create_request(params, desired_settings(params))
    assert (request["ClusterMode"], request["NumNodeGroups"], request["ReplicasPerNodeGroup"]) == ("enabled", 3, 1)
    assert "NumCacheClusters" not in request


@pytest.mark.parametrize("given, problem", [
    ({"multi_az": True}, "multi_az: requires automatic_failover"),
    ({"automatic_failover": True}, "automatic_failover: requires at least 2 nodes (num_cache_clusters is 1)"),
    ({"multi_az": True, "automatic_failover": True}, "multi_az: requires at least 2 nodes"),
    ({"auth_token": GOOD_TOKEN}, "auth_token: requires transit_encryption"),
    ({"snapshot_window": "23:00-00:00"}, "snapshot_window: 23:00-00:00 overlaps preferred_maintenance_window"),
])
def test_settings_of_an_existing_group_are_checked_together(given, problem):
    current = current_settings(api_group(), API_CLUSTER)
    params = arguments(**given)
    problems = validate_desired(desired_settings(params, current), params)
    assert len(problems) == 1 and problems[0].startswith(problem)


def test_current_settings_read_group_and_primary_cluster():
    group = api_group(nodes=2, failover="enabled", TransitEncryptionEnabled=True, TransitEncryptionMode="preferred",
                      LogDeliveryConfigurations=[{"LogType": "slow-log", "DestinationType": "cloudwatch-logs",
                                                  "DestinationDetails": {"CloudWatchLogsDetails": {"LogGroup": "lg"}},
                                                  "LogFormat": "json", "Status": "active"}])
    current = current_settings(group, dict(API_CLUSTER, PendingModifiedValues={"CacheNodeType": "cache.m6g.large"}))
    assert current["num_cache_clusters"] == 2 and current["num_node_groups"] is None
    assert current["automatic_failover"] is True and current["multi_az"] is False
    assert current["node_type"] == "cache.m6g.large"
    assert current["security_group_ids"] == ["sg-1", "sg-2"]
    assert current["port"] == 6379 and current["engine_version"] == "7.1.0"
    assert current["log_delivery"] == {
        "slow-log": {"destination_type": "cloudwatch-logs", "destination": "lg", "log_format": "json"}}


def test_nothing_given_changes_nothing():
    current = current_settings(api_group(nodes=2), API_CLUSTER)
    desired, changed, steps = plan(current, engine_version="7.1", security_group_ids=["sg-1", "sg-2"],
                                   preferred_maintenance_window="SUN:23:00-MON:00:30", engine="redis")
    assert changed == [] and steps == []


def test_growing_with_failover_and_multi_az_goes_replicas_failover_multi_az():
    current = current_settings(api_group(), API_CLUSTER)
    desired, changed, steps = plan(current, num_cache_clusters=3, automatic_failover=True, multi_az=True,
                                   node_type="cache.r6g.large", apply_immediately=True)
    assert [(step.action, step.settings) for step in steps] == [
        (INCREASE, ["num_cache_clusters"]),
        (MODIFY, ["node_type"]),
        (MODIFY, ["automatic_failover"]),
        (MODIFY, ["multi_az"]),
    ]
    assert steps[0].request == {"NewReplicaCount": 2, "ApplyImmediately": True}
    assert steps[1].request == {"CacheNodeType": "cache.r6g.large", "ApplyImmediately": True}
    assert steps[3].request == {"MultiAZEnabled": True, "ApplyImmediately": True}


def test_shrinking_goes_multi_az_failover_replicas():
    current = current_settings(api_group(nodes=3, failover="enabled", multi_az="enabled"), API_CLUSTER)
    desired, changed, steps = plan(current, num_cache_clusters=1, automatic_failover=False, multi_az=False)
    assert [(step.action, step.request) for step in steps] == [
        (MODIFY, {"MultiAZEnabled": False, "ApplyImmediately": False}),
        (MODIFY, {"AutomaticFailoverEnabled": False, "ApplyImmediately": False}),
        (DECREASE, {"NewReplicaCount": 0, "ApplyImmediately": True}),
    ]


def test_removing_the_last_replica_under_failover_is_refused():
    current = current_settings(api_group(nodes=2, failover="enabled"), API_CLUSTER)
    params = arguments(num_cache_clusters=1)
    assert validate_desired(desired_settings(params, current), params) == [
        "automatic_failover: requires at least 2 nodes (num_cache_clusters is 1); add a replica first"]


def test_transit_encryption_moves_through_preferred():
    current = current_settings(api_group(), API_CLUSTER)
    desired, changed, steps = plan(current, transit_encryption=True)
    assert [step.request for step in steps] == [
        {"TransitEncryptionEnabled": True, "TransitEncryptionMode": "preferred", "ApplyImmediately": False},
        {"TransitEncryptionMode": "required", "ApplyImmediately": False},
    ]
    current = current_settings(api_group(TransitEncryptionEnabled=True, TransitEncryptionMode="required"),
                               API_CLUSTER)
    desired, changed, steps = plan(current, transit_encryption=False)
    assert validate_desired(desired, arguments(transit_encryption=False)) == []
    assert [step.request for step in steps] == [
        {"TransitEncryptionMode": "preferred", "ApplyImmediately": False},
        {"TransitEncryptionEnabled": False, "ApplyImmediately": False},
    ]


def test_token_is_sent_to_turn_auth_on_or_when_a_strategy_is_given():
    with_transit = {"TransitEncryptionEnabled": True, "TransitEncryptionMode": "required"}
    without_auth = current_settings(api_group(**with_transit), API_CLUSTER)
    desired, changed, steps = plan(without_auth, auth_token=GOOD_TOKEN)
    assert [(step.request, step.settings) for step in steps] == [
        ({"AuthToken": GOOD_TOKEN, "AuthTokenUpdateStrategy": "ROTATE", "ApplyImmediately": True},
         ["auth_token_enabled"])]

    with_auth = current_settings(api_group(AuthTokenEnabled=True, **with_transit), API_CLUSTER)
    assert plan(with_auth, auth_token=GOOD_TOKEN)[2] == []
    steps = plan(with_auth, auth_token=GOOD_TOKEN, auth_token_update_strategy="SET")[2]
    assert [step.request["AuthTokenUpdateStrategy"] for step in steps] == ["SET"]
    steps = plan(with_auth, auth_token_update_strategy="DELETE")[2]
    assert [step.request for step in steps] == [{"AuthTokenUpdateStrategy": "DELETE", "ApplyImmediately": True}]
    assert plan(without_auth, auth_token_update_strategy="DELETE")[2] == []


def test_log_delivery_request_turns_off_unlisted_types():
    current = {"slow-log": {"destination_type": "cloudwatch-logs", "destination": "a", "log_format": "json"},
               "engine-log": {"destination_type": "cloudwatch-logs", "destination": "b", "log_format": "json"}}
    desired = {"slow-log": {"destination_type": "cloudwatch-logs", "destination": "c", "log_format": "json"}}
    assert log_delivery_request(current, desired) == [
        {"LogType": "engine-log", "Enabled": False},
        {"LogType": "slow-log", "DestinationType": "cloudwatch-logs",
         "DestinationDetails": {"CloudWatchLogsDetails": {"LogGroup": "c"}}, "LogFormat": "json", "Enabled": True},
    ]
    assert log_delivery_request(desired, desired) == []


def test_versions():
    assert version_matches("7.1", "7.1.0") and version_matches("7", "7.1.0")
    assert not version_matches("7.1", "7.0.7") and not version_matches("7.1.0", "7.1")
    assert is_downgrade("7.1.0", "6.2") and is_downgrade("7.1", "7.0")
    assert not is_downgrade("6.2", "7.1") and not is_downgrade("7.0.7", "7.1")


def test_changes_that_need_a_new_group():
    current = current_settings(api_group(Engine="valkey"), dict(API_CLUSTER, EngineVersion="8.0",
                                                                CacheSubnetGroupName="net-a"))
    params = arguments(at_rest_encryption=True, port=6380, cache_subnet_group="net-b", engine="redis",
                       num_node_groups=2)
    desired = desired_settings(params, current)
    problems = replacement_problems(current, desired, changed_settings(current, desired))
    assert [problem.split(":")[0] for problem in problems] == [
        "at_rest_encryption", "cache_subnet_group", "port", "num_node_groups", "engine"]
    assert all("the group must be replaced" in problem for problem in problems)
    assert "the group has 6379, 6380 wanted" in problems[2]


def test_engine_upgrade_to_valkey_is_made_in_place():
    current = current_settings(api_group(), API_CLUSTER)
    desired, changed, steps = plan(current, engine="valkey", engine_version="8.0")
    assert replacement_problems(current, desired, changed) == []
    assert [step.request for step in steps] == [{"Engine": "valkey", "EngineVersion": "8.0", "ApplyImmediately": False}]


def test_cluster_mode_enabled_is_created_with_failover_only():
    params = {"replication_group_id": "cache", "num_node_groups": 2, "replicas_per_node_group": 0}
    assert validate_desired(desired_settings(params), params) == [
        "automatic_failover: must be true with cluster mode enabled (ElastiCache requires automatic failover for it)"]
    params.update(automatic_failover=True, multi_az=True)
    assert validate_desired(desired_settings(params), params) == [
        "multi_az: needs replicas_per_node_group of at least 1 with cluster mode enabled"]
    params["replicas_per_node_group"] = 1
    assert validate_desired(desired_settings(params), params) == []
