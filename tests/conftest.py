"""Shared pytest fixtures and helpers for tests that talk to the local AWS endpoint.

Fixtures:
    local_aws    -- session-wide handle on a running endpoint (started if not healthy;
                    an endpoint that was already running is left as it is).
    ansible_env  -- environment variables for running ansible-playbook against it.
    own_endpoint -- a second endpoint on a free port, for up/reset/down tests that would
                    disturb the shared one; `.cli(command)` runs `python -m tools.local_aws`.
    module_runner -- `module_runner(playbook)` returns `apply(group, ...)`, which runs a
                    one-module test playbook and returns the module's result.
    rds, elasticache, cloudwatch -- the endpoint's clients in us-east-1 (per module).

Helpers (import with ``from conftest import run_playbook, pg_connect``):
    run_playbook -- run ansible-playbook from the repository root, parse PLAY RECAP; every
                    run's calls are written to .build/iam/runs/ (record_playbook_run),
                    which tests/policy reads.
    pg_connect   -- psycopg2 connection to a data-plane PostgreSQL.
    read_secret, describe_db_instance, db_parameters, cache_parameters -- a secret's JSON;
                    one DB instance described; a DB or cache parameter group's effective values.
    port_answers -- whether something listens on a loopback address and port.

Shared environments (integration tests; see the section at the end):
    local_env, local_env_rerun, local_env_drift -- inventories/local provisioned once per
                    session, run again once, and drifted once; `local_env.run(only=[...])`
                    runs provision.yml with some roles only.
    example_fleet -- `example_fleet(name, env)`: examples/<name>/<env> provisioned once, as
                    `make demo FLEET=<name> ENV=<env>` runs it.

The endpoint is chosen by LOCAL_AWS_PORT (default 5000) and LOCAL_AWS_STATE_DIR
(default <repo>/.local), the same variables `python -m tools.local_aws` reads. Under
`pytest -n N` every xdist worker starts an endpoint of its own (pytest_configure below).
"""

import functools
import json
import os
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

# Re-exported to the tests (from conftest import ...).
from tools.local_aws.client import (  # noqa: E402  pylint: disable=unused-import
    DUMMY_CREDENTIALS, VENV_BIN, LocalAws, ansible_environment, cache_parameters, db_parameters, describe_db_instance,
    endpoint_port,
    endpoint_state_dir, free_port, parse_recap, pg_connect, port_answers, read_secret, redis_answers, redis_connect,
    run_ansible_playbook)

# Under `pytest -n N` (pytest-xdist) each worker ("gw0", "gw1", ...) gets an endpoint of
# its own, on its own port and state dir, so that its call log holds its own calls only.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def pytest_configure(config):  # pylint: disable=unused-argument
    if XDIST_WORKER:
        os.environ["LOCAL_AWS_PORT"] = str(free_port())
        os.environ["LOCAL_AWS_STATE_DIR"] = str(REPO_ROOT / ".build" / "endpoints" / XDIST_WORKER)


XDIST_GROUP_LINE = re.compile(r'^XDIST_GROUP = "(?P<group>[\w-]+)"$', re.MULTILINE)


@functools.lru_cache(maxsize=None)
def xdist_group(module_path):
    """A test module's work unit under xdist: its XDIST_GROUP (modules sharing a session
    environment), else the module itself."""
    found = XDIST_GROUP_LINE.search((REPO_ROOT / module_path).read_text(encoding="utf-8"))
    return found["group"] if found else module_path


def pytest_xdist_make_scheduler(config, log):
    """Hand out whole modules, or whole XDIST_GROUPs, to the workers: a module's fixtures
    are set up once, and the modules of one group run in order on one worker."""
    from xdist.scheduler import LoadScopeScheduling  # pylint: disable=import-outside-toplevel

    class ModuleGroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return xdist_group(nodeid.split("::", 1)[0])

    return ModuleGroupScheduling(config, log)


SHARED_GROUP = "local_env"
_worker_priority_set = []


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """The shared environment's chain of runs is the longest: the other workers yield the
    CPU to it. A worker whose first test is not of that group lowers its own priority
    (nice 5) before it starts its endpoint, which with its PostgreSQL and Redis inherits it."""
    if not XDIST_WORKER or _worker_priority_set:
        return
    _worker_priority_set.append(True)
    if xdist_group(item.nodeid.split("::", 1)[0]) != SHARED_GROUP:
        os.setpriority(os.PRIO_PROCESS, 0, 5)


