"""playbooks/provision.yml on the local inventory, read back through the AWS APIs
and the real PostgreSQL behind the instance.

The tests read the session's shared environment (local_env, its second run and its drift
run: tests/conftest.py); the last one changes parameters with the rds role alone and puts
them back.
"""

import re
import subprocess
from urllib.parse import quote

import pytest
import yaml

from tools.local_aws.psql import psql_command

from conftest import (LOCAL_HOST as HOST, ansible_environment, LOCAL_INVENTORY as INVENTORY, LOCAL_REGION as REGION, REPO_ROOT,
                      assert_no_secret, describe_db_instance as describe, generated_secrets, pg_connect,
                      read_secret as secret)

# The session's local environment: these modules run on one xdist worker, in this order.
XDIST_GROUP = "local_env"

RDS_VARS = yaml.safe_load((REPO_ROOT / INVENTORY / "group_vars/local/rds.yml").read_text())
WRITER = "dbfleet-local"
REPLICA = "dbfleet-local-replica-1"
PARAMETER_GROUP = "dbfleet-local-postgres15"
MASTER_SECRET = "dbfleet/local/rds/master"
CONNECTION_SECRET = "dbfleet/local/rds/credentials"


@pytest.fixture(scope="module")
def provisioned(local_env):
    """The session's first run of the local inventory, at -vvv."""
    return local_env.first_run


@pytest.fixture(scope="module")
def rds(local_aws):
    return local_aws.client("rds", REGION)


def parameter_values(rds):
    """Effective values of the group: the family defaults with the group's changes."""
    pages = rds.get_paginator("describe_db_parameters").paginate(DBParameterGroupName=PARAMETER_GROUP)
    return {p["ParameterName"]: p.get("ParameterValue") for page in pages for p in page["Parameters"]}


def apply_status(rds, identifier):
    return {g["DBParameterGroupName"]: g["ParameterApplyStatus"]
            for g in describe(rds, identifier)["DBParameterGroups"]}


def test_writer_matches_the_inventory(provisioned, rds):
    writer = describe(rds, WRITER)
    assert writer["DBInstanceStatus"] == "available"
    assert writer["Engine"] == "postgres"
    assert writer["EngineVersion"] == RDS_VARS["rds_engine_version"]
    assert writer["DBInstanceClass"] == "db.r6g.large"
    assert writer["MultiAZ"] is True
    assert writer["SecondaryAvailabilityZone"] != writer["AvailabilityZone"]
    assert writer["AllocatedStorage"] == 100
    assert writer["MaxAllocatedStorage"] == 500
    assert writer["StorageType"] == "gp3"
    assert writer["StorageEncrypted"] is True
    assert writer["PubliclyAccessible"] is False
    assert writer["BackupRetentionPeriod"] == 30
    assert writer["PreferredBackupWindow"] == "03:00-04:00"
    assert writer["PreferredMaintenanceWindow"] == "mon:04:00-mon:05:00"
    assert writer["PerformanceInsightsEnabled"] is True
    assert writer["PerformanceInsightsRetentionPeriod"] == 731
    assert writer["MonitoringInterval"] == 60
    assert writer["MonitoringRoleArn"].endswith(":role/dbfleet-local-us-east-1-rds-monitoring")
    assert writer["IAMDatabaseAuthenticationEnabled"] is True
    assert sorted(writer["EnabledCloudwatchLogsExports"]) == ["postgresql", "upgrade"]
    assert writer["CopyTagsToSnapshot"] is True
    assert writer["DBName"] == RDS_VARS["rds_db_name"]
    assert writer["MasterUsername"] == RDS_VARS["rds_master_username"]
    tags = {t["Key"]: t["Value"] for t in writer["TagList"]}
    assert tags["Environment"] == "local" and tags["Name"] == WRITER


def test_monitoring_role_trusts_rds_monitoring(provisioned, local_aws):
    iam = local_aws.client("iam", REGION)
    role = iam.get_role(RoleName="dbfleet-local-us-east-1-rds-monitoring")["Role"]
    principals = [s["Principal"]["Service"] for s in role["AssumeRolePolicyDocument"]["Statement"]]
    assert principals == ["monitoring.rds.amazonaws.com"]
    attached = iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AmazonRDSEnhancedMonitoringRole"]


