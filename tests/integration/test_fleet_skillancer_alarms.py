"""dbfleet.aws.alarms on production's variables: the skillancer fleet's prod
(examples/skillancer/prod), provisioned once per session on the local endpoint as
`make demo FLEET=skillancer ENV=prod` does (shared with test_fleet_skillancer.py).

Alarms, topic, event subscription, notifications and dashboard are read back through
boto3; the expected alarm set and thresholds are computed here from the prod inventory
and from what RDS reports (allocated storage, the parameter group's max_connections).
The tests run in file order, after test_fleet_skillancer.py (the group's modules run in name
order); the last one changes the replicas and leaves them: it is the group's last test.
Every role's second run is local_env_rerun's (inventories/local mirrors these settings), and
test_fleet_mosaic.py runs the alarm settings skillancer does not use a second time.
"""

import json

import pytest
import yaml

from conftest import REPO_ROOT

XDIST_GROUP = "skillancer_prod"
HOST = "prod-us-east-1"
REGION = "us-east-1"
PROD_VARS = {}
for part in ("rds", "elasticache", "alarms"):
    PROD_VARS.update(yaml.safe_load((REPO_ROOT / f"examples/skillancer/prod/group_vars/prod/{part}.yml").read_text()))
PREFIX = "skillancer-prod"
WRITER = "skillancer-prod"
GROUP = "skillancer-prod"
TOPIC_ARN = f"arn:aws:sns:{REGION}:123456789012:skillancer-prod-alarms"
# db_users and dr come after alarms and do not feed them; leaving them out keeps
# the runs short.
NO_USERS = {"db_users_enabled": False, "dr_enabled": False}
RDS_ALL = ["cpu", "free-storage", "connections", "freeable-memory", "read-latency", "write-latency",
           "disk-queue-depth"]
REDIS_ALL = ["cpu", "engine-cpu", "memory", "connections", "evictions", "hit-rate", "replication-lag", "swap"]


@pytest.fixture(scope="module")
def prod(example_fleet):
    return example_fleet("skillancer", "prod")


def alarms(cloudwatch):
    pages = cloudwatch.get_paginator("describe_alarms").paginate(AlarmNamePrefix=PREFIX + "-")
    return {alarm["AlarmName"]: alarm for page in pages for alarm in page["MetricAlarms"]}


def replicas(rds):
    return sorted(db["DBInstanceIdentifier"] for db in rds.describe_db_instances()["DBInstances"]
                  if db.get("ReadReplicaSourceDBInstanceIdentifier") == WRITER)


def members(elasticache):
    return sorted(elasticache.describe_replication_groups(ReplicationGroupId=GROUP)["ReplicationGroups"][0]["MemberClusters"])


def expected_names(replica_ids, cluster_ids):
    names = {f"{PREFIX}-rds-{WRITER}-{key}" for key in RDS_ALL}
    for replica in replica_ids:
        names |= {f"{PREFIX}-rds-{replica}-{key}" for key in RDS_ALL + ["replica-lag"]}
    for cluster in cluster_ids:
        names |= {f"{PREFIX}-redis-{cluster}-{key}" for key in REDIS_ALL}
    return names


def test_prod_shape(prod, rds, elasticache):
    assert replicas(rds) == [f"{WRITER}-replica-{n}" for n in range(1, PROD_VARS["rds_read_replica_count"] + 1)]
    assert len(members(elasticache)) == PROD_VARS["elasticache_num_cache_clusters"] == 3


def test_describe_alarms_returns_exactly_the_expected_set(prod, cloudwatch, rds, elasticache):
    assert set(alarms(cloudwatch)) == expected_names(replicas(rds), members(elasticache))


