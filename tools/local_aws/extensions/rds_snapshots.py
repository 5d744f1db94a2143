"""RDS DB snapshots: DescribeDBSnapshots pages as AWS does, and a snapshot quota fit for tests.

* DescribeDBSnapshots honours MaxRecords (20-100, default 100) and Marker; moto returns
  every snapshot in one answer.
* moto refuses a snapshot beyond 1,000 per region (MOTO_RDS_SNAPSHOT_LIMIT); the endpoint
  allows 10,000 unless that variable is set. (AWS: 100 manual snapshots per region by
  default, raised through Service Quotas.)
"""

import functools
import os

from moto.core.responses import ActionResult
from moto.rds.exceptions import InvalidParameterValue
from moto.rds.responses import RDSResponse

from . import paging

SNAPSHOT_LIMIT = "10000"


def _describe_db_snapshots(original):
    @functools.wraps(original)
    def describe_db_snapshots(self):
        answer = original(self).result
        snapshots, marker = paging.page(answer["DBSnapshots"], self.params.get("Marker"),
                                        self.params.get("MaxRecords"), InvalidParameterValue)
        result = {"DBSnapshots": snapshots}
        if marker:
            result["Marker"] = marker
        return ActionResult(result)
    return describe_db_snapshots


def install():
    os.environ.setdefault("MOTO_RDS_SNAPSHOT_LIMIT", SNAPSHOT_LIMIT)
    RDSResponse.describe_db_snapshots = _describe_db_snapshots(RDSResponse.describe_db_snapshots)