def test_parameter_group_holds_the_production_parameters(provisioned, rds):
    assert apply_status(rds, WRITER) == {PARAMETER_GROUP: "in-sync"}
    values = parameter_values(rds)
    assert {name: values[name] for name in RDS_VARS["rds_parameters"]} == {
        name: str(value) for name, value in RDS_VARS["rds_parameters"].items()}


def test_network_admits_only_the_application(provisioned, rds, local_aws):
    ec2 = local_aws.client("ec2", REGION)
    writer = describe(rds, WRITER)
    subnet_group = writer["DBSubnetGroup"]
    assert subnet_group["DBSubnetGroupName"] == WRITER
    zones = {s["SubnetAvailabilityZone"]["Name"] for s in subnet_group["Subnets"]}
    assert zones == {"us-east-1a", "us-east-1b"}

    # The application security group the inventory names.
    inventory = yaml.safe_load((REPO_ROOT / INVENTORY / "group_vars/local/dbfleet.yml").read_text())
    app_group = ec2.describe_security_groups(
        GroupIds=inventory["rds_allowed_security_group_ids"])["SecurityGroups"][0]
    db_group_ids = [g["VpcSecurityGroupId"] for g in writer["VpcSecurityGroups"]]
    db_group = ec2.describe_security_groups(GroupIds=db_group_ids)["SecurityGroups"][0]
    assert db_group["GroupName"] == "dbfleet-local-rds"
    assert db_group["VpcId"] == subnet_group["VpcId"] == app_group["VpcId"]
    [rule] = db_group["IpPermissions"]
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 5432, 5432)
    assert [pair["GroupId"] for pair in rule["UserIdGroupPairs"]] == [app_group["GroupId"]]
    assert rule["IpRanges"] == [] and rule.get("Ipv6Ranges", []) == []


def test_read_replica_follows_the_writer(provisioned, rds):
    replica = describe(rds, REPLICA)
    assert replica["ReadReplicaSourceDBInstanceIdentifier"] == WRITER
    assert replica["DBInstanceClass"] == RDS_VARS["rds_replica_instance_class"]
    assert replica["PubliclyAccessible"] is False
    assert apply_status(rds, REPLICA) == {PARAMETER_GROUP: "in-sync"}
    assert REPLICA in describe(rds, WRITER)["ReadReplicaDBInstanceIdentifiers"]


def test_connection_secret_opens_a_postgresql_session(provisioned, rds, local_aws):
    master = secret(local_aws, MASTER_SECRET)
    connection = secret(local_aws, CONNECTION_SECRET)
    endpoint = describe(rds, WRITER)["Endpoint"]

    password = master["password"]
    assert len(password) == 32
    assert not set(password) & set('/@" ')
    assert connection["password"] == password
    assert connection["username"] == master["username"] == RDS_VARS["rds_master_username"]
    assert (connection["host"], int(connection["port"])) == (endpoint["Address"], endpoint["Port"])
    assert connection["dbname"] == RDS_VARS["rds_db_name"]
    assert connection["engine"] == "postgres"
    url = (f"postgresql://{connection['username']}:{quote(password, safe='')}"
           f"@{endpoint['Address']}:{endpoint['Port']}/{connection['dbname']}")
    assert connection["url"] == url
    assert connection["sqlalchemy_url"] == url.replace("postgresql://", "postgresql+psycopg2://", 1)

    session = pg_connect(connection["host"], connection["port"], connection["username"],
                         connection["password"], connection["dbname"])
    try:
        with session.cursor() as cursor:
            cursor.execute("SELECT current_database(), current_user")
            assert cursor.fetchone() == (RDS_VARS["rds_db_name"], RDS_VARS["rds_master_username"])
    finally:
        session.close()