def test_thresholds_come_from_the_real_sizes(prod, cloudwatch, rds):
    found = alarms(cloudwatch)
    for identifier in [WRITER] + replicas(rds):
        db = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
        assert db["AllocatedStorage"] == PROD_VARS["rds_allocated_storage"] == 100
        storage = found[f"{PREFIX}-rds-{identifier}-free-storage"]
        assert storage["Threshold"] == 20 * 1024 ** 3 == db["AllocatedStorage"] * 1024 ** 3 * 0.2
        assert (storage["MetricName"], storage["ComparisonOperator"]) == ("FreeStorageSpace", "LessThanThreshold")

        group = db["DBParameterGroups"][0]["DBParameterGroupName"]
        pages = rds.get_paginator("describe_db_parameters").paginate(DBParameterGroupName=group)
        max_connections = [p["ParameterValue"] for page in pages for p in page["Parameters"]
                           if p["ParameterName"] == "max_connections"]
        assert max_connections == ["200"]
        assert found[f"{PREFIX}-rds-{identifier}-connections"]["Threshold"] == 160

        assert found[f"{PREFIX}-rds-{identifier}-cpu"]["Threshold"] == 80
        assert found[f"{PREFIX}-rds-{identifier}-freeable-memory"]["Threshold"] == 256 * 1024 ** 2
        assert found[f"{PREFIX}-rds-{identifier}-read-latency"]["Threshold"] == 0.02
        assert found[f"{PREFIX}-rds-{identifier}-write-latency"]["Threshold"] == 0.05
        assert found[f"{PREFIX}-rds-{identifier}-cpu"]["Dimensions"] == [
            {"Name": "DBInstanceIdentifier", "Value": identifier}]
    for replica in replicas(rds):
        assert found[f"{PREFIX}-rds-{replica}-replica-lag"]["Threshold"] == 60
    # db.r6g is not burstable.
    assert not [name for name in found if name.endswith("-burst-balance")]


def test_redis_alarms_and_the_hit_rate_metric_math(prod, cloudwatch, elasticache):
    found = alarms(cloudwatch)
    for cluster in members(elasticache):
        assert found[f"{PREFIX}-redis-{cluster}-memory"]["Threshold"] == 80
        assert found[f"{PREFIX}-redis-{cluster}-connections"]["Threshold"] == 5000
        evictions = found[f"{PREFIX}-redis-{cluster}-evictions"]
        assert (evictions["Threshold"], evictions["Statistic"], evictions["Period"]) == (1000, "Sum", 300)
        assert found[f"{PREFIX}-redis-{cluster}-replication-lag"]["Threshold"] == 1
        assert found[f"{PREFIX}-redis-{cluster}-swap"]["Threshold"] == 50 * 1024 ** 2
        hit_rate = found[f"{PREFIX}-redis-{cluster}-hit-rate"]
        assert (hit_rate["Threshold"], hit_rate["ComparisonOperator"]) == (80, "LessThanThreshold")
        queries = {query["Id"]: query for query in hit_rate["Metrics"]}
        assert queries["hit_rate"]["Expression"] == "100 * hits / (hits + misses)"
        assert queries["hits"]["MetricStat"]["Metric"]["MetricName"] == "CacheHits"
        assert queries["misses"]["MetricStat"]["Metric"]["Dimensions"] == [{"Name": "CacheClusterId", "Value": cluster}]


def test_actions_and_ownership_tag(prod, cloudwatch):
    for alarm in alarms(cloudwatch).values():
        assert alarm["AlarmActions"] == [TOPIC_ARN]
        assert alarm["OKActions"] == [TOPIC_ARN]
        assert alarm["InsufficientDataActions"] == []
        tags = {t["Key"]: t["Value"] for t in cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]}
        assert tags["dbfleet:alarms"] == PREFIX and tags["Environment"] == "prod"


def test_topic_is_encrypted_and_subscribed(prod, local_aws):
    sns = local_aws.client("sns", REGION)
    attributes = sns.get_topic_attributes(TopicArn=TOPIC_ARN)["Attributes"]
    assert attributes["KmsMasterKeyId"] == PROD_VARS["alarms_topic_kms_key_id"]
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=TOPIC_ARN)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [
        (s["protocol"], s["endpoint"]) for s in PROD_VARS["alarms_subscriptions"]]


