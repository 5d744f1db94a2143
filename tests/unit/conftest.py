"""Make the collection importable as ansible_collections.dbfleet.aws (via `make collection`)."""

import sys
from pathlib import Path

COLLECTIONS_PATH = Path(__file__).resolve().parents[2] / ".build" / "collections"

if not (COLLECTIONS_PATH / "ansible_collections" / "dbfleet" / "aws").exists():
    raise RuntimeError("run `make collection` first: %s is missing" % COLLECTIONS_PATH)
if str(COLLECTIONS_PATH) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_PATH))
