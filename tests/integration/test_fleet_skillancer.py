"""The skillancer fleet (reference document 000, examples/skillancer): its prod environment
provisioned on the local endpoint as `make demo FLEET=skillancer ENV=prod` does, and the
document's figures read back through boto3, the real PostgreSQL and the real Redis.

The expected values are the document's, written here (examples/skillancer/README.md maps
each to its variable); the alarm thresholds are asserted in test_fleet_skillancer_alarms.py, on the same
environment.
"""

from contextlib import closing

import pytest

from conftest import db_parameters, describe_db_instance, pg_connect, read_secret, redis_connect

XDIST_GROUP = "skillancer_prod"
REGION = "us-east-1"
WRITER = GROUP = "skillancer-prod"


@pytest.fixture(scope="module")
def prod(example_fleet):
    return example_fleet("skillancer", "prod")


def test_rds_production_column(prod, rds):
    writer = describe_db_instance(rds, WRITER)
    assert (writer["DBInstanceClass"], writer["StorageType"], writer["AllocatedStorage"],
            writer["MaxAllocatedStorage"]) == ("db.r6g.large", "gp3", 100, 500)
    assert writer["MultiAZ"] is True and writer["StorageEncrypted"] is True
    assert writer["DeletionProtection"] is True
    assert writer["BackupRetentionPeriod"] == 30
    assert writer["PreferredBackupWindow"] == "03:00-04:00"
    assert writer["PreferredMaintenanceWindow"] == "mon:04:00-mon:05:00"
    assert writer["PerformanceInsightsEnabled"] is True
    assert writer["PerformanceInsightsRetentionPeriod"] == 731    # 2 years
    assert (writer["Engine"], writer["DBName"]) == ("postgres", "skillancer")
    replicas = [describe_db_instance(rds, identifier) for identifier in writer["ReadReplicaDBInstanceIdentifiers"]]
    assert [(r["DBInstanceIdentifier"], r["DBInstanceClass"]) for r in replicas] == [
        ("skillancer-prod-replica-1", "db.r6g.large")]


def test_postgresql_parameters(prod, rds):
    group = describe_db_instance(rds, WRITER)["DBParameterGroups"][0]["DBParameterGroupName"]
    found = db_parameters(rds, group)
    # The document's values, in the units RDS takes (README: shared_buffers, wal_buffers);
    # the effective values, whether set in the group or the family's defaults.
    assert {name: found.get(name) for name in (
        "shared_buffers", "effective_cache_size", "work_mem", "maintenance_work_mem",
        "checkpoint_completion_target", "wal_buffers", "random_page_cost", "effective_io_concurrency",
        "max_connections")} == {
        "shared_buffers": "{DBInstanceClassMemory/32768}",
        "effective_cache_size": "{DBInstanceClassMemory*3/32768}",
        "work_mem": "65536", "maintenance_work_mem": "524288", "checkpoint_completion_target": "0.9",
        "wal_buffers": "2048", "random_page_cost": "1.1", "effective_io_concurrency": "200",
        "max_connections": "200"}
    assert found["rds.force_ssl"] == "1"


def test_redis_production_column(prod, elasticache):
    group = elasticache.describe_replication_groups(ReplicationGroupId=GROUP)["ReplicationGroups"][0]
    assert group["CacheNodeType"] == "cache.r6g.large"
    assert len(group["MemberClusters"]) == 3
    assert (group["AutomaticFailover"], group["MultiAZ"]) == ("enabled", "enabled")
    assert group["SnapshotRetentionLimit"] == 30 and group["SnapshotWindow"] == "04:00-05:00"
    assert group["AtRestEncryptionEnabled"] is True and group["TransitEncryptionEnabled"] is True
    assert group["AuthTokenEnabled"] is True
    cluster = elasticache.describe_cache_clusters(CacheClusterId=group["MemberClusters"][0])["CacheClusters"][0]
    assert cluster["PreferredMaintenanceWindow"] == "sun:05:00-sun:06:00"


def test_redis_parameters_in_the_running_server(prod, local_aws):
    """The document's Redis parameters, as the primary node runs them."""
    connection = read_secret(local_aws, "skillancer/prod/redis/connection", REGION)
    token = read_secret(local_aws, "skillancer/prod/redis/auth-token", REGION)["auth_token"]
    assert connection["auth_token"] == token
    client = redis_connect((connection["primary_endpoint"], int(connection["port"])), password=token)
    config = {name: client.config_get(name)[name]
              for name in ("maxmemory-policy", "timeout", "tcp-keepalive", "notify-keyspace-events")}
    # Redis reports the event classes in its own order ("AKE" is "AKE" after expansion).
    assert sorted(config.pop("notify-keyspace-events")) == sorted("AKE")
    assert config == {"maxmemory-policy": "volatile-lru", "timeout": "300", "tcp-keepalive": "300"}


def test_connection_secret_has_the_keys_the_application_reads(prod, local_aws, rds):
    """`postgresql://${username}:${password}@${host}:${port}/${dbname}` from
    skillancer/prod/rds/credentials, as the document's TypeScript builds it."""
    secret = read_secret(local_aws, "skillancer/prod/rds/credentials", REGION)
    endpoint = describe_db_instance(rds, WRITER)["Endpoint"]
    expected = (endpoint["Address"], endpoint["Port"], "skillancer")
    assert (secret["host"], int(secret["port"]), secret["dbname"]) == expected
    with closing(pg_connect(secret["host"], secret["port"], secret["username"], secret["password"],
                            secret["dbname"])) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone() == ("skillancer_admin",)


def test_users_and_their_grants(prod, local_aws):
    """Access Control: skillancer_app reads and writes the tables of public,
    skillancer_readonly only reads them; neither is the master user."""
    admin = read_secret(local_aws, "skillancer/prod/rds/credentials", REGION)
    with closing(pg_connect(admin["host"], admin["port"], admin["username"], admin["password"],
                            admin["dbname"])) as connection, connection.cursor() as cursor:
        # A table the application's migrations would create, after the users.
        cursor.execute("CREATE TABLE IF NOT EXISTS public.fleet_check (id int)")
        privileges = {}
        for user in ("skillancer_app", "skillancer_readonly"):
            cursor.execute(
                "SELECT has_database_privilege(%(u)s, 'skillancer', 'CONNECT'),"
                " has_schema_privilege(%(u)s, 'public', 'USAGE'),"
                " array(SELECT p FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) p"
                "       WHERE has_table_privilege(%(u)s, 'public.fleet_check', p)),"
                " (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = %(u)s)", {"u": user})
            privileges[user] = cursor.fetchone()
        cursor.execute("DROP TABLE public.fleet_check")
    assert privileges == {
        "skillancer_app": (True, True, ["SELECT", "INSERT", "UPDATE", "DELETE"], False),
        "skillancer_readonly": (True, True, ["SELECT"], False)}
    for user in ("skillancer_app", "skillancer_readonly"):
        secret = read_secret(local_aws, f"skillancer/prod/rds/users/{user}", REGION)
        with closing(pg_connect(secret["host"], secret["port"], user, secret["password"], "skillancer")):
            pass
