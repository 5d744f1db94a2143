"""The aldeia fleet (reference document 001, examples/aldeia): prod provisioned on the local
endpoint as `make demo FLEET=aldeia ENV=prod` does, and the document's figures read back
through boto3, the real PostgreSQL and the real Redis: names, sizes and windows, the
tuned parameter groups, Redis nodes in the zones the document names, the DATABASE_URL
secret, the alarm thresholds with the memory warning and critical levels. The expected
values are the document's, written here. The last test moves the nodes' zones and back.
"""

from contextlib import closing

import psycopg2
import pytest

from conftest import db_parameters, describe_db_instance, read_secret, redis_connect

XDIST_GROUP = "aldeia_prod"
REGION = "us-east-1"
HOST = "prod-us-east-1"
WRITER = "aldeia-prod-db"
GROUP = "aldeia-prod-redis"
TOPIC = f"arn:aws:sns:{REGION}:123456789012:aldeia-prod-alarms"
GIB, MIB = 1024 ** 3, 1024 ** 2


@pytest.fixture(scope="module")
def prod(example_fleet):
    return example_fleet("aldeia", "prod")


def node_zones(elasticache):
    """{cache cluster id: (role, zone)} of the group's nodes."""
    group = elasticache.describe_replication_groups(ReplicationGroupId=GROUP)["ReplicationGroups"][0]
    return {member["CacheClusterId"]: (member["CurrentRole"], member["PreferredAvailabilityZone"])
            for member in group["NodeGroups"][0]["NodeGroupMembers"]}


def test_rds_production_environment(prod, rds):
    writer = describe_db_instance(rds, WRITER)
    assert (writer["DBInstanceClass"], writer["EngineVersion"], writer["DBName"], writer["MasterUsername"]) == (
        "db.t3.large", "15.4", "aldeia_production", "aldeia_admin")
    assert (writer["StorageType"], writer["AllocatedStorage"], writer["MaxAllocatedStorage"]) == ("gp3", 100, 500)
    assert writer["MultiAZ"] is True and writer["DeletionProtection"] is True
    assert (writer["BackupRetentionPeriod"], writer["PreferredBackupWindow"],
            writer["PreferredMaintenanceWindow"]) == (30, "03:00-04:00", "sun:04:00-sun:05:00")
    assert writer["MonitoringInterval"] == 60
    assert (writer["PerformanceInsightsEnabled"], writer["PerformanceInsightsRetentionPeriod"]) == (True, 7)
    assert writer["DBSubnetGroup"]["DBSubnetGroupName"] == "aldeia-prod-db-subnet-group"
    assert writer["PubliclyAccessible"] is False and writer["StorageEncrypted"] is True


def test_postgres_parameter_group(prod, rds):
    (group,) = describe_db_instance(rds, WRITER)["DBParameterGroups"]
    assert group["DBParameterGroupName"] == "aldeia-postgres15-prod"
    found = db_parameters(rds, "aldeia-postgres15-prod")
    assert {name: found[name] for name in (
        "shared_buffers", "effective_cache_size", "max_connections", "work_mem", "maintenance_work_mem",
        "random_page_cost", "log_min_duration_statement", "log_connections", "log_disconnections", "log_lock_waits",
        "log_temp_files", "rds.force_ssl")} == {
        "shared_buffers": "{DBInstanceClassMemory/32768}", "effective_cache_size": "{DBInstanceClassMemory*3/32768}",
        "max_connections": "200", "work_mem": "8192", "maintenance_work_mem": "262144", "random_page_cost": "1.1",
        "log_min_duration_statement": "1000", "log_connections": "1", "log_disconnections": "1",
        "log_lock_waits": "1", "log_temp_files": "0", "rds.force_ssl": "1"}
    assert "pg_stat_statements" in found["shared_preload_libraries"].split(",")


def test_database_url_from_the_backend_secret(prod, local_aws):
    secret = read_secret(local_aws, "production/database/credentials", REGION)
    assert "url" not in secret
    assert secret["DATABASE_URL"].startswith("postgresql://aldeia_admin:")
    with closing(psycopg2.connect(secret["DATABASE_URL"], connect_timeout=10)) as db, db.cursor() as cursor:
        cursor.execute("SELECT current_user, current_database()")
        assert cursor.fetchone() == ("aldeia_admin", "aldeia_production")


