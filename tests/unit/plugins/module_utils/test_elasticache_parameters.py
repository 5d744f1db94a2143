import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_parameters import change_type
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_parameters import clusters_using_group
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_parameters import describe_family_defaults
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_parameters import describe_group
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_parameters import describe_group_parameters
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_parameters import spec_from_elasticache
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import DYNAMIC
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import STATIC
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import batches
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import plan_changes
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import validate_parameters


def parameter(name, value, data_type, allowed, change="immediate", modifiable=True, source="system"):
    entry = {"ParameterName": name, "Source": source, "DataType": data_type, "IsModifiable": modifiable,
             "MinimumEngineVersion": "7.0.4", "ChangeType": change}
    if value is not None:
        entry["ParameterValue"] = value
    if allowed is not None:
        entry["AllowedValues"] = allowed
    return entry


def specs_by_name(entries):
    return dict((entry["ParameterName"], spec_from_elasticache(entry)) for entry in entries)


MAXMEMORY_POLICY = parameter("maxmemory-policy", "volatile-lru", "string",
                             "volatile-lru,allkeys-lru,volatile-lfu,allkeys-lfu,volatile-random,allkeys-random,"
                             "volatile-ttl,noeviction")
TIMEOUT = parameter("timeout", "0", "integer", "0,20-")
TCP_KEEPALIVE = parameter("tcp-keepalive", "300", "integer", "0-")
LISTPACK_SIZE = parameter("list-max-listpack-size", "-2", "integer", "-5,-4,-3,-2,-1,1-")
ACTIVEREHASHING = parameter("activerehashing", "yes", "string", "yes,no", change="requires-reboot")
NOTIFY = parameter("notify-keyspace-events", None, "string", None)
MAXCLIENTS = parameter("maxclients", "65000", "integer", "1-65000", modifiable=False)
OUTPUT_BUFFER = {
    "ParameterName": "client-output-buffer-limit-replica-hard-limit", "Source": "system", "DataType": "integer",
    "AllowedValues": "0-", "IsModifiable": True, "MinimumEngineVersion": "7.0.4", "ChangeType": "immediate",
    "CacheNodeTypeSpecificValues": [{"CacheNodeType": "cache.t4g.micro", "Value": "47185920"},
                                    {"CacheNodeType": "cache.r6g.large", "Value": "1395864371"}],
}
FAMILY_METADATA = specs_by_name((
    MAXMEMORY_POLICY, TIMEOUT, TCP_KEEPALIVE, LISTPACK_SIZE, ACTIVEREHASHING, NOTIFY, MAXCLIENTS, OUTPUT_BUFFER))


