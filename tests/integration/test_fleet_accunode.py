"""The accunode fleet (reference document 002, examples/accunode): prod provisioned on the
local endpoint as `make demo FLEET=accunode ENV=prod` does (the DR replica left to the dr
role's tests), and the document's figures read back through boto3, the real PostgreSQL and
the real Redis: the instance with its replicas in their zones and its converted parameter
group, the Redis nodes and listpack parameters, the users with their grants, IAM
authentication and row-level security, the alarms. The expected values are the
document's, written here.
"""

from contextlib import closing

import psycopg2
import pytest

from conftest import ansible_environment, db_parameters, describe_db_instance, read_secret, redis_connect

XDIST_GROUP = "accunode_prod"
REGION = "us-east-1"
WRITER = "accunode-db-prod"
GROUP = "accunode-redis-prod"
# Scoped runs are limited to the primary host: the DR host keeps every role off.
PRIMARY = "prod-us-east-1"
REPLICAS = {"accunode-db-replica-analytics": "us-east-1c", "accunode-db-replica-reports": "us-east-1d"}
# The document's schema, as the application's migrations create it (trimmed to the columns
# the row-level security policies read).
SCHEMA = """
CREATE TABLE IF NOT EXISTS organizations (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name varchar(255));
CREATE TABLE IF NOT EXISTS users (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                                  organization_id uuid REFERENCES organizations(id));
CREATE TABLE IF NOT EXISTS companies (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                                      organization_id uuid REFERENCES organizations(id), name varchar(255));
CREATE TABLE IF NOT EXISTS annual_predictions (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                                               company_id uuid REFERENCES companies(id), probability decimal);
CREATE OR REPLACE FUNCTION company_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM companies';
"""


@pytest.fixture(scope="module")
def prod(example_fleet):
    return example_fleet("accunode", "prod")


def master(local_aws):
    secret = read_secret(local_aws, "accunode/prod/rds/credentials", REGION)
    return psycopg2.connect(secret["url"], connect_timeout=10)


def test_the_production_instance(prod, rds, local_aws):
    writer = describe_db_instance(rds, WRITER)
    assert (writer["DBInstanceClass"], writer["EngineVersion"], writer["AllocatedStorage"],
            writer["StorageType"]) == ("db.r6g.xlarge", "15.4", 500, "gp3")
    assert writer["MultiAZ"] and writer["StorageEncrypted"] and writer["DeletionProtection"]
    assert (writer["BackupRetentionPeriod"], writer["PreferredBackupWindow"],
            writer["PreferredMaintenanceWindow"]) == (30, "03:00-04:00", "sun:04:00-sun:05:00")
    assert writer["CopyTagsToSnapshot"] is True and writer["PubliclyAccessible"] is False
    assert (writer["PerformanceInsightsEnabled"], writer["PerformanceInsightsRetentionPeriod"],
            writer["PerformanceInsightsKMSKeyId"]) == (True, 7, "alias/accunode-prod-pi")
    assert writer["IAMDatabaseAuthenticationEnabled"] is True
    assert (writer["DBSubnetGroup"]["DBSubnetGroupName"], writer["MasterUsername"], writer["DBName"]) == (
        "accunode-db-subnet-group-prod", "postgres", "accunode_prod")
    assert read_secret(local_aws, "accunode/database/master-credentials", REGION)["username"] == "postgres"
    replicas = {identifier: describe_db_instance(rds, identifier) for identifier in
                writer["ReadReplicaDBInstanceIdentifiers"]}
    assert {identifier: (replica["DBInstanceClass"], replica["AvailabilityZone"])
            for identifier, replica in replicas.items()} == {
        identifier: ("db.r6g.large", zone) for identifier, zone in REPLICAS.items()}


def test_the_parameter_group_in_rds_units(prod, rds):
    found = db_parameters(rds, "accunode-postgres-params-prod")
    assert {name: found[name] for name in (
        "shared_buffers", "effective_cache_size", "maintenance_work_mem", "work_mem", "wal_buffers",
        "checkpoint_timeout", "max_wal_size", "min_wal_size", "max_parallel_workers_per_gather", "log_statement",
        "shared_preload_libraries", "rds.force_ssl")} == {
        "shared_buffers": "1048576", "effective_cache_size": "3145728", "maintenance_work_mem": "2097152",
        "work_mem": "65536", "wal_buffers": "2048", "checkpoint_timeout": "600", "max_wal_size": "4096",
        "min_wal_size": "1024", "max_parallel_workers_per_gather": "4", "log_statement": "mod",
        "shared_preload_libraries": "pg_stat_statements,pg_cron", "rds.force_ssl": "1"}