def pytest_collection_modifyitems(items):
    """The longest work first: the shared environment, then the other integration tests
    (the order within a module stays as written)."""
    def weight(item):
        if getattr(item.module, "XDIST_GROUP", None):
            return 0
        return 1 if "integration" in item.path.parts else 2

    items.sort(key=weight)


@pytest.fixture(scope="session")
def local_aws():
    """The endpoint of LOCAL_AWS_PORT; started if nothing healthy answers there. A worker's
    own endpoint is stopped at the end; the shared one (`make up`) is left running."""
    port = endpoint_port()
    endpoint_env = {**os.environ, "LOCAL_AWS_PORT": str(port), "LOCAL_AWS_STATE_DIR": str(endpoint_state_dir())}
    health = LocalAws(port, endpoint_state_dir()).health()
    if health is None:
        subprocess.run([sys.executable, "-m", "tools.local_aws", "up"], cwd=REPO_ROOT, check=True,
                       env=endpoint_env)
        health = LocalAws(port, endpoint_state_dir()).health()
    # The running endpoint's own state dir is the one its call log is in.
    endpoint = LocalAws(port, health["state_dir"])
    yield endpoint
    endpoint.clear_faults()
    endpoint.set_delay(0)
    if XDIST_WORKER:
        subprocess.run([sys.executable, "-m", "tools.local_aws", "down"], cwd=REPO_ROOT, check=False,
                       env=endpoint_env, capture_output=True)


@pytest.fixture
def own_endpoint(tmp_path):
    """A second endpoint for commands that would disturb the shared one; always stopped.

    Its state dir is in pytest's tmp_path, which only root may enter (mode 0700), as a
    checkout in root's home would be: the data plane must cope with that.
    """
    state_dir = tmp_path / "own-endpoint"
    endpoint = LocalAws(free_port(), state_dir)
    env = {**os.environ, "LOCAL_AWS_PORT": str(endpoint.port),
           "LOCAL_AWS_STATE_DIR": str(endpoint.state_dir)}

    def cli(command, **extra_env):
        return subprocess.run([sys.executable, "-m", "tools.local_aws", command],
                              env={**env, **extra_env}, cwd=REPO_ROOT, capture_output=True,
                              text=True, check=False)

    endpoint.cli = cli
    yield endpoint
    cli("purge")


# Clients of the endpoint in its default region (us-east-1), for the tests that read back
# what a playbook made there; a module that needs another region defines its own.
@pytest.fixture(scope="module")
def rds(local_aws):
    return local_aws.client("rds")


@pytest.fixture(scope="module")
def elasticache(local_aws):
    return local_aws.client("elasticache")


@pytest.fixture(scope="module")
def cloudwatch(local_aws):
    return local_aws.client("cloudwatch")


@pytest.fixture
def ansible_env(local_aws):
    return ansible_environment(local_aws)


@pytest.fixture
def module_runner(local_aws, ansible_env, tmp_path):
    """Factory for module tests: `apply = module_runner(playbook)`, then `apply(group, ...)`.

    The playbook runs one module with the `group` extra var against the endpoint and writes
    the registered result to `result_file`; it must fail the play unless `expect_failure`.
    `apply` returns the result, or (result, ansible-playbook process) with `with_process`.
    """
    inventory = tmp_path / "inventory.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    runs = []

    def runner(playbook):
        def apply(group, check=False, diff=False, expect_failure=False, aws_config=None,
                  with_process=False):
            result_file = tmp_path / f"result-{len(runs)}.json"
            runs.append(result_file)
            extra_vars = {"endpoint_url": local_aws.url, "group": group,
                          "result_file": str(result_file), "expect_failure": expect_failure}
            if aws_config:
                extra_vars["aws_config"] = aws_config
            process = run_playbook(playbook, inventory, extra_vars=extra_vars, check=check,
                                   diff=diff, env=ansible_env)
            result = json.loads(result_file.read_text())
            assert bool(result.get("failed")) == expect_failure, result.get("msg")
            return (result, process) if with_process else result
        return apply

    return runner


# Every run_playbook call, one JSON line each ({"playbook", "calls": [{"service", "action"}]}),
# in a file per pytest process (xdist worker), read by tests/policy in a later pytest run.
# `make test` empties the directory first.
PLAYBOOK_RUNS_DIR = REPO_ROOT / ".build" / "iam" / "runs"


