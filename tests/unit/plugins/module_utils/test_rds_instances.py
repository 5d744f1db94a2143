"""The rds role's instance plans (module_utils/rds_instances.py): drift, endpoints, apply status."""

from ansible_collections.dbfleet.aws.plugins.module_utils.rds_instances import CONNECTION_SECRET_KEYS
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_instances import connection_secret
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_instances import connection_secret_key_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_instances import deletion_blockers
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_instances import endpoints
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_instances import final_snapshot_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_instances import instance_drift
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_instances import parameter_apply_status

DESIRED = {"db_instance_class": "db.r6g.large", "engine_version": "15.10", "allocated_storage": 100,
           "multi_az": True, "port": 5432, "enabled_cloudwatch_logs_exports": ["postgresql", "upgrade"]}
CURRENT = {"db_instance_class": "db.r6g.large", "engine_version": "15.10", "allocated_storage": 100,
           "multi_az": True, "endpoint": {"address": "db.example", "port": 5432},
           "enabled_cloudwatch_logs_exports": ["upgrade", "postgresql"]}


def test_an_instance_as_the_inventory_says_has_no_drift():
    assert instance_drift(CURRENT, DESIRED) == {}


def test_no_instance_has_no_drift():
    assert instance_drift({}, DESIRED) == {}


def test_each_difference_names_current_and_desired():
    current = dict(CURRENT, db_instance_class="db.r6g.xlarge", multi_az=False, endpoint={"port": 5433},
                   enabled_cloudwatch_logs_exports=["postgresql"])
    assert instance_drift(current, DESIRED) == {
        "db_instance_class": {"current": "db.r6g.xlarge", "desired": "db.r6g.large"},
        "multi_az": {"current": False, "desired": True},
        "port": {"current": 5433, "desired": 5432},
        "enabled_cloudwatch_logs_exports": {"current": ["postgresql"], "desired": ["postgresql", "upgrade"]}}


def test_storage_and_versions_above_the_inventory_are_not_drift():
    assert instance_drift(dict(CURRENT, allocated_storage=150, engine_version="15.12"), DESIRED) == {}
    assert instance_drift(dict(CURRENT, allocated_storage=80, engine_version="15.8"), DESIRED) == {
        "allocated_storage": {"current": 80, "desired": 100},
        "engine_version": {"current": "15.8", "desired": "15.10"}}


INSTANCES = [
    {"db_instance_identifier": "app-db", "db_instance_status": "available",
     "endpoint": {"address": "127.10.0.1", "port": 5432},
     "db_parameter_groups": [{"db_parameter_group_name": "app-postgres16", "parameter_apply_status": "in-sync"}]},
    {"db_instance_identifier": "app-db-replica-1", "db_instance_status": "creating",
     "db_parameter_groups": [{"db_parameter_group_name": "app-postgres16", "parameter_apply_status": "pending-reboot"}]},
]


def test_endpoints_name_address_and_port_or_the_status_while_there_is_none():
    assert endpoints(INSTANCES) == {"app-db": "127.10.0.1:5432", "app-db-replica-1": "creating"}


def test_parameter_apply_status_per_instance():
    assert parameter_apply_status(INSTANCES) == {"app-db": "in-sync", "app-db-replica-1": "pending-reboot"}
    assert parameter_apply_status([{"db_instance_identifier": "x"}]) == {}


INSTANCE = {"identifier": "mosaic-prod-db", "address": "mosaic-prod-db.example", "port": 5432}
CREDENTIALS = {"username": "mosaicadmin", "password": "p@ss/w:rd"}


def test_the_connection_secret_holds_every_key_and_encodes_the_password_in_the_urls():
    secret = connection_secret(INSTANCE, CREDENTIALS, "mosaic")
    assert list(secret) == list(CONNECTION_SECRET_KEYS)
    assert secret["url"] == "postgresql://mosaicadmin:p%40ss%2Fw%3Ard@mosaic-prod-db.example:5432/mosaic"
    assert secret["sqlalchemy_url"] == "postgresql+psycopg2://mosaicadmin:p%40ss%2Fw%3Ard@mosaic-prod-db.example:5432/mosaic"
    assert (secret["host"], secret["port"], secret["dbname"], secret["password"]) == (
        "mosaic-prod-db.example", 5432, "mosaic", "p@ss/w:rd")


def test_keys_renamed_and_another_driver():
    secret = connection_secret(INSTANCE, CREDENTIALS, "mosaic", {"dbname": "database"}, "psycopg")
    assert "dbname" not in secret and secret["database"] == "mosaic"
    assert secret["sqlalchemy_url"].startswith("postgresql+psycopg://mosaicadmin:")


def test_key_rules_name_the_variable_and_the_rule():
    assert connection_secret_key_problems({"dbname": "database"}, "psycopg") == []
    assert connection_secret_key_problems({"database": "db"}, "psycopg2") == [
        "rds_connection_secret_keys: database not keys of the connection secret (engine, host, port, dbname, "
        "username, password, url, sqlalchemy_url, dbInstanceIdentifier)"]
    assert connection_secret_key_problems({"dbname": "host"}, "psycopg2") == [
        "rds_connection_secret_keys: host would name two keys of the secret"]
    assert connection_secret_key_problems({"url": " "}, "psycopg2") == [
        "rds_connection_secret_keys: url must be renamed to a non-empty name"]
    assert connection_secret_key_problems({}, "mysqlclient") == [
        "rds_sqlalchemy_driver: must be one of psycopg2, psycopg, asyncpg, pg8000, psycopg2cffi, a driver of "
        "SQLAlchemy's postgresql dialect (got 'mysqlclient')"]


def test_a_deletion_keeps_a_final_snapshot_under_a_valid_name_unless_skipped():
    assert final_snapshot_problems(True, None) == []
    assert final_snapshot_problems(False, "app-prod-final") == []
    assert final_snapshot_problems(False, None) == [
        "final_db_snapshot_identifier: required unless skip_final_snapshot is true (the deletion keeps a final snapshot)"]
    assert final_snapshot_problems(False, "app--final", "rds_skip_final_snapshot", "rds_final_snapshot_identifier") == [
        "rds_final_snapshot_identifier: must be 1-255 letters, digits or single hyphens, starting with a letter and not "
        "ending with a hyphen (got 'app--final')"]


def test_deletion_blockers_are_protection_a_replica_snapshot_and_a_taken_name():
    writer = {"DBInstanceIdentifier": "app-prod", "DeletionProtection": False}
    assert deletion_blockers(writer, False) == []
    assert deletion_blockers(dict(writer, DeletionProtection=True), True, "app-prod-final") == [
        "app-prod has deletion protection; turn it off on a previous run (rds_deletion_protection: false)",
        "final snapshot app-prod-final exists already; choose another identifier or delete that snapshot"]
    replica = {"DBInstanceIdentifier": "app-prod-replica-1", "ReadReplicaSourceDBInstanceIdentifier": "app-prod"}
    assert deletion_blockers(replica, True) == []
    assert deletion_blockers(replica, False) == [
        "app-prod-replica-1 is a read replica: RDS takes no final snapshot of one, set skip_final_snapshot"]
