"""The rds role's instance plans (module_utils/rds_instances.py): drift, endpoints, apply status."""

from ansible_collections.dbfleet.aws.plugins.module_utils.rds_instances import endpoints
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