def record_playbook_run(playbook, calls):
    PLAYBOOK_RUNS_DIR.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"playbook": playbook,
                       "calls": [{"service": c["service"], "action": c["action"]} for c in calls]})
    with open(PLAYBOOK_RUNS_DIR / f"{XDIST_WORKER or 'main'}.jsonl", "a", encoding="utf-8") as runs:
        runs.write(line + "\n")


def recorded_playbook_runs():
    """Every run recorded by record_playbook_run, in every process's file."""
    return [json.loads(line) for path in sorted(PLAYBOOK_RUNS_DIR.glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line]


def run_playbook(playbook, inventory, extra_vars=None, check=False, diff=False,
                 env=None, expect_rc=0, overlay=False, limit=None):
    """run_ansible_playbook (tools/local_aws/client.py), its calls recorded for tests/policy.
    Fails the test when the exit code is not `expect_rc` (pass None to skip the check).
    `overlay`: an example fleet's inventory, with tools/local_aws/example_overlay.yml."""
    result = run_ansible_playbook(playbook, inventory, extra_vars=extra_vars, check=check, diff=diff, env=env,
                                  overlay=overlay, limit=limit)
    record_playbook_run(Path(playbook).as_posix(), result.calls)
    if expect_rc is not None and result.returncode != expect_rc:
        pytest.fail(
            f"{' '.join(result.command)} exited {result.returncode}, expected {expect_rc}\n"
            f"--- stdout ---\n{result.stdout[-6000:]}\n--- stderr ---\n{result.stderr[-3000:]}"
        )
    return result


# --- provisioned environments the integration tests share -------------------------------
#
#   local_env        -- inventories/local (the demo's environment) provisioned once per
#                       session, at -vvv so that its whole output can be searched for
#                       secrets. Tests that only read it use it as it is.
#   local_env_rerun  -- the same run again, once per session: idempotence of every role.
#   local_env_drift  -- drift made behind the inventory's back on the RDS writer and the
#                       replication group, one `--check --diff` run of the rds and
#                       elasticache roles that must show it and change nothing, then one run
#                       that corrects it. Each service's tests assert their part.
#
# A fixture whose provision.yml run fails fails every test that uses it with that error:
# pytest keeps a session fixture's exception and raises it again for each of them.
# Tests that change the environment beyond putting it back, or destroy things, use
# identifiers of their own (their own `dbfleet_project`) instead.

PROVISION = "playbooks/provision.yml"
LOCAL_INVENTORY = "inventories/local"
LOCAL_HOST = "local-us-east-1"
LOCAL_REGION = "us-east-1"
# The writer instance and the replication group of inventories/local.
LOCAL_IDENTIFIER = "dbfleet-local"
# The roles of provision.yml, each switched off by its `<role>_enabled: false`.
ROLES = ("rds", "elasticache", "db_users", "alarms", "dr")


class Environment:
    """An inventory provisioned on the local endpoint, and further runs of provision.yml on it."""

    def __init__(self, local_aws, inventory, first_run, overlay=False):
        self.local_aws = local_aws
        self.inventory = inventory
        self.first_run = first_run
        self.overlay = overlay

    def run(self, only=None, check=False, diff=False, expect_rc=0, env=None, limit=None, **extra_vars):
        """provision.yml again; `only`: the roles to run (the others get `<role>_enabled:
        false`), for tests about one role, with `limit` (a host) where another host of the
        inventory must keep its roles off. Returns run_playbook's result."""
        if only is not None:
            extra_vars = {**{f"{role}_enabled": role in only for role in ROLES}, **extra_vars}
        return run_playbook(PROVISION, self.inventory, extra_vars=extra_vars or None, check=check,
                            diff=diff, env=env or ansible_environment(self.local_aws),
                            expect_rc=expect_rc, overlay=self.overlay, limit=limit)


def verbose_environment(local_aws, log_path):
    """ansible-playbook at -vvv with a log file: what an operator keeps of a run, searched
    for secrets by assert_no_secret."""
    return {**ansible_environment(local_aws), "ANSIBLE_VERBOSITY": "3", "ANSIBLE_LOG_PATH": str(log_path)}


SECRET_KEYS = ("password", "auth_token")


def generated_secrets(local_aws, prefix, region=LOCAL_REGION):
    """Every password and token stored under a secret name prefix (e.g. "dbfleet/local/")."""
    client = local_aws.client("secretsmanager", region)
    names = [entry["Name"] for page in client.get_paginator("list_secrets").paginate()
             for entry in page["SecretList"] if entry["Name"].startswith(prefix)]
    values = set()
    for name in names:
        stored = read_secret(local_aws, name, region)
        values.update(str(stored[key]) for key in SECRET_KEYS if stored.get(key))
    return values


def assert_no_secret(values, *texts):
    """None of the values, as they are or URL-encoded, in any of the texts (outputs, logs,
    reports)."""
    assert values, "no secret to look for"
    found = [value[:4] + "..." for value in values for text in texts
             if value in text or urllib.parse.quote(value, safe="") in text]
    assert found == [], "secrets in the output: %s" % found


@pytest.fixture(scope="session")
def local_env(local_aws, tmp_path_factory):
    log = tmp_path_factory.mktemp("local-env") / "provision.log"
    environment = Environment(local_aws, LOCAL_INVENTORY,
                              run_playbook(PROVISION, LOCAL_INVENTORY, env=verbose_environment(local_aws, log)))
    environment.log = log
    return environment


# The example fleets (examples/<name>/<env>) as `make demo FLEET=<name> ENV=<env>` runs
# them, each provisioned once per session by the worker that runs its XDIST_GROUP
# (`XDIST_GROUP = "<name>_<env>"` in every module that takes it). The dr role stays off:
# its cross-region replica and copies have tests of their own (test_dr_role.py).
FLEET_RUN_VARS = {"dr_enabled": False}


@pytest.fixture(scope="session")
def example_fleet(local_aws):
    """`example_fleet(name, env)`: that example provisioned (once), as an Environment."""
    provisioned = {}

    def provision(name, env):
        if (name, env) not in provisioned:
            inventory = f"examples/{name}/{env}"
            first_run = run_playbook(PROVISION, inventory, extra_vars=FLEET_RUN_VARS,
                                     env=ansible_environment(local_aws), overlay=True)
            provisioned[name, env] = Environment(local_aws, inventory, first_run, overlay=True)
        return provisioned[name, env]

    return provision


LOCAL_SECRETS = ("dbfleet/local/rds/master", "dbfleet/local/rds/credentials",
                 "dbfleet/local/redis/auth-token", "dbfleet/local/redis/connection")


@pytest.fixture(scope="session")
def local_env_rerun(local_env, local_aws):
    """The second, identical run; `.secrets_before` holds the secrets as they were before it."""
    secrets_before = {name: read_secret(local_aws, name, LOCAL_REGION) for name in LOCAL_SECRETS}
    result = local_env.run()
    result.secrets_before = secrets_before
    return result


@pytest.fixture(scope="session")
def local_env_drift(local_env, local_aws):
    """Backup retention 30 -> 7 on the writer and snapshot retention 30 -> 7 on the
    replication group, made behind the inventory's back; then a check run and a real run of
    the rds and elasticache roles. Returns both runs and the drifted values after each."""
    rds = local_aws.client("rds", LOCAL_REGION)
    elasticache = local_aws.client("elasticache", LOCAL_REGION)

    def state():
        writer = describe_db_instance(rds, LOCAL_IDENTIFIER)
        group = elasticache.describe_replication_groups(
            ReplicationGroupId=LOCAL_IDENTIFIER)["ReplicationGroups"][0]
        return {"BackupRetentionPeriod": writer["BackupRetentionPeriod"],
                "SnapshotRetentionLimit": group["SnapshotRetentionLimit"]}

    rds.modify_db_instance(DBInstanceIdentifier=LOCAL_IDENTIFIER, BackupRetentionPeriod=7,
                           ApplyImmediately=True)
    elasticache.modify_replication_group(ReplicationGroupId=LOCAL_IDENTIFIER, SnapshotRetentionLimit=7,
                                         ApplyImmediately=True)
    drift = {"drifted": state()}
    # The two roles that own the drifted settings; the check mode of the others has tests
    # of its own (db_users, alarms, dr).
    drift["check"] = local_env.run(only=["rds", "elasticache"], check=True, diff=True)
    drift["after_check"] = state()
    drift["apply"] = local_env.run(only=["rds", "elasticache"])
    drift["after_apply"] = state()
    return drift