@pytest.fixture
def elasticache():
    client = boto3.client("elasticache", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_change_type_maps_to_apply_type():
    assert spec_from_elasticache(ACTIVEREHASHING).apply_type == STATIC
    assert spec_from_elasticache(TIMEOUT).apply_type == DYNAMIC
    assert (change_type(STATIC), change_type(DYNAMIC)) == ("requires-reboot", "immediate")


def test_spec_reads_type_value_and_modifiable():
    spec = spec_from_elasticache(TIMEOUT)
    assert (spec.name, spec.data_type, spec.allowed_values, spec.value, spec.source, spec.unit) == (
        "timeout", "integer", "0,20-", "0", "system", None)
    assert spec_from_elasticache(MAXCLIENTS).modifiable is False
    notify = spec_from_elasticache(NOTIFY)
    assert (notify.value, notify.allowed_values) == (None, None)


def test_node_type_specific_value_known_only_when_shared():
    assert spec_from_elasticache(OUTPUT_BUFFER).value is None
    shared = dict(OUTPUT_BUFFER, CacheNodeTypeSpecificValues=[
        {"CacheNodeType": "cache.t4g.micro", "Value": "0"}, {"CacheNodeType": "cache.r6g.large", "Value": "0"}])
    assert spec_from_elasticache(shared).value == "0"


def test_reference_parameters_validate():
    normalised, problems = validate_parameters({
        "maxmemory-policy": "allkeys-lru", "timeout": 300, "tcp-keepalive": 300, "notify-keyspace-events": "Ex",
        "activerehashing": False, "list-max-listpack-size": -5,
    }, FAMILY_METADATA, "redis7")
    assert problems == []
    assert normalised == {"maxmemory-policy": "allkeys-lru", "timeout": "300", "tcp-keepalive": "300",
                          "notify-keyspace-events": "Ex", "activerehashing": "no", "list-max-listpack-size": "-5"}


def test_open_ended_ranges_and_enumerations_are_enforced():
    problems = validate_parameters({
        "timeout": 5, "tcp-keepalive": -1, "list-max-listpack-size": 0, "maxmemory-policy": "lru",
        "maxclients": 100, "maxmemory-polcy": "allkeys-lru",
        "client-output-buffer-limit-replica-hard-limit": 2 ** 40,
    }, FAMILY_METADATA, "redis7")[1]
    assert problems == [
        "parameters.list-max-listpack-size: 0 is outside the allowed values -5,-4,-3,-2,-1,1-",
        "parameters.maxclients: not modifiable in family redis7",
        "parameters.maxmemory-polcy: unknown parameter for family redis7 (did you mean maxmemory-policy?)",
        "parameters.maxmemory-policy: 'lru' is not one of volatile-lru, allkeys-lru, volatile-lfu, allkeys-lfu, "
        "volatile-random, allkeys-random, volatile-ttl, noeviction",
        "parameters.tcp-keepalive: -1 is outside the allowed values 0-",
        "parameters.timeout: 5 is outside the allowed values 0,20-",
    ]


def test_plan_against_group_with_requires_reboot_change():
    current = specs_by_name([dict(TIMEOUT, ParameterValue="300", Source="user"), ACTIVEREHASHING,
                             dict(TCP_KEEPALIVE, ParameterValue="60", Source="user")])
    modifications, resets = plan_changes({"timeout": "300", "activerehashing": "no"}, FAMILY_METADATA, current,
                                         purge=True)
    assert [(change["name"], change["before"], change["after"], change_type(change["apply_type"]))
            for change in modifications + resets] == [
        ("activerehashing", "yes", "no", "requires-reboot"),
        ("tcp-keepalive", "60", "300", "immediate"),
    ]


def test_45_changes_make_three_batches_of_at_most_twenty():
    assert [len(batch) for batch in batches(list(range(45)))] == [20, 20, 5]


def test_family_defaults_follow_every_page_and_node_type_specific_parameters(elasticache):
    client, stubber = elasticache
    stubber.add_response(
        "describe_engine_default_parameters",
        {"EngineDefaults": {"CacheParameterGroupFamily": "redis7", "Marker": "page2", "Parameters": [TIMEOUT],
                            "CacheNodeTypeSpecificParameters": [OUTPUT_BUFFER]}},
        {"CacheParameterGroupFamily": "redis7"},
    )
    stubber.add_response(
        "describe_engine_default_parameters",
        {"EngineDefaults": {"CacheParameterGroupFamily": "redis7", "Parameters": [ACTIVEREHASHING]}},
        {"CacheParameterGroupFamily": "redis7", "Marker": "page2"},
    )
    assert sorted(describe_family_defaults(client, "redis7")) == [
        "activerehashing", "client-output-buffer-limit-replica-hard-limit", "timeout"]


def test_group_parameters_keep_source(elasticache):
    client, stubber = elasticache
    stubber.add_response("describe_cache_parameters",
                         {"Parameters": [dict(TIMEOUT, ParameterValue="300", Source="user"), NOTIFY]},
                         {"CacheParameterGroupName": "app"})
    current = describe_group_parameters(client, "app")
    assert (current["timeout"].value, current["timeout"].source) == ("300", "user")
    assert current["notify-keyspace-events"].source == "system"


def test_missing_group_is_none(elasticache):
    client, stubber = elasticache
    stubber.add_client_error("describe_cache_parameter_groups", service_error_code="CacheParameterGroupNotFound",
                             http_status_code=404, expected_params={"CacheParameterGroupName": "gone"})
    # The module's client: calls take aws_retry=True.
    assert describe_group(RetryingBotoClientWrapper(client, AWSRetry.jittered_backoff()), "gone") is None


def test_clusters_using_group_scans_every_cluster(elasticache):
    client, stubber = elasticache

    def cluster(identifier, group, status):
        return {"CacheClusterId": identifier,
                "CacheParameterGroup": {"CacheParameterGroupName": group, "ParameterApplyStatus": status}}

    stubber.add_response("describe_cache_clusters", {
        "Marker": "more",
        "CacheClusters": [cluster("app-001", "app", "pending-reboot"), cluster("other-001", "other", "in-sync")],
    }, {})
    stubber.add_response("describe_cache_clusters", {
        "CacheClusters": [cluster("app-002", "app", "in-sync"), {"CacheClusterId": "memcached-without-group"}],
    }, {"Marker": "more"})
    assert clusters_using_group(client, "app") == {"app-001": "pending-reboot", "app-002": "in-sync"}
