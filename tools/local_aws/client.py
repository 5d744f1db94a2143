"""What tests and benchmarks use to talk to the local endpoint and run playbooks against it:
boto3 clients, the recorder and the control API (LocalAws), the environment for
ansible-playbook, PLAY RECAP parsing, PostgreSQL and Redis connections and secrets. No pytest here:
tests/conftest.py builds its fixtures on it, bench/ imports it directly.
"""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import boto3
import psycopg2
import redis
from botocore.config import Config
from redis.backoff import NoBackoff
from redis.retry import Retry

from . import REPO_ROOT
from . import configured_port as endpoint_port
from . import configured_state_dir as endpoint_state_dir
from .recorder import Recorder, is_mutating

VENV_BIN = REPO_ROOT / ".venv" / "bin"
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# What an inventory written for AWS needs on the local endpoint (make demo FLEET=... ENV=...).
EXAMPLE_OVERLAY = REPO_ROOT / "tools" / "local_aws" / "example_overlay.yml"
TASK_TIME = re.compile(r"^(?P<task>.+?) -+ (?P<seconds>[\d.]+)s$")  # a profile_tasks line
RECAP_LINE = re.compile(r"^(?P<host>\S+)\s+:\s+(?P<counters>(?:\w+=\d+\s*)+)$")


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


def running_endpoint():
    """The endpoint of LOCAL_AWS_PORT / LOCAL_AWS_STATE_DIR, started when nothing healthy
    answers there (the benchmarks' entry point)."""
    endpoint = LocalAws(endpoint_port(), endpoint_state_dir())
    if not endpoint.healthy():
        subprocess.run([sys.executable, "-m", "tools.local_aws", "up"], cwd=REPO_ROOT, check=True)
    return LocalAws(endpoint.port, endpoint.health()["state_dir"])


@contextmanager
def own_endpoint():
    """A fresh endpoint on a free port with a temporary state dir, stopped at the end: a
    benchmark's figures then owe nothing to what another run left on a shared one."""
    with tempfile.TemporaryDirectory(prefix="dbfleet-bench-") as state_dir:
        port = free_port()
        environ = dict(os.environ, LOCAL_AWS_PORT=str(port), LOCAL_AWS_STATE_DIR=state_dir)
        subprocess.run([sys.executable, "-m", "tools.local_aws", "up"], cwd=REPO_ROOT, check=True, env=environ,
                       capture_output=True)
        try:
            yield LocalAws(port, state_dir)
        finally:
            subprocess.run([sys.executable, "-m", "tools.local_aws", "down"], cwd=REPO_ROOT, check=False,
                           env=environ, capture_output=True)


def write_figures(path, figures):
    """A benchmark's figures as JSON in `path` (its --json), when given."""
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(figures, indent=2) + "\n")
        print("figures written to %s" % path)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_answers(address, port):
    """Whether something listens on address:port (data-plane servers: Endpoint.Address, Port)."""
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((address, port)) == 0


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


