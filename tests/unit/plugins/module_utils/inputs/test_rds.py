"""The rds role's input rules (plugins/module_utils/inputs/rds.py) on the local inventory's
variables, broken one at a time."""

import json

import pytest
import yaml

from ansible_collections.dbfleet.aws.plugins.module_utils.engine_options import orderable_instance_classes
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import Values
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.rds import instance_classes_used
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.rds import master_username_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.rds import offering_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.rds import problems
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_instances import instances_pending_reboot
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_instances import replica_specs
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_parameters import spec_from_rds

from conftest import REPO_ROOT

LOCAL = yaml.safe_load((REPO_ROOT / "inventories/local/group_vars/local/rds.yml").read_text())


def values(**changes):
    return Values({"rds_identifier": "dbfleet-local", "rds_state": "present", "rds_parameter_group_family": "postgres15",
                   **LOCAL, **changes})


def test_the_local_inventory_passes():
    assert problems(values()) == []


@pytest.mark.parametrize("name", ["postgres", "dbfleet_admin", "Admin1", "a" * 63])
def test_master_usernames_aws_accepts(name):
    assert master_username_problems(name) == []


@pytest.mark.parametrize("name, rule", [
    ("1admin", "starting with a letter"), ("a" * 64, "1-63"), ("admin-user", "letters, digits or underscores"),
    ("user", "reserved word"), ("SELECT", "reserved word"), ("rdsadmin", "reserved by RDS"),
    ("rds_superuser", "reserved by RDS"), ("pg_admin", "reserved by RDS"),
])
def test_master_usernames_aws_refuses(name, rule):
    (problem,) = master_username_problems(name)
    assert problem.startswith("rds_master_username: ") and rule in problem


@pytest.mark.parametrize("changes, expected", [
    ({"rds_backup_retention_period": 36}, "rds_backup_retention_period: must be between 0 and 35 days (got 36)"),
    ({"rds_engine_version": "14.10"}, "rds_parameter_group_family: must be postgres14, the family of "
                                      "rds_engine_version 14.10 (got 'postgres15')"),
    ({"rds_instance_class": "db.r6g..large"}, "rds_instance_class: must look like db.r6g.large"),
    ({"rds_port": 1149}, "rds_port: must be between 1150 and 65535 (got 1149)"),
    ({"rds_allocated_storage": 100, "rds_max_allocated_storage": 100},
     "rds_max_allocated_storage: must be 0 (no autoscaling) or above rds_allocated_storage 100 (got 100)"),
    ({"rds_backup_window": "03:00-03:20"}, "rds_backup_window: must be at least 30 minutes long"),
    ({"rds_performance_insights_retention_period": 30},
     "rds_performance_insights_retention_period: must be 7, a multiple of 31 up to 713, or 731 (got 30)"),
    ({"rds_allowed_cidrs": ["10.0.0.0/16", "0.0.0.0/0"]}, "rds_allowed_cidrs: must not contain 0.0.0.0/0"),
    ({"rds_subnet_ids": ["subnet-0123456789abcdef0"]}, "rds_subnet_ids: must be real ids"),
    ({"rds_read_replica_count": 16}, "rds_read_replica_count: must be between 0 and 15 (got 16)"),
    ({"rds_read_replica_count": 1, "rds_backup_retention_period": 0},
     "rds_backup_retention_period: read replicas need backups"),
    ({"rds_read_replicas": [{"identifier": "dbfleet-local"}], "rds_read_replica_count": 0},
     "rds_read_replicas: replica identifiers must be unique and differ from rds_identifier"),
    ({"rds_identifier": "Dbfleet--x"}, "rds_identifier: must be 1-63 lowercase letters"),
])
def test_each_rule_names_its_variable(changes, expected):
    found = problems(values(**changes))
    assert [problem for problem in found if problem.startswith(expected)], found


def test_overlapping_windows_are_refused_and_touching_ones_are_not():
    assert problems(values(rds_backup_window="03:00-04:00", rds_maintenance_window="mon:04:00-mon:05:00")) == []
    (problem,) = problems(values(rds_backup_window="03:00-04:30", rds_maintenance_window="mon:04:00-mon:05:00"))
    assert problem == "rds_backup_window: 03:00-04:30 overlaps rds_maintenance_window mon:04:00-mon:05:00"


def test_deletion_needs_its_confirmation_and_nothing_else():
    assert problems(values(rds_state="absent", rds_port=1)) == [
        "rds_confirm_deletion: rds_state absent deletes dbfleet-local and its replicas; "
        "set rds_confirm_deletion to dbfleet-local to confirm"]
    confirmed = values(rds_state="absent", rds_confirm_deletion="dbfleet-local", rds_port=1)
    assert problems(confirmed) == ["rds_final_snapshot_identifier: required unless rds_skip_final_snapshot is true "
                                   "(the deletion keeps a final snapshot)"]
    assert problems(Values(confirmed, rds_final_snapshot_identifier="dbfleet-local-final")) == []
    assert problems(Values(confirmed, rds_skip_final_snapshot=True)) == []