def test_rds_events_and_cache_notifications_go_to_the_topic(prod, rds, elasticache):
    subscription = rds.describe_event_subscriptions(SubscriptionName=f"{PREFIX}-rds-events")["EventSubscriptionsList"][0]
    assert subscription["SnsTopicArn"] == TOPIC_ARN and subscription["Enabled"] is True
    assert sorted(subscription["SourceIdsList"]) == sorted([WRITER] + replicas(rds))
    assert {"availability", "deletion", "failover", "failure", "maintenance", "recovery"} <= set(
        subscription["EventCategoriesList"])
    for cluster in elasticache.describe_cache_clusters()["CacheClusters"]:
        if cluster.get("ReplicationGroupId") == GROUP:
            assert cluster["NotificationConfiguration"]["TopicArn"] == TOPIC_ARN


def test_dashboard_shows_every_instance_and_node(prod, cloudwatch, rds, elasticache):
    body = json.loads(cloudwatch.get_dashboard(DashboardName=f"{PREFIX}-databases")["DashboardBody"])
    shown = {metric[3] for widget in body["widgets"] for metric in widget["properties"]["metrics"]
             if isinstance(metric[0], str)}
    assert shown == {WRITER, *replicas(rds), *members(elasticache)}


def test_check_mode_makes_no_mutating_call(prod, local_aws, cloudwatch):
    before = alarms(cloudwatch)
    since = local_aws.recorder.mark()
    result = prod.run(check=True, diff=True, **NO_USERS, rds_read_replica_count=2, elasticache_num_cache_clusters=2,
                      alarms_rds_cpu_percent=70)
    assert local_aws.recorder.mutating(since) == []
    assert "Threshold" in result.stdout
    assert alarms(cloudwatch) == before


def test_changing_the_replicas_adds_and_removes_alarms(prod, local_aws, cloudwatch, rds, elasticache):
    """Replica-1 goes (deleted here: the rds role keeps a surplus replica), replica-b comes,
    one Redis node goes and the CPU threshold goes to 70, in one run: alarms and event
    sources are added, removed and updated in place (their tags re-applied). The last test
    of the skillancer_prod group: it leaves prod so."""
    gone, new = f"{WRITER}-replica-1", f"{WRITER}-replica-b"
    rds.modify_db_instance(DBInstanceIdentifier=gone, DeletionProtection=False, ApplyImmediately=True)
    rds.delete_db_instance(DBInstanceIdentifier=gone, SkipFinalSnapshot=True)
    since = local_aws.recorder.mark()
    result = prod.run(**NO_USERS, rds_read_replica_count=0, rds_read_replicas=[{"identifier": new}],
                      elasticache_num_cache_clusters=2, alarms_rds_cpu_percent=70)
    assert result.recap[HOST]["failed"] == 0
    writer_cpu = f"{PREFIX}-rds-{WRITER}-cpu"
    assert alarms(cloudwatch)[writer_cpu]["Threshold"] == 70
    tagged = [c["ids"].get("ResourceARN", "").rsplit(":", 1)[-1] for c in local_aws.recorder.mutating(since)
              if (c["service"], c["action"]) == ("monitoring", "TagResource")]
    assert writer_cpu in tagged
    tags = {t["Key"]: t["Value"] for t in cloudwatch.list_tags_for_resource(
        ResourceARN=alarms(cloudwatch)[writer_cpu]["AlarmArn"])["Tags"]}
    assert tags["dbfleet:alarms"] == PREFIX and tags["Environment"] == "prod"
    assert replicas(rds) == [new]
    clusters = members(elasticache)
    assert len(clusters) == 2
    found = alarms(cloudwatch)
    assert set(found) == expected_names(replicas(rds), clusters)
    assert f"{PREFIX}-rds-{new}-replica-lag" in found
    assert not [name for name in found if f"-{gone}-" in name]
    (removed,) = {f"{GROUP}-001", f"{GROUP}-002", f"{GROUP}-003"} - set(clusters)
    assert not [name for name in found if f"-{removed}-" in name]
    subscription = rds.describe_event_subscriptions(SubscriptionName=f"{PREFIX}-rds-events")["EventSubscriptionsList"][0]
    assert sorted(subscription["SourceIdsList"]) == [WRITER, new]
    sources = [c["action"] for c in local_aws.recorder.mutating(since) if c["action"].endswith("FromSubscription")
               or c["action"].endswith("ToSubscription")]
    assert sorted(sources) == ["AddSourceIdentifierToSubscription", "RemoveSourceIdentifierFromSubscription"]