def profiled_environment(env):
    """`env` with the ansible.posix.profile_tasks callback on, every task in its recap."""
    return {**env, "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",
            "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "all"}


def task_times(stdout):
    """[(seconds, task)] from the profile_tasks recap of a run, slowest first."""
    recap = stdout[stdout.find("TASKS RECAP"):]
    times = [(float(m["seconds"]), m["task"].strip()) for m in map(TASK_TIME.match, recap.splitlines()) if m]
    return sorted(times, reverse=True)


LOCALHOST_INVENTORY = "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
# A play on the controller whose AWS modules (dbfleet.aws's and amazon.aws's) talk to the
# endpoint of the extra var endpoint_url; a benchmark appends its tasks.
ENDPOINT_PLAY = """---
- name: Bench
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  module_defaults:
    group/dbfleet.aws.aws: {region: us-east-1, endpoint_url: "{{ endpoint_url }}"}
    group/aws: {region: us-east-1, endpoint_url: "{{ endpoint_url }}"}
  tasks:
"""


def timed_tasks(work, name, tasks, extra_vars, env):
    """Run `tasks` (YAML indented for ENDPOINT_PLAY) as work/<name>.yml on localhost, with
    `env` from profiled_environment; exits when the run fails. Returns its figures: wall and
    task seconds, the API calls (all, by action, writes)."""
    playbook, inventory = work / ("%s.yml" % name), work / "inventory.yml"
    playbook.write_text(ENDPOINT_PLAY + tasks)
    inventory.write_text(LOCALHOST_INVENTORY)
    start = time.perf_counter()
    result = run_ansible_playbook(playbook, inventory, extra_vars=extra_vars, env=env)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit("%s failed:\n%s\n%s" % (name, result.stdout[-3000:], result.stderr[-2000:]))
    return {"wall_seconds": round(seconds, 2),
            "task_seconds": round(sum(task_seconds for task_seconds, _task in task_times(result.stdout)), 2),
            "api_calls": len(result.calls), "writes": len(result.mutating),
            "calls_by_action": dict(Counter(call["action"] for call in result.calls))}


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


def run_ansible_playbook(playbook, inventory, extra_vars=None, check=False, diff=False, env=None,
                         overlay=False, limit=None):
    """Run ansible-playbook from the repository root. Returns the CompletedProcess (text
    stdout/stderr) with `command`, `recap`, and `calls` / `mutating`: the endpoint calls
    (all, and the writes) made during the run. `overlay`: an inventory written for AWS (an
    example fleet) runs with EXAMPLE_OVERLAY, as `make demo FLEET=... ENV=...` runs it;
    `limit`: the hosts to run on (--limit)."""
    command = [str(VENV_BIN / "ansible-playbook"), str(playbook), "-i", str(inventory)]
    env = env or ansible_environment()
    recorder = Recorder(env.get("LOCAL_AWS_STATE_DIR", endpoint_state_dir()))
    since = recorder.mark()
    if overlay:
        command += ["-e", f"@{EXAMPLE_OVERLAY}"]
    if limit:
        command += ["--limit", limit]
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    result.command = command
    result.calls = recorder.calls(since, recorder.mark())
    result.mutating = [call for call in result.calls if is_mutating(call["action"])]
    result.recap = parse_recap(result.stdout)
    return result


def read_secret(local_aws, name, region="us-east-1"):
    """A Secrets Manager secret of the endpoint, its JSON parsed."""
    client = local_aws.client("secretsmanager", region)
    return json.loads(client.get_secret_value(SecretId=name)["SecretString"])


def describe_db_instance(rds, identifier):
    return rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]


def db_parameters(rds, group):
    """{name: value} of a DB parameter group: the values set in it, else the family's."""
    pages = rds.get_paginator("describe_db_parameters").paginate(DBParameterGroupName=group)
    return {p["ParameterName"]: p.get("ParameterValue") for page in pages for p in page["Parameters"]}


def cache_parameters(elasticache, group):
    """{name: value} of a cache parameter group: the values set in it, else the family's."""
    pages = elasticache.get_paginator("describe_cache_parameters").paginate(CacheParameterGroupName=group)
    return {p["ParameterName"]: p.get("ParameterValue") for page in pages for p in page["Parameters"]}


def redis_connect(endpoint, password=None):
    """redis-py client of a data-plane node at endpoint (address, port), without retries."""
    address, port = endpoint
    return redis.Redis(host=address, port=port, password=password, socket_timeout=5,
                       decode_responses=True, retry=Retry(NoBackoff(), 0))


def redis_answers(endpoint):
    """Whether a Redis server answers at endpoint (address, port), with or without AUTH."""
    try:
        redis_connect(endpoint).ping()
    except redis.AuthenticationError:
        return True
    except redis.ConnectionError:
        return False
    return True


def pg_connect(host, port, user, password, dbname):
    """Open a psycopg2 connection (autocommit) to a data-plane PostgreSQL."""
    connection = psycopg2.connect(host=host, port=port, user=user, password=password,
                                  dbname=dbname, connect_timeout=10)
    connection.autocommit = True
    return connection
