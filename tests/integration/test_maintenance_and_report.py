"""playbooks/maintenance.yml and playbooks/report.yml on one RDS instance left pending a
reboot by a static parameter change; read back through the AWS API and the call recorder.

The tests run in file order: the report and the dry runs first, then the reboot."""
import json
import uuid

import pytest
import yaml

from conftest import ansible_environment, run_playbook

REGION = "us-east-1"
IDENTIFIER = f"maint-{uuid.uuid4().hex[:8]}"
GROUP = f"{IDENTIFIER}-postgres15"
HOST = "maint-us-east-1"


@pytest.fixture(scope="module")
def rds(local_aws):
    return local_aws.client("rds", REGION)


@pytest.fixture(scope="module")
def pending_instance(rds, local_aws):
    """A writer whose parameter group waits for a reboot (max_connections is static)."""
    ec2 = local_aws.client("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.77.{n}.0/24", AvailabilityZone=f"{REGION}{zone}")
               ["Subnet"]["SubnetId"] for n, zone in ((1, "a"), (2, "b"))]
    rds.create_db_subnet_group(DBSubnetGroupName=IDENTIFIER, DBSubnetGroupDescription="maintenance test",
                               SubnetIds=subnets)
    rds.create_db_parameter_group(DBParameterGroupName=GROUP, DBParameterGroupFamily="postgres15",
                                  Description="maintenance test")
    rds.create_db_instance(DBInstanceIdentifier=IDENTIFIER, Engine="postgres", EngineVersion="15.10",
                           DBInstanceClass="db.t3.micro", AllocatedStorage=20, BackupRetentionPeriod=1,
                           MasterUsername="maint_admin", MasterUserPassword=uuid.uuid4().hex,
                           DBParameterGroupName=GROUP, DBSubnetGroupName=IDENTIFIER)
    rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=IDENTIFIER, WaiterConfig={"Delay": 1})
    rds.modify_db_parameter_group(DBParameterGroupName=GROUP, Parameters=[
        {"ParameterName": "max_connections", "ParameterValue": "150", "ApplyMethod": "pending-reboot"}])
    assert apply_status(rds) == "pending-reboot"
    yield IDENTIFIER
    rds.delete_db_instance(DBInstanceIdentifier=IDENTIFIER, SkipFinalSnapshot=True)
    rds.get_waiter("db_instance_deleted").wait(DBInstanceIdentifier=IDENTIFIER, WaiterConfig={"Delay": 1})
    rds.delete_db_parameter_group(DBParameterGroupName=GROUP)
    rds.delete_db_subnet_group(DBSubnetGroupName=IDENTIFIER)
    for subnet in subnets:
        ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)


def apply_status(rds):
    [group] = rds.describe_db_instances(DBInstanceIdentifier=IDENTIFIER)["DBInstances"][0]["DBParameterGroups"]
    return group["ParameterApplyStatus"]


@pytest.fixture(scope="module")
def inventory(tmp_path_factory, local_aws, pending_instance):
    path = tmp_path_factory.mktemp("maintenance") / "hosts.yml"
    path.write_text(yaml.safe_dump({"all": {"children": {"qa": {
        "hosts": {HOST: {"dbfleet_region": REGION}},
        "vars": {"dbfleet_project": "maint", "dbfleet_environment": "qa",
                 "dbfleet_aws_endpoint_url": local_aws.url, "rds_identifier": pending_instance,
                 "rds_subnet_ids": ["subnet-1111aaaa"], "rds_allowed_security_group_ids": ["sg-1111aaaa"],
                 "elasticache_enabled": False, "ansible_connection": "local",
                 "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}}}))
    return path


def report(local_aws, inventory, tmp_path):
    since = local_aws.recorder.mark()
    run_playbook("playbooks/report.yml", inventory, extra_vars={"report_dir": str(tmp_path)},
                 env=ansible_environment(local_aws))
    assert local_aws.recorder.mutating(since) == [], "the report changed something"
    markdown = (tmp_path / f"report-{HOST}.md").read_text()
    return json.loads((tmp_path / f"report-{HOST}.json").read_text()), markdown


def test_report_shows_the_instance_pending_a_reboot(local_aws, inventory, tmp_path):
    data, markdown = report(local_aws, inventory, tmp_path)
    [instance] = data["rds_instances"]
    assert (instance["identifier"], instance["status"], instance["pending_reboot"]) == (IDENTIFIER, "available", True)
    assert instance["backup_retention_days"] == 1 and instance["multi_az"] is False
    assert data["cache_nodes"] == [] and data["environment"] == "qa"
    assert f"| {IDENTIFIER} | available | db.t3.micro | 15.10 | no |" in markdown


def test_protected_environment_needs_the_confirmation(local_aws, inventory):
    since = local_aws.recorder.mark()
    result = run_playbook("playbooks/maintenance.yml", inventory, extra_vars={"dbfleet_environment": "prod"},
                          env=ansible_environment(local_aws), expect_rc=2)
    assert "confirm: environment prod is protected; run again with -e confirm=prod" in result.stdout
    assert local_aws.recorder.calls(since) == []


def test_check_mode_lists_the_reboot_and_makes_no_change(local_aws, inventory, rds):
    since = local_aws.recorder.mark()
    result = run_playbook("playbooks/maintenance.yml", inventory, check=True, env=ansible_environment(local_aws))
    assert f"{IDENTIFIER} wait for a reboot to apply static parameters" in result.stdout
    assert local_aws.recorder.mutating(since) == []
    assert apply_status(rds) == "pending-reboot"


def test_maintenance_reboots_the_pending_instance(local_aws, inventory, rds, tmp_path):
    since = local_aws.recorder.mark()
    run_playbook("playbooks/maintenance.yml", inventory,
                 extra_vars={"dbfleet_environment": "prod", "confirm": "prod"}, env=ansible_environment(local_aws))
    calls = local_aws.recorder.mutating(since)
    assert [(call["action"], call["ids"].get("DBInstanceIdentifier")) for call in calls] == [
        ("RebootDBInstance", IDENTIFIER)]
    assert apply_status(rds) == "in-sync"
    data = report(local_aws, inventory, tmp_path)[0]
    assert data["rds_instances"][0]["pending_reboot"] is False
