"""python -m tools.local_aws up|down|status|reset|purge

Port from LOCAL_AWS_PORT (default 5000), state from LOCAL_AWS_STATE_DIR (default
<repo>/.local). The server binds 127.0.0.1 only.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from . import BIND_ADDRESS, REPO_ROOT, configured_port, configured_state_dir
from . import dataplane
from .dataplane import postgres

PID_FILE = "local_aws.pid"
LOG_FILE = "local_aws.log"
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30


def control(port, method, route, timeout=5):
    """JSON answer of the control API, None when nothing healthy answers."""
    request = urllib.request.Request(f"http://{BIND_ADDRESS}:{port}/_local_aws/{route}",
                                     method=method, data=b"{}" if method == "POST" else None,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def read_pid(state_dir):
    try:
        return int((state_dir / PID_FILE).read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def process_alive(pid):
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie has exited already.
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return True


def log_tail(state_dir, lines=30):
    try:
        return "\n".join((state_dir / LOG_FILE).read_text(encoding="utf-8").splitlines()[-lines:])
    except OSError:
        return ""


def up(port, state_dir):
    health = control(port, "GET", "health")
    if health:
        print(f"local AWS endpoint already running on http://{BIND_ADDRESS}:{port} "
              f"(pid {health['pid']}, state {health['state_dir']})")
        return 0
    pid = read_pid(state_dir)
    if process_alive(pid):
        print(f"process {pid} from {state_dir / PID_FILE} is alive but not answering on port "
              f"{port}; run `python -m tools.local_aws down` first", file=sys.stderr)
        return 1
    state_dir.mkdir(parents=True, exist_ok=True)
    with open(state_dir / LOG_FILE, "a", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tools.local_aws.server", "--port", str(port),
             "--state-dir", str(state_dir)],
            cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (state_dir / PID_FILE).write_text(f"{process.pid}\n", encoding="utf-8")
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            print(f"local AWS endpoint exited with {process.returncode}:\n"
                  f"{log_tail(state_dir)}", file=sys.stderr)
            (state_dir / PID_FILE).unlink(missing_ok=True)
            return 1
        if control(port, "GET", "health"):
            print(f"local AWS endpoint up on http://{BIND_ADDRESS}:{port} "
                  f"(pid {process.pid}, state {state_dir})")
            return 0
        time.sleep(0.2)
    print(f"local AWS endpoint not healthy after {START_TIMEOUT_SECONDS}s:\n"
          f"{log_tail(state_dir)}", file=sys.stderr)
    return 1


def down(port, state_dir):
    pid = read_pid(state_dir)
    if process_alive(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        while process_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if process_alive(pid):
            os.kill(pid, signal.SIGKILL)
        print(f"local AWS endpoint stopped (pid {pid})")
    else:
        print("local AWS endpoint not running")
    (state_dir / PID_FILE).unlink(missing_ok=True)
    # Covers databases left running by an endpoint that crashed.
    dataplane.stop_all(state_dir)
    return 0


def status(port, state_dir):
    health = control(port, "GET", "health")
    if health:
        print(f"up: http://{BIND_ADDRESS}:{port} (pid {health['pid']}, "
              f"state {health['state_dir']})")
        return 0
    print(f"down: nothing healthy on http://{BIND_ADDRESS}:{port}")
    return 1


def reset(port, state_dir):
    if control(port, "POST", "reset", timeout=120):
        print("local AWS endpoint reset: AWS state, databases, faults and delays")
        return 0
    dataplane.delete_all(state_dir)
    print("local AWS endpoint not running; removed its databases")
    return 0


def purge(port, state_dir):
    """down, then remove the state dir and the data plane's directories wherever they are."""
    down(port, state_dir)
    dataplane.delete_all(state_dir)
    shutil.rmtree(postgres.pg_root(state_dir), ignore_errors=True)
    shutil.rmtree(state_dir, ignore_errors=True)
    print(f"local AWS endpoint state removed ({state_dir})")
    return 0


COMMANDS = {"up": up, "down": down, "status": status, "reset": reset, "purge": purge}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.local_aws",
                                     description="Run the local AWS endpoint.")
    parser.add_argument("command", choices=sorted(COMMANDS))
    args = parser.parse_args(argv)
    return COMMANDS[args.command](configured_port(), configured_state_dir())


if __name__ == "__main__":
    sys.exit(main())