def test_missing_or_wrongly_typed_variables_skip_their_rules():
    assert problems(Values({"rds_port": 80})) == ["rds_port: must be between 1150 and 65535 (got 80)"]


def test_replica_specs_from_a_count_or_a_list():
    assert replica_specs({"rds_identifier": "db", "rds_read_replica_count": 2, "rds_replica_instance_class": "db.t4g.micro"}) == [
        {"identifier": "db-replica-1", "instance_class": "db.t4g.micro", "availability_zone": ""},
        {"identifier": "db-replica-2", "instance_class": "db.t4g.micro", "availability_zone": ""}]
    listed = [{"availability_zone": "us-east-1b"}, {"identifier": "r", "instance_class": "db.r6g.large"}]
    assert replica_specs({"rds_identifier": "db", "rds_read_replicas": listed,
                          "rds_replica_instance_class": "db.t4g.micro"}) == [
        {"identifier": "db-replica-1", "instance_class": "db.t4g.micro", "availability_zone": "us-east-1b"},
        {"identifier": "r", "instance_class": "db.r6g.large", "availability_zone": ""}]


def test_instances_pending_reboot():
    instances = [{"db_instance_identifier": "a", "db_parameter_groups": [{"parameter_apply_status": "pending-reboot"}]},
                 {"db_instance_identifier": "b", "db_parameter_groups": [{"parameter_apply_status": "in-sync"}]},
                 {"db_instance_identifier": "c"}]
    assert instances_pending_reboot(instances) == ["a"]


# --- against what AWS offers --------------------------------------------------------------

OFFERED = ["db.m6g.large", "db.r6g.large", "db.r6g.xlarge", "db.t3.micro"]
POSTGRES15 = {parameter["ParameterName"]: spec_from_rds(parameter) for parameter in
              json.loads((REPO_ROOT / "tools/local_aws/data/rds_parameters_postgres15.json").read_text())}


def test_offered_classes_and_valid_parameters_pass():
    assert offering_problems(values(rds_parameters={"max_connections": 200, "log_min_duration_statement": 500}),
                             OFFERED, POSTGRES15, running_version="15.10") == []


def test_a_class_that_is_not_offered_names_the_closest_one():
    found = offering_problems(values(rds_instance_class="db.r6g.larg", rds_replica_instance_class="db.r6g.large"),
                              OFFERED, POSTGRES15)
    assert found == ["rds_instance_class: db.r6g.larg is not offered for postgres 15.10 in this region; "
                     "did you mean db.r6g.large?"]


def test_listed_replicas_are_checked_one_by_one():
    found = offering_problems(values(rds_read_replicas=[{"instance_class": "db.r6g.large"},
                                                        {"instance_class": "db.x9.huge"}]), OFFERED, POSTGRES15)
    assert found == ["rds_read_replicas[1].instance_class: db.x9.huge is not offered for postgres 15.10 in this region"]


def test_no_class_at_all_means_the_version_is_wrong():
    (problem,) = offering_problems(values(rds_engine_version="15.99"), [], POSTGRES15)
    assert problem.startswith("rds_engine_version: RDS offers no DB instance class for postgres 15.99")


def test_the_classes_used_are_the_writer_s_and_the_replicas():
    assert instance_classes_used(values(rds_instance_class="db.r6g.large", rds_replica_instance_class="db.t3.micro")) \
        == ["db.r6g.large", "db.t3.micro"]
    listed = values(rds_instance_class="db.r6g.large", rds_replica_instance_class="db.t3.micro",
                    rds_read_replicas=[{"instance_class": "db.r6g.xlarge"}, {"identifier": "r2"}])
    assert instance_classes_used(listed) == ["db.r6g.large", "db.r6g.xlarge"]


class OrderableOptions:
    """DescribeOrderableDBInstanceOptions over OFFERED, one page of everything or one class."""

    def __init__(self):
        self.filtered = []

    def describe_orderable_db_instance_options(self, DBInstanceClass, aws_retry, **_filters):
        self.filtered.append(DBInstanceClass)
        return {"OrderableDBInstanceOptions": [{"DBInstanceClass": DBInstanceClass}] if DBInstanceClass in OFFERED else []}


def test_classes_are_looked_up_by_name_and_all_are_listed_only_when_one_is_missing(monkeypatch):
    from ansible_collections.dbfleet.aws.plugins.module_utils import engine_options
    client = OrderableOptions()
    pages = []
    monkeypatch.setattr(engine_options, "paginated_query_with_retries",
                        lambda *args, **kwargs: pages.append(kwargs) or {
                            "OrderableDBInstanceOptions": [{"DBInstanceClass": name} for name in OFFERED]})
    assert orderable_instance_classes(client, "postgres", "15.10", ["db.t3.micro", "db.t3.micro"]) == ["db.t3.micro"]
    assert (client.filtered, pages) == (["db.t3.micro"], [])
    assert orderable_instance_classes(client, "postgres", "15.10", ["db.r6g.larg"]) == sorted(set(OFFERED))
    assert pages == [{"Engine": "postgres", "EngineVersion": "15.10"}]