def test_redis_nodes_zones_and_listpack_parameters(prod, local_aws, elasticache):
    group = elasticache.describe_replication_groups(ReplicationGroupId=GROUP)["ReplicationGroups"][0]
    members = group["NodeGroups"][0]["NodeGroupMembers"]
    assert sorted(member["PreferredAvailabilityZone"] for member in members) == [
        "us-east-1a", "us-east-1b", "us-east-1c"]
    assert (group["CacheNodeType"], group["SnapshotRetentionLimit"], group["SnapshotWindow"]) == (
        "cache.r6g.large", 5, "03:00-05:00")
    token = read_secret(local_aws, "accunode/redis/auth-token", REGION)["auth_token"]
    assert len(token) == 128
    connection = read_secret(local_aws, "accunode/prod/redis/connection", REGION)
    client = redis_connect((connection["primary_endpoint"], int(connection["port"])), token)
    names = ("maxmemory-policy", "hash-max-listpack-entries", "hash-max-listpack-value", "list-max-listpack-size",
             "set-max-intset-entries", "zset-max-listpack-entries", "zset-max-listpack-value",
             "slowlog-log-slower-than", "slowlog-max-len")
    assert {name: client.config_get(name)[name] for name in names} == {
        "maxmemory-policy": "allkeys-lru", "hash-max-listpack-entries": "512", "hash-max-listpack-value": "64",
        "list-max-listpack-size": "-2", "set-max-intset-entries": "512", "zset-max-listpack-entries": "128",
        "zset-max-listpack-value": "64", "slowlog-log-slower-than": "10000", "slowlog-max-len": "128"}


def test_the_document_ziplist_names_are_refused_before_any_change(prod, local_aws):
    since = local_aws.recorder.mark()
    result = prod.run(only=["elasticache"], limit=PRIMARY, expect_rc=2,
                      elasticache_parameters={"hash-max-ziplist-entries": 512})
    assert ("elasticache_parameters.hash-max-ziplist-entries: not a parameter of family redis7, which calls it "
            "hash-max-listpack-entries") in " ".join(result.stdout.split())
    assert local_aws.recorder.mutating(since) == []


def test_users_grants_and_the_app_secret(prod, local_aws):
    app = read_secret(local_aws, "accunode/database/app-credentials", REGION)
    assert {"username", "password", "dbname", "host", "port"} <= set(app)
    assert (app["username"], app["dbname"]) == ("app_user", "accunode_prod")
    with closing(master(local_aws)) as db, db.cursor() as cursor:
        db.autocommit = True
        cursor.execute(SCHEMA)
        cursor.execute("""
            SELECT u, has_table_privilege(u, 'public.companies', 'INSERT'), has_table_privilege(u, 'public.companies',
                   'SELECT'), has_function_privilege(u, 'public.company_count()', 'EXECUTE'),
                   pg_has_role(u, 'rds_iam', 'MEMBER')
            FROM unnest(ARRAY['app_user', 'readonly_user', 'analytics_user']) AS u ORDER BY u""")
        # EXECUTE of the others is PostgreSQL's default grant to PUBLIC, which the document keeps.
        assert [row[:3] + row[4:] for row in cursor.fetchall()] == [
            ("analytics_user", False, True, False), ("app_user", True, True, True),
            ("readonly_user", False, True, False)]
        cursor.execute("SELECT has_function_privilege('analytics_user', 'public.company_count()', 'EXECUTE')")
        assert cursor.fetchone() == (True,)


def test_row_level_security_and_the_iam_connect_policy(prod, local_aws, rds):
    """Once the tables exist (the previous test), the next run applies the document's two
    policies; its result holds the rds-db:connect policy, by the instance's resource id."""
    verbose = {**ansible_environment(local_aws), "ANSIBLE_VERBOSITY": "1"}
    result = prod.run(only=["db_users"], limit=PRIMARY, env=verbose)
    with closing(master(local_aws)) as db, db.cursor() as cursor:
        cursor.execute("SELECT tablename, policyname, roles::text[], cmd FROM pg_policies ORDER BY tablename")
        assert cursor.fetchall() == [("annual_predictions", "prediction_access_policy", ["app_user"], "ALL"),
                                     ("companies", "company_org_policy", ["app_user"], "ALL")]
        cursor.execute("SELECT relname FROM pg_class WHERE relrowsecurity ORDER BY relname")
        assert [row[0] for row in cursor.fetchall()] == ["annual_predictions", "companies"]
    resource_id = describe_db_instance(rds, WRITER)["DbiResourceId"]
    user_arn = f"arn:aws:rds-db:{REGION}:123456789012:dbuser:{resource_id}/"
    assert "rds-db:connect" in result.stdout and user_arn + "app_user" in result.stdout
    assert user_arn + "readonly_user" not in result.stdout and user_arn + "analytics_user" not in result.stdout


def test_alarms_of_the_document(prod, local_aws, cloudwatch):
    pages = cloudwatch.get_paginator("describe_alarms").paginate(AlarmNamePrefix="accunode-prod-")
    found = {alarm["AlarmName"]: alarm for page in pages for alarm in page["MetricAlarms"]}
    for instance in [WRITER, *REPLICAS]:
        assert found.pop(f"accunode-prod-rds-{instance}-cpu")["Threshold"] == 80
        assert found.pop(f"accunode-prod-rds-{instance}-connections")["Threshold"] == 160
    for node in ("001", "002", "003"):
        prefix = f"accunode-prod-redis-{GROUP}-{node}-"
        assert (found.pop(prefix + "cpu")["Threshold"], found.pop(prefix + "memory")["Threshold"],
                found.pop(prefix + "evictions")["Threshold"]) == (75, 85, 100)
    assert found == {}