def test_make_psql_opens_the_writer_without_the_password_on_its_command_line(provisioned, local_aws):
    """python -m tools.local_aws.psql (make psql) with psql's own arguments after --."""
    env = {**ansible_environment(local_aws), "PGPASSWORD": ""}
    result = subprocess.run([str(REPO_ROOT / ".venv/bin/python"), "-m", "tools.local_aws.psql", "--",
                             "-Atc", "SELECT current_database() || ' ' || current_user"],
                            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == f"{RDS_VARS['rds_db_name']} {RDS_VARS['rds_master_username']}"
    argv, extra_env = psql_command(secret(local_aws, CONNECTION_SECRET), [])
    assert secret(local_aws, CONNECTION_SECRET)["password"] not in " ".join(argv)
    assert extra_env["PGPASSWORD"] == secret(local_aws, CONNECTION_SECRET)["password"]


def test_no_password_or_token_in_the_verbose_output_or_the_log(local_env, local_aws):
    """The first run at -vvv with a log file: none of the passwords and tokens it generated
    (master, users, AUTH token) in its output or its log."""
    output = local_env.first_run.stdout + local_env.first_run.stderr
    assert "Store the master credentials" in output and "Store the master credentials" in local_env.log.read_text()
    values = generated_secrets(local_aws, "dbfleet/local/")
    assert secret(local_aws, MASTER_SECRET)["password"] in values and len(values) >= 3
    assert_no_secret(values, output, local_env.log.read_text())


def test_a_failure_to_store_a_secret_says_why_without_the_secret(local_env, local_aws):
    """The secret tasks rely on the module's no_log options, not a task-level no_log, so a
    failure that holds no secret shows its reason (here Secrets Manager unavailable)."""
    local_aws.set_faults([{"service": "secretsmanager", "action": "ListSecrets", "rate": 1, "error": "503"}])
    try:
        # Two attempts instead of ten: the retries' backoff is not what this test is about.
        failed = local_env.run(only=["rds"], expect_rc=2,
                               dbfleet_aws_config={"retries": {"mode": "standard", "max_attempts": 2}})
    finally:
        local_aws.clear_faults()
    output = " ".join((failed.stdout + failed.stderr).split())
    assert "Store the master credentials" in output
    assert "reading the secrets dbfleet/local/rds/master failed, nothing was changed" in output
    assert "ServiceUnavailable" in output and "503" in output and "the output has been hidden" not in output
    assert secret(local_aws, MASTER_SECRET)["password"] not in output


def test_second_run_changes_nothing(local_env_rerun, local_aws):
    """Every role of the second run: changed=0, no mutating call, the password kept."""
    assert local_env_rerun.recap[HOST]["changed"] == 0
    assert all(counters["changed"] == 0 and counters["failed"] == 0
               for counters in local_env_rerun.recap.values())
    assert local_env_rerun.mutating == []
    assert secret(local_aws, MASTER_SECRET) == local_env_rerun.secrets_before[MASTER_SECRET]
    assert secret(local_aws, CONNECTION_SECRET) == local_env_rerun.secrets_before[CONNECTION_SECRET]


def summary_of(result):
    """The msg of provision.yml's last task, "Summary of <host>", as YAML."""
    block = result.stdout.split(f"TASK [Summary of {HOST}]", 1)[1].split("PLAY RECAP", 1)[0]
    return yaml.safe_load(block.split("=>", 1)[1])["msg"]


def test_the_run_ends_with_one_short_summary_per_target(local_env_rerun, local_env_drift, rds):
    summary = summary_of(local_env_rerun)
    writer = describe(rds, WRITER)
    assert summary["rds"]["writer"] == f"{WRITER} {writer['Endpoint']['Address']}:{writer['Endpoint']['Port']}"
    assert summary["rds"]["secrets"] == [MASTER_SECRET, CONNECTION_SECRET]
    assert summary["rds"]["parameter_group"] == f"{PARAMETER_GROUP} (in-sync)"
    assert summary["rds"]["pending_reboot"] == [] and summary["elasticache"]["pending_reboot"] == []
    assert summary["elasticache"]["secrets"] == ["dbfleet/local/redis/auth-token", "dbfleet/local/redis/connection"]
    assert summary["alarms"].startswith("39 alarms, topic arn:aws:sns:us-east-1:")
    assert summary["changed"] == ["nothing reported by the roles"]
    # The alarm names and the roles' whole results only with -v.
    assert "dbfleet-local-rds-dbfleet-local-cpu" not in local_env_rerun.stdout
    # The drift run corrected the writer's backup retention and says so.
    assert "RDS writer settings: backup_retention_period" in summary_of(local_env_drift["apply"])["changed"]


def test_check_diff_shows_drift_without_mutating(local_env_drift):
    check = local_env_drift["check"]
    assert local_env_drift["drifted"]["BackupRetentionPeriod"] == 7
    assert re.search(r"drift:\s+backup_retention_period:\s+current: 7\s+desired: 30\s", check.stdout)
    assert check.recap[HOST]["changed"] >= 1
    assert check.mutating == []
    assert local_env_drift["after_check"]["BackupRetentionPeriod"] == 7
    assert local_env_drift["after_apply"]["BackupRetentionPeriod"] == 30


def test_a_class_aws_does_not_offer_or_another_version_changes_nothing(local_env, rds):
    """On the converged environment: a misspelt class and a lower engine version (with its
    family), then a major upgrade, are refused by the preflight; the writer keeps its class,
    version and group."""
    refused = local_env.run(expect_rc=2, rds_instance_class="db.r6g.larg", rds_engine_version="14.10",
                            rds_parameter_group_family="postgres14")
    assert "rds_instance_class: db.r6g.larg is not offered for postgres 14.10 in this region" in refused.stdout
    assert ("rds_engine_version: 14.10 is lower than 15.10, the version dbfleet-local runs; RDS cannot downgrade"
            in refused.stdout)
    assert refused.mutating == []
    major = local_env.run(expect_rc=2, rds_engine_version="16.6")
    assert "rds_engine_version: 16.6 is a major upgrade of dbfleet-local, which runs 15.10" in major.stdout
    assert major.mutating == []
    writer = describe(rds, WRITER)
    assert (writer["DBInstanceClass"], writer["EngineVersion"]) == (RDS_VARS["rds_instance_class"], "15.10")
    assert [group["DBParameterGroupName"] for group in writer["DBParameterGroups"]] == [PARAMETER_GROUP]


def test_static_parameter_change_and_reboot_policy(local_env, rds):
    """The rds role alone: a static change waits with policy `never`, `now` reboots the
    replica then the writer through a failover; max_connections is put back afterwards."""
    raised = {**RDS_VARS["rds_parameters"], "max_connections": 250}

    reported = local_env.run(only=["rds"], rds_parameters=raised, rds_reboot_policy="never")
    assert parameter_values(rds)["max_connections"] == "250"
    assert apply_status(rds, WRITER) == {PARAMETER_GROUP: "pending-reboot"}
    assert "wait for a reboot to apply static parameters" in reported.stdout

    zones_before = describe(rds, WRITER)
    rebooted = local_env.run(only=["rds"], rds_parameters=raised, rds_reboot_policy="now")
    reboots = [call["ids"].get("DBInstanceIdentifier")
               for call in rebooted.mutating if call["action"] == "RebootDBInstance"]
    assert reboots == [REPLICA, WRITER]
    # The Multi-AZ writer rebooted through a failover: its zones swapped.
    writer = describe(rds, WRITER)
    assert (writer["AvailabilityZone"], writer["SecondaryAvailabilityZone"]) == (
        zones_before["SecondaryAvailabilityZone"], zones_before["AvailabilityZone"])
    assert apply_status(rds, WRITER) == {PARAMETER_GROUP: "in-sync"}
    assert apply_status(rds, REPLICA) == {PARAMETER_GROUP: "in-sync"}

    # Back to the inventory's value through the API, replica first as the role reboots (a
    # third run of the role would repeat the path above).
    rds.modify_db_parameter_group(DBParameterGroupName=PARAMETER_GROUP, Parameters=[
        {"ParameterName": "max_connections", "ParameterValue": str(RDS_VARS["rds_parameters"]["max_connections"]),
         "ApplyMethod": "pending-reboot"}])
    for identifier in (REPLICA, WRITER):
        rds.reboot_db_instance(DBInstanceIdentifier=identifier)
        rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=identifier, WaiterConfig={"Delay": 1})
    assert parameter_values(rds)["max_connections"] == "200"
    assert apply_status(rds, WRITER) == {PARAMETER_GROUP: "in-sync"}
