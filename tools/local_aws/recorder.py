"""Read the local endpoint's API call log ($STATE_DIR/calls.jsonl).

Each line is one call:
    {"ts": "...", "service": "rds", "action": "CreateDBInstance", "region": "us-east-1",
     "ids": {"DBInstanceIdentifier": "db1"}, "status": 200, "error": null}

From tests:
    recorder = Recorder()              # state dir from LOCAL_AWS_STATE_DIR or <repo>/.local
    since = recorder.mark()
    ...                                # run something
    assert recorder.mutating(since) == []

From the command line:
    python -m tools.local_aws.recorder summary [--mutating]
"""

import argparse
import json
import os
from collections import Counter
from pathlib import Path

CALLS_FILE = "calls.jsonl"
# Query/JSON/CBOR actions by name; REST calls are recorded as "<METHOD> <path>".
READ_ONLY_PREFIXES = ("Describe", "List", "Get", "BatchGet", "Head", "GET ", "HEAD ")


def default_state_dir():
    repo_root = Path(__file__).resolve().parents[2]
    return Path(os.environ.get("LOCAL_AWS_STATE_DIR", repo_root / ".local"))


def is_mutating(action):
    return not action.startswith(READ_ONLY_PREFIXES)


class Recorder:
    """Reader over calls.jsonl; positions returned by mark() are byte offsets."""

    def __init__(self, state_dir=None):
        self.path = Path(state_dir or default_state_dir()) / CALLS_FILE

    def mark(self):
        """Current end of the log; pass it as `since` to see only later calls."""
        return self.path.stat().st_size if self.path.exists() else 0

    def calls(self, since=None, until=None):
        """Calls logged from offset `since` (default: the start) up to offset `until`."""
        if not self.path.exists():
            return []
        with self.path.open("rb") as log:
            log.seek(since or 0)
            size = None if until is None else until - (since or 0)
            lines = log.read(size).decode().splitlines()
        # A line still being written has no newline yet and may be incomplete.
        return [json.loads(line) for line in lines if line.strip().endswith("}")]

    def count_by_action(self, since=None):
        """{"rds:CreateDBInstance": n, "CreateDBInstance": n, ...}."""
        counts = Counter()
        for call in self.calls(since):
            counts[f"{call['service']}:{call['action']}"] += 1
            counts[call["action"]] += 1
        return dict(counts)

    def mutating(self, since=None):
        return [call for call in self.calls(since) if is_mutating(call["action"])]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.local_aws.recorder")
    parser.add_argument("command", choices=["summary"])
    parser.add_argument("--state-dir", default=None)
    parser.add_argument("--mutating", action="store_true", help="list the mutating calls")
    args = parser.parse_args(argv)
    recorder = Recorder(args.state_dir)
    if args.mutating:
        for call in recorder.mutating():
            print(json.dumps(call))
        return
    counts = Counter()
    for call in recorder.calls():
        counts[f"{call['service']}:{call['action']}"] += 1
    for key, count in sorted(counts.items()):
        print(f"{count:6d}  {key}")
    print(f"{sum(counts.values()):6d}  total")


if __name__ == "__main__":
    main()