def test_redis_production_environment(prod, elasticache, local_aws):
    group = elasticache.describe_replication_groups(ReplicationGroupId=GROUP)["ReplicationGroups"][0]
    assert (group["CacheNodeType"], len(group["MemberClusters"])) == ("cache.t3.small", 2)
    assert (group["AutomaticFailover"], group["MultiAZ"]) == ("enabled", "enabled")
    assert (group["SnapshotRetentionLimit"], group["SnapshotWindow"]) == (14, "03:00-05:00")
    assert group["AuthTokenEnabled"] and group["TransitEncryptionEnabled"] and group["AtRestEncryptionEnabled"]
    # Primary node us-east-1a, replica node us-east-1b.
    assert sorted(node_zones(elasticache).values()) == [("primary", "us-east-1a"), ("replica", "us-east-1b")]
    cluster = elasticache.describe_cache_clusters(CacheClusterId=group["MemberClusters"][0])["CacheClusters"][0]
    assert (cluster["EngineVersion"].split(".")[:2], cluster["CacheParameterGroup"]["CacheParameterGroupName"],
            cluster["CacheSubnetGroupName"]) == (["7", "0"], "aldeia-redis7-prod", "aldeia-prod-redis-subnet-group")
    # The parameter group, as the primary runs it.
    connection = read_secret(local_aws, "aldeia/prod/redis/connection", REGION)
    client = redis_connect((connection["primary_endpoint"], int(connection["port"])), connection["auth_token"])
    config = {name: client.config_get(name)[name]
              for name in ("maxmemory-policy", "timeout", "tcp-keepalive", "maxmemory-samples")}
    assert config == {"maxmemory-policy": "allkeys-lru", "timeout": "300", "tcp-keepalive": "300",
                      "maxmemory-samples": "5"}
    assert sorted(client.config_get("notify-keyspace-events")["notify-keyspace-events"]) == sorted("Ex")


def test_alarm_thresholds_and_the_memory_levels(prod, local_aws, cloudwatch):
    pages = cloudwatch.get_paginator("describe_alarms").paginate(AlarmNamePrefix="aldeia-prod-")
    found = {alarm["AlarmName"]: alarm for page in pages for alarm in page["MetricAlarms"]}
    rds = {key: found[f"aldeia-prod-rds-{WRITER}-{key}"]["Threshold"] for key in (
        "cpu", "freeable-memory", "free-storage", "connections", "read-latency", "write-latency")}
    assert rds == {"cpu": 75, "freeable-memory": 512 * MIB, "free-storage": 5 * GIB, "connections": 180,
                   "read-latency": 0.01, "write-latency": 0.01}
    for node in ("aldeia-prod-redis-001", "aldeia-prod-redis-002"):
        prefix = f"aldeia-prod-redis-{node}-"
        assert {name[len(prefix):] for name in found if name.startswith(prefix)} == {
            "cpu", "evictions", "swap", "memory-warning", "memory-critical"}
        assert (found[prefix + "cpu"]["Threshold"], found[prefix + "evictions"]["Threshold"],
                found[prefix + "swap"]["Threshold"]) == (70, 0, 50 * MIB)
        warning, critical = found[prefix + "memory-warning"], found[prefix + "memory-critical"]
        assert (warning["Threshold"], warning["AlarmActions"], warning["OKActions"]) == (75, [TOPIC], [])
        assert (critical["Threshold"], critical["AlarmActions"], critical["OKActions"]) == (85, [TOPIC], [TOPIC])
        assert critical["MetricName"] == warning["MetricName"] == "DatabaseMemoryUsagePercentage"
    assert all((alarm["Period"], alarm["EvaluationPeriods"]) == (300, 2) for alarm in found.values())


def test_a_zone_no_node_can_move_to_is_refused_before_any_change(prod, local_aws):
    since = local_aws.recorder.mark()
    result = prod.run(only=["elasticache"], expect_rc=2, elasticache_availability_zones=["us-east-1a", "us-east-1c"])
    assert "elasticache_availability_zones: the nodes are in us-east-1a, us-east-1b, us-east-1a, us-east-1c " \
           "wanted; ElastiCache cannot move a node" in " ".join(result.stdout.split())
    assert local_aws.recorder.mutating(since) == []


def test_a_replica_added_in_the_zone_named_and_removed_again(prod, elasticache):
    prod.run(only=["elasticache"], elasticache_num_cache_clusters=3,
             elasticache_availability_zones=["us-east-1a", "us-east-1b", "us-east-1c"])
    assert sorted(zone for _role, zone in node_zones(elasticache).values()) == [
        "us-east-1a", "us-east-1b", "us-east-1c"]
    prod.run(only=["elasticache"])
    assert sorted(node_zones(elasticache).values()) == [("primary", "us-east-1a"), ("replica", "us-east-1b")]
