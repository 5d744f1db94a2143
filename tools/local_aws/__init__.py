"""Local AWS endpoint: moto in server mode, extended for what the collection uses.

Run it with ``python -m tools.local_aws up|down|status|reset`` (see docs/local_aws.md).
"""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PORT = 5000
BIND_ADDRESS = "127.0.0.1"


def configured_port():
    return int(os.environ.get("LOCAL_AWS_PORT", DEFAULT_PORT))


def configured_state_dir():
    return Path(os.environ.get("LOCAL_AWS_STATE_DIR", REPO_ROOT / ".local")).resolve()