def test_unknown_and_invalid_parameters_are_each_named():
    found = offering_problems(values(rds_parameters={"max_conections": 200, "log_min_duration_statement": "soon"}),
                              OFFERED, POSTGRES15)
    assert len(found) == 2
    assert found[0].startswith("rds_parameters.log_min_duration_statement: ")
    assert found[1] == "rds_parameters.max_conections: unknown parameter for family postgres15 (did you mean max_connections?)"


@pytest.mark.parametrize("wanted, running, lower", [
    ("14.10", "15.10", True), ("15.9", "15.10", True), ("15.10", "15.10", False), ("15.12", "15.10", False)])
def test_a_version_below_the_running_one_is_refused(wanted, running, lower):
    found = offering_problems(values(rds_engine_version=wanted, rds_parameter_group_family="postgres" + wanted.split(".")[0]),
                              OFFERED, None, running_version=running)
    assert found == (["rds_engine_version: %s is lower than %s, the version dbfleet-local runs; RDS cannot downgrade "
                      "(restore a snapshot into a new instance instead)" % (wanted, running)] if lower else [])


def test_a_major_upgrade_is_not_a_provision_change():
    """RDS refuses a new major without AllowMajorVersionUpgrade, and the family's parameter
    group changes with it: refused before any write, the writer left on its version."""
    found = offering_problems(values(rds_engine_version="16.3", rds_parameter_group_family="postgres16"),
                              OFFERED, None, running_version="15.10")
    assert found == ["rds_engine_version: 16.3 is a major upgrade of dbfleet-local, which runs 15.10; provision.yml "
                     "moves minor versions only: a major upgrade changes the parameter group's family and needs "
                     "AllowMajorVersionUpgrade, a snapshot first and the upgrade's own checks and downtime"]


@pytest.mark.parametrize("changes", [
    {},  # gp3 at its baseline
    {"rds_allocated_storage": 400, "rds_iops": 12000, "rds_storage_throughput": 500},
    {"rds_allocated_storage": 1000, "rds_max_allocated_storage": 2000, "rds_iops": 64000,
     "rds_storage_throughput": 4000},
    {"rds_allocated_storage": 450, "rds_storage_throughput": 3000},  # 0.25 MiB/s per baseline IOPS
    {"rds_storage_type": "io1", "rds_allocated_storage": 100, "rds_iops": 5000},
    {"rds_storage_type": "io2", "rds_allocated_storage": 100, "rds_iops": 50000},
])
def test_storage_performance_aws_accepts(changes):
    assert problems(values(**changes)) == []


@pytest.mark.parametrize("changes, expected", [
    ({"rds_allocated_storage": 100, "rds_iops": 12000},
     "rds_iops, rds_storage_throughput: gp3 storage below 400 GiB runs at its baseline of 3000 IOPS and 125 MiB/s, "
     "which cannot be changed (rds_allocated_storage is 100); leave them 0 or give rds_allocated_storage 400 or more"),
    ({"rds_allocated_storage": 400, "rds_iops": 3000},
     "rds_iops: must be between 12000 and 64000 for gp3 storage (got 3000)"),
    ({"rds_allocated_storage": 400, "rds_storage_throughput": 125},
     "rds_storage_throughput: must be between 500 and 4000 MiB/s for gp3 storage (got 125)"),
    ({"rds_allocated_storage": 400, "rds_iops": 12000, "rds_storage_throughput": 3500},
     "rds_storage_throughput: at most 0.25 MiB/s per IOPS, 3000 for 12000 IOPS (got 3500)"),
    ({"rds_storage_type": "io1", "rds_allocated_storage": 100},
     "rds_iops: io1 storage needs provisioned IOPS, 1000 to 256000"),
    ({"rds_storage_type": "io1", "rds_allocated_storage": 100, "rds_iops": 6000},
     "rds_iops: io1 storage takes 0.5 to 50 IOPS per GiB, 50 to 5000 for 100 GiB (got 6000)"),
    ({"rds_storage_type": "gp2", "rds_iops": 3000, "rds_storage_throughput": 200},
     "rds_storage_throughput: only gp3 storage takes a throughput (rds_storage_type is gp2)"),
])
def test_storage_performance_aws_refuses(changes, expected):
    assert expected in problems(values(**changes))


def test_a_performance_insights_key_needs_performance_insights():
    assert problems(values(rds_performance_insights_kms_key_id="alias/pi")) == []
    assert problems(values(rds_performance_insights_enabled=False, rds_performance_insights_kms_key_id="alias/pi")) == [
        "rds_performance_insights_kms_key_id: needs rds_performance_insights_enabled true"]
