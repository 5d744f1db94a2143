"""playbooks/rotate_credentials.yml on a provisioned local environment: the old passwords
and token stop working, the new ones from the secrets work, and nothing leaks."""

from urllib.parse import quote

import psycopg2
import pytest
import redis

from conftest import (ansible_environment, assert_no_secret, generated_secrets, pg_connect, read_secret as secret,
                      run_playbook, verbose_environment)

INVENTORY = "inventories/local"
HOST = "local-us-east-1"
REGION = "us-east-1"
PROJECT = "dburot"
EXTRA_VARS = {
    "dbfleet_project": PROJECT, "rds_read_replica_count": 0, "rds_monitoring_interval": 0,
    "elasticache_num_cache_clusters": 1, "elasticache_automatic_failover": False,
    "elasticache_multi_az": False, "alarms_enabled": False, "dr_enabled": False,
}
USERS = ["app_user", "readonly_user", "analytics_user"]
MASTER_SECRET = f"{PROJECT}/local/rds/master"
CONNECTION_SECRET = f"{PROJECT}/local/rds/credentials"
AUTH_SECRET = f"{PROJECT}/local/redis/auth-token"
REDIS_SECRET = f"{PROJECT}/local/redis/connection"


def user_secret(local_aws, name):
    return secret(local_aws, f"{PROJECT}/local/rds/users/{name}")


def credentials(local_aws):
    """Every credential the rotation replaces, with where to use it."""
    connection = secret(local_aws, CONNECTION_SECRET)
    users = {name: user_secret(local_aws, name) for name in USERS}
    return {"master": connection, "users": users, "redis": secret(local_aws, REDIS_SECRET)}


def logs_in(creds, user=None, password=None):
    try:
        pg_connect(creds["host"], creds["port"], user or creds["username"],
                   password or creds["password"], creds["dbname"]).close()
    except psycopg2.OperationalError:
        return False
    return True


def redis_accepts(creds, token):
    client = redis.Redis(host=creds["primary_endpoint"], port=int(creds["port"]), password=token,
                         socket_timeout=10)
    try:
        return client.ping()
    except redis.exceptions.AuthenticationError:
        return False
    finally:
        client.close()


@pytest.fixture(scope="module")
def before(local_aws):
    run_playbook("playbooks/provision.yml", INVENTORY, extra_vars=EXTRA_VARS,
                 env=ansible_environment(local_aws))
    return credentials(local_aws)


@pytest.fixture(scope="module")
def secrets_before(before, local_aws):
    return generated_secrets(local_aws, f"{PROJECT}/")


@pytest.fixture(scope="module")
def rotated(before, secrets_before, local_aws, tmp_path_factory):
    """The rotation at -vvv with a log file: its output (log in result.log), the credentials
    after it and the calls it made."""
    log = tmp_path_factory.mktemp("rotation") / "rotate_credentials.log"
    result = run_playbook("playbooks/rotate_credentials.yml", INVENTORY, extra_vars=EXTRA_VARS,
                          env=verbose_environment(local_aws, log))
    result.log = log
    return result, credentials(local_aws)


def test_check_mode_rotates_nothing(before, local_aws):
    since = local_aws.recorder.mark()
    run_playbook("playbooks/rotate_credentials.yml", INVENTORY, extra_vars=EXTRA_VARS, check=True,
                 env=ansible_environment(local_aws))
    assert local_aws.recorder.mutating(since) == []
    assert credentials(local_aws) == before
    assert logs_in(before["master"])
    assert all(logs_in(creds) for creds in before["users"].values())


def test_old_passwords_fail_and_new_ones_work(before, rotated):
    after = rotated[1]
    assert after["master"]["password"] != before["master"]["password"]
    assert not logs_in(after["master"], password=before["master"]["password"])
    assert logs_in(after["master"])
    for name in USERS:
        old, new = before["users"][name], after["users"][name]
        assert new["password"] != old["password"] and len(new["password"]) == 32
        assert new["url"] == (f"postgresql://{name}:{quote(new['password'], safe='')}"
                              f"@{new['host']}:{new['port']}/{new['dbname']}?sslmode=disable")
        assert not logs_in(new, password=old["password"])
        assert logs_in(new)


def test_redis_token_rotated_then_set(before, rotated, local_aws):
    after = rotated[1]
    old_token, new_token = before["redis"]["auth_token"], after["redis"]["auth_token"]
    assert new_token != old_token
    assert secret(local_aws, AUTH_SECRET)["auth_token"] == new_token
    assert redis_accepts(after["redis"], new_token)
    assert not redis_accepts(after["redis"], old_token)
    strategies = [call["ids"].get("AuthTokenUpdateStrategy") for call in rotated[0].calls
                  if call["action"] == "ModifyReplicationGroup"
                  and call["ids"].get("ReplicationGroupId") == f"{PROJECT}-local"]
    assert strategies == ["ROTATE", "SET"]


def test_report_names_secrets_and_shows_no_value(rotated):
    result, after = rotated
    output = result.stdout + result.stderr
    report = output[output.rindex("changed_secrets"):]
    for name in [MASTER_SECRET, CONNECTION_SECRET, AUTH_SECRET, REDIS_SECRET]:
        assert name in report
    assert all(f"{PROJECT}/local/rds/users/{name}" in report for name in USERS)
    values = [after["master"]["password"], after["redis"]["auth_token"]]
    values += [creds["password"] for creds in after["users"].values()]
    for value in values:
        assert value not in output and quote(value, safe="") not in output


def test_no_old_or_new_secret_in_the_verbose_output_or_the_log(rotated, secrets_before, local_aws):
    result, _after = rotated
    old, new = secrets_before, generated_secrets(local_aws, f"{PROJECT}/")
    assert len(old) >= 5 and not old & new  # every password and the token replaced
    assert_no_secret(old | new, result.stdout + result.stderr, result.log.read_text())


def test_production_needs_confirmation(local_aws):
    since = local_aws.recorder.mark()
    result = run_playbook("playbooks/rotate_credentials.yml", INVENTORY,
                          extra_vars={**EXTRA_VARS, "dbfleet_environment": "prod"},
                          env=ansible_environment(local_aws), expect_rc=2)
    output = " ".join(result.stdout.split())
    # Only the rule that failed: the targets and the phase were right.
    assert ("rotate_credentials refused on local-us-east-1, nothing was changed: confirm: environment prod is "
            "protected; run again with -e confirm=prod") in output
    assert "rotate_targets" not in output and "rotate_redis_phase" not in output
    assert local_aws.recorder.calls(since) == []


def test_bad_request_names_each_broken_rule(local_aws):
    result = run_playbook("playbooks/rotate_credentials.yml", INVENTORY,
                          extra_vars={**EXTRA_VARS, "rotate_targets": "master,passwords", "rotate_redis_phase": "later"},
                          env=ansible_environment(local_aws), expect_rc=2)
    output = " ".join(result.stdout.split())
    assert ("nothing was changed: rotate_targets: must list master, users or redis (got 'passwords'); "
            "rotate_redis_phase: must be one of both, rotate, set (got 'later')") in output
    assert "confirm:" not in output
