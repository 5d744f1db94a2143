"""provision.yml under faults: while the endpoint throttles 30 % of every action's calls, the
first run on an empty environment and a converged re-run both succeed, nothing is
duplicated; a run killed with SIGKILL midway is finished by the next one.

The playbooks give every AWS module botocore's standard retry mode with 10 attempts
(`dbfleet_aws_config_default`, playbooks/group_vars/all/aws.yml); without it, throttling
failed runs in community.aws.secretsmanager_secret and in the rds_instance waiter. The
environment is a project of its own (the faults would disturb a shared one), RDS with its
users only (no replica, cache, alarms or DR): each throttled call waits for its backoff, so
the runs' length grows with their number of calls, and every module gets the same
aws_config whatever the role.
"""

import json
import os
import signal
import subprocess
import time
import uuid

import pytest

from conftest import REPO_ROOT, ansible_environment, pg_connect, read_secret, run_playbook

XDIST_GROUP = "faults"
INVENTORY = "inventories/local"
HOST = "local-us-east-1"
# Unique, so that the first run meets an empty environment on a long-lived endpoint too.
PROJECT = "faulty" + uuid.uuid4().hex[:6]
EXTRA_VARS = {"dbfleet_project": PROJECT, "rds_read_replica_count": 0, "rds_monitoring_interval": 0,
              "elasticache_enabled": False, "alarms_enabled": False, "dr_enabled": False}
USERS = ("app_user", "readonly_user", "analytics_user")  # db_users_list of inventories/local
THROTTLE_30_PERCENT = [{"action": "*", "rate": 0.3, "error": "Throttling"}]


@pytest.fixture
def throttled(local_aws):
    def throttle(rules):
        local_aws.set_faults(rules)
    yield throttle
    local_aws.clear_faults()


def inventory_of_resources(local_aws, project=PROJECT):
    """Every resource of the project, by type: what a duplicate or an orphan would show in."""
    rds = local_aws.client("rds")
    ec2, secrets = local_aws.client("ec2"), local_aws.client("secretsmanager")
    ours = f"{project}-local"
    return {
        "instances": sorted(i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]
                            if i["DBInstanceIdentifier"].startswith(ours)),
        "db subnet groups": sorted(g["DBSubnetGroupName"] for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]
                                   if g["DBSubnetGroupName"].startswith(ours)),
        "db parameter groups": sorted(g["DBParameterGroupName"] for g in
                                      rds.describe_db_parameter_groups()["DBParameterGroups"]
                                      if g["DBParameterGroupName"].startswith(ours)),
        "security groups": sorted(g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]
                                  if g["GroupName"].startswith(ours)),
        "secrets": sorted(s["Name"] for s in secrets.list_secrets(MaxResults=100)["SecretList"]
                          if s["Name"].startswith(f"{project}/")),
    }


def throttled_share(result):
    return sum(1 for call in result.calls if call["error"] == "Throttling") / len(result.calls)


def test_first_run_and_converged_rerun_survive_30_percent_throttling(local_aws, throttled):
    throttled(THROTTLE_30_PERCENT)
    first = run_playbook("playbooks/provision.yml", INVENTORY, extra_vars=EXTRA_VARS)
    assert first.recap[HOST]["failed"] == 0 and first.recap[HOST]["changed"] > 0
    assert throttled_share(first) > 0.15, "the faults did not reach the run"
    throttled([])
    created = inventory_of_resources(local_aws)
    assert created["instances"] == [f"{PROJECT}-local"]
    assert created["db subnet groups"] == [f"{PROJECT}-local"]
    assert created["db parameter groups"] == [f"{PROJECT}-local-postgres15"]
    assert created["security groups"] == [f"{PROJECT}-local-rds"]
    # The master credentials, the connection secret and one per user of the inventory.
    assert len(created["secrets"]) == 5

    # A burst of 503s on top of the throttling, at the start of the converged run.
    throttled([{"action": "*", "first_n": 5, "error": "503"}] + THROTTLE_30_PERCENT)
    again = run_playbook("playbooks/provision.yml", INVENTORY, extra_vars=EXTRA_VARS)
    assert again.recap[HOST]["failed"] == 0 and again.recap[HOST]["changed"] == 0
    assert [call["error"] for call in again.calls[:5]] == ["ServiceUnavailable"] * 5
    assert throttled_share(again) > 0.15
    assert again.mutating == []
    throttled([])
    assert inventory_of_resources(local_aws) == created


def test_a_run_killed_midway_converges_on_the_next_without_duplicates(local_aws, tmp_path):
    """provision.yml killed with SIGKILL (its whole process group, as a lost machine would be)
    while the DB instance is being created; the next run finishes the environment without
    creating the instance again, every resource exists once and the stored password opens
    the database."""
    project = "killed" + uuid.uuid4().hex[:6]
    extra_vars = dict(EXTRA_VARS, dbfleet_project=project)
    command = [str(REPO_ROOT / ".venv/bin/ansible-playbook"), "playbooks/provision.yml", "-i", INVENTORY,
               "-e", json.dumps(extra_vars)]
    since = local_aws.recorder.mark()
    with (tmp_path / "killed.log").open("w") as output:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=ansible_environment(local_aws), stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while not any(call["action"] == "CreateDBInstance" for call in local_aws.recorder.calls(since)):
                assert process.poll() is None and time.monotonic() < deadline, "no CreateDBInstance to kill after"
                time.sleep(0.05)
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == -signal.SIGKILL
    halfway = inventory_of_resources(local_aws, project)
    assert halfway["instances"] == [f"{project}-local"]

    finished = run_playbook("playbooks/provision.yml", INVENTORY, extra_vars=extra_vars)
    assert finished.recap[HOST]["failed"] == 0 and finished.recap[HOST]["changed"] > 0
    assert not [call for call in finished.mutating if call["action"] == "CreateDBInstance"]

    created = inventory_of_resources(local_aws, project)
    assert created == {
        "instances": [f"{project}-local"], "db subnet groups": [f"{project}-local"],
        "db parameter groups": [f"{project}-local-postgres15"], "security groups": [f"{project}-local-rds"],
        "secrets": sorted([f"{project}/local/rds/master", f"{project}/local/rds/credentials"]
                          + [f"{project}/local/rds/users/{name}" for name in USERS])}
    connection = read_secret(local_aws, f"{project}/local/rds/credentials")
    pg_connect(connection["host"], connection["port"], connection["username"], connection["password"],
               connection["dbname"]).close()
