"""Shared pytest fixtures and helpers for tests that talk to the local AWS endpoint.

Fixtures:
    local_aws    -- session-wide handle on a running endpoint (started if not healthy;
                    an endpoint that was already running is left as it is).
    ansible_env  -- environment variables for running ansible-playbook against it.
    own_endpoint -- a second endpoint on a free port, for up/reset/down tests that would
                    disturb the shared one; `.cli(command)` runs `python -m tools.local_aws`.
    module_runner -- `module_runner(playbook)` returns `apply(group, ...)`, which runs a
                    one-module test playbook and returns the module's result.

Helpers (import with ``from conftest import run_playbook, pg_connect``):
    run_playbook -- run ansible-playbook from the repository root, parse PLAY RECAP; every
                    run is kept in PLAYBOOK_RUNS with the calls it made (tests/policy).
    pg_connect   -- psycopg2 connection to a data-plane PostgreSQL.
    port_answers -- whether something listens on a loopback port.

The endpoint is chosen by LOCAL_AWS_PORT (default 5000) and LOCAL_AWS_STATE_DIR
(default <repo>/.local), the same variables `python -m tools.local_aws` reads.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
import psycopg2
import pytest
from botocore.config import Config

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tools.local_aws import dataplane  # noqa: E402
from tools.local_aws.recorder import Recorder  # noqa: E402

VENV_BIN = REPO_ROOT / ".venv" / "bin"
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
RECAP_LINE = re.compile(r"^(?P<host>\S+)\s+:\s+(?P<counters>(?:\w+=\d+\s*)+)$")


def endpoint_port():
    return int(os.environ.get("LOCAL_AWS_PORT", "5000"))


def endpoint_state_dir():
    return Path(os.environ.get("LOCAL_AWS_STATE_DIR", REPO_ROOT / ".local")).resolve()


class LocalAws:
    """Handle on the running endpoint: boto3 clients, recorder and control API."""

    def __init__(self, port, state_dir):
        self.port = port
        self.state_dir = Path(state_dir)
        self.url = f"http://127.0.0.1:{port}"
        self.recorder = Recorder(state_dir)

    def client(self, service, region="us-east-1", **config):
        """A boto3 client bound to the endpoint; `config` goes to botocore Config."""
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.url,
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            config=Config(**config) if config else None,
        )

    def control(self, method, path, body=None):
        """Call the endpoint's control API (/_local_aws/<path>) and return its JSON answer."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.url}/_local_aws/{path}", data=data, method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    def health(self):
        """The health answer, None when nothing healthy listens on the port."""
        try:
            answer = self.control("GET", "health")
        except (urllib.error.URLError, OSError, ValueError):
            return None
        return answer if answer.get("status") == "ok" else None

    def healthy(self):
        return self.health() is not None

    def set_faults(self, rules):
        """Install fault rules, e.g. [{"action": "DescribeDBInstances", "first_n": 2,
        "error": "Throttling"}]; replaces any rules set before."""
        return self.control("POST", "faults", {"rules": rules})

    def clear_faults(self):
        return self.control("DELETE", "faults")

    def set_delay(self, seconds):
        """Keep RDS instances creating/modifying/rebooting for `seconds` after each change."""
        return self.control("POST", "delays", {"seconds": seconds})


