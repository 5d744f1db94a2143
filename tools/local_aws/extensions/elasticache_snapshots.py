"""ElastiCache snapshots: paging, creation times and the tagging API's resource type.

* DescribeSnapshots honours MaxRecords (20-50, default 50) and Marker; moto returns every
  snapshot and echoes the request's Marker.
* NodeSnapshots (with SnapshotCreateTime, the only creation time AWS reports for a
  snapshot) is filled at CreateSnapshot for the group's primary node; moto leaves it out.
* tag:GetResources lists snapshots as resource type ``elasticache:snapshot`` as AWS does
  (moto: ``elasticache:snapshots``), so ResourceTypeFilters select them.
"""

import functools

from moto.core.resource_tagging import TaggedResource
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.elasticache.exceptions import InvalidParameterValueException
from moto.elasticache.models import ElastiCacheBackend
from moto.elasticache.responses import ElastiCacheResponse

from . import paging

MAX_RECORDS_MAX = 50
MOTO_SNAPSHOT_TYPE, AWS_SNAPSHOT_TYPE = "elasticache:snapshots", "elasticache:snapshot"


def _describe_snapshots(original):
    @functools.wraps(original)
    def describe_snapshots(self):
        answer = original(self).result
        max_records = self._get_param("MaxRecords")
        if max_records is not None and int(max_records) > MAX_RECORDS_MAX:
            raise InvalidParameterValueException(
                f"Invalid value {max_records} for MaxRecords. Must be between "
                f"{paging.MAX_RECORDS_MIN} and {MAX_RECORDS_MAX}")
        snapshots, marker = paging.page(answer["Snapshots"], self._get_param("Marker"),
                                        MAX_RECORDS_MAX if max_records is None else max_records,
                                        InvalidParameterValueException)
        result = {"Snapshots": snapshots}
        if marker:
            result["Marker"] = marker
        return ActionResult(result)
    return describe_snapshots


def _create_snapshot(original):
    @functools.wraps(original)
    def create_snapshot(self, snapshot_name, replication_group_id, cache_cluster_id, kms_key_id, tags):
        snapshot = original(self, snapshot_name, replication_group_id, cache_cluster_id, kms_key_id, tags)
        group = self.replication_groups.get(snapshot.replication_group_id or "")
        members = list(getattr(group, "member_clusters", None) or [])
        snapshot.node_snapshots = [{
            "CacheClusterId": cache_cluster_id or (members[0] if members else None),
            "NodeGroupId": "0001",
            "CacheNodeId": "0001",
            "CacheSize": "0 MB",
            "SnapshotCreateTime": utcnow(),
        }]
        return snapshot
    return create_snapshot


def _iter_tagged_resources(original):
    @functools.wraps(original)
    def iter_tagged_resources(self):
        for resource in original(self):
            if resource.resource_type == MOTO_SNAPSHOT_TYPE:
                resource = TaggedResource(arn=resource.arn, tags=resource.tags,
                                          resource_type=AWS_SNAPSHOT_TYPE, extra=resource.extra)
            yield resource
    return iter_tagged_resources


def install():
    ElastiCacheResponse.describe_snapshots = _describe_snapshots(ElastiCacheResponse.describe_snapshots)
    ElastiCacheBackend.create_snapshot = _create_snapshot(ElastiCacheBackend.create_snapshot)
    ElastiCacheBackend.iter_tagged_resources = _iter_tagged_resources(ElastiCacheBackend.iter_tagged_resources)