@pytest.fixture(scope="session")
def local_aws():
    port = endpoint_port()
    health = LocalAws(port, endpoint_state_dir()).health()
    if health is None:
        subprocess.run(
            [sys.executable, "-m", "tools.local_aws", "up"],
            cwd=REPO_ROOT, check=True,
            env={**os.environ, "LOCAL_AWS_PORT": str(port),
                 "LOCAL_AWS_STATE_DIR": str(endpoint_state_dir())},
        )
        health = LocalAws(port, endpoint_state_dir()).health()
    # The running endpoint's own state dir is the one its call log is in.
    endpoint = LocalAws(port, health["state_dir"])
    yield endpoint
    endpoint.clear_faults()
    endpoint.set_delay(0)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_answers(port):
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def own_endpoint(local_aws):
    """A second endpoint for commands that would disturb the shared one; always stopped.

    Its state lives inside the shared state dir, which the PostgreSQL system user can
    reach (pytest's tmp_path is private to root).
    """
    state_dir = local_aws.state_dir / f"own-endpoint-{uuid.uuid4().hex[:8]}"
    endpoint = LocalAws(free_port(), state_dir)
    env = {**os.environ, "LOCAL_AWS_PORT": str(endpoint.port),
           "LOCAL_AWS_STATE_DIR": str(endpoint.state_dir)}

    def cli(command, **extra_env):
        return subprocess.run([sys.executable, "-m", "tools.local_aws", command],
                              env={**env, **extra_env}, cwd=REPO_ROOT, capture_output=True,
                              text=True, check=False)

    endpoint.cli = cli
    yield endpoint
    cli("down")
    dataplane.delete_all(state_dir)
    shutil.rmtree(state_dir, ignore_errors=True)


def ansible_environment(endpoint=None):
    """Environment for ansible-playbook run from the repository root against the endpoint."""
    endpoint = endpoint or LocalAws(endpoint_port(), endpoint_state_dir())
    return {
        **os.environ,
        **DUMMY_CREDENTIALS,
        "AWS_DEFAULT_REGION": "us-east-1",
        "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
        "LOCAL_AWS_PORT": str(endpoint.port),
        "LOCAL_AWS_STATE_DIR": str(endpoint.state_dir),
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }


@pytest.fixture
def ansible_env(local_aws):
    return ansible_environment(local_aws)


def parse_recap(stdout):
    """PLAY RECAP lines -> {host: {"ok": n, "changed": n, "failed": n, ...}}."""
    recap = {}
    in_recap = False
    for line in stdout.splitlines():
        if line.startswith("PLAY RECAP"):
            in_recap = True
            continue
        match = RECAP_LINE.match(line.strip()) if in_recap else None
        if match:
            recap[match["host"]] = {
                key: int(value)
                for key, value in (pair.split("=") for pair in match["counters"].split())
            }
    return recap


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


class PlaybookRun:
    """One run_playbook call and the span of the call log it wrote (for tests/policy)."""

    def __init__(self, playbook, recorder, since, until):
        self.playbook = playbook
        self.recorder = recorder
        self.since = since
        self.until = until

    def calls(self):
        return self.recorder.calls(self.since, self.until)


# Every run_playbook call of this pytest session, in order.
PLAYBOOK_RUNS = []


def run_playbook(playbook, inventory, extra_vars=None, check=False, diff=False,
                 env=None, expect_rc=0):
    """Run ansible-playbook from the repository root.

    Returns the CompletedProcess (text stdout/stderr) with an added `recap` attribute.
    Fails the test when the exit code is not `expect_rc` (pass None to skip the check).
    """
    command = [str(VENV_BIN / "ansible-playbook"), str(playbook), "-i", str(inventory)]
    env = env or ansible_environment()
    recorder = Recorder(env.get("LOCAL_AWS_STATE_DIR", endpoint_state_dir()))
    since = recorder.mark()
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    result = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False,
    )
    PLAYBOOK_RUNS.append(PlaybookRun(Path(playbook).as_posix(), recorder, since, recorder.mark()))
    result.recap = parse_recap(result.stdout)
    if expect_rc is not None and result.returncode != expect_rc:
        pytest.fail(
            f"{' '.join(command)} exited {result.returncode}, expected {expect_rc}\n"
            f"--- stdout ---\n{result.stdout[-6000:]}\n--- stderr ---\n{result.stderr[-3000:]}"
        )
    return result


def pg_connect(host, port, user, password, dbname):
    """Open a psycopg2 connection (autocommit) to a data-plane PostgreSQL."""
    connection = psycopg2.connect(host=host, port=port, user=user, password=password,
                                  dbname=dbname, connect_timeout=10)
    connection.autocommit = True
    return connection
