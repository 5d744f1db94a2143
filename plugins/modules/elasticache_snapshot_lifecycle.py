#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: elasticache_snapshot_lifecycle
version_added: 0.1.0
short_description: Take and prune manual snapshots of an ElastiCache replication group in one run
description:
  - Takes a manual snapshot of a Redis OSS or Valkey replication group now (name from a template with
    a timestamp, a purpose tag such as V(pre-deploy)) and applies a retention policy to the group's
    manual snapshots (O(retention.keep_last), daily / weekly / monthly / yearly generations,
    O(retention.max_age_days)), with the same rules as M(dbfleet.aws.rds_snapshot_lifecycle).
  - Lists the snapshots once (C(DescribeSnapshots), 50 per page, manual snapshots only) and makes
    every deletion in the same run. C(DescribeSnapshots) returns no tags; instead of one
    C(ListTagsForResource) per snapshot, the snapshots carrying the protect tag are found with one
    (paginated) C(tag:GetResources) call, so the role running the module needs C(tag:GetResources).
  - Never deletes an automated snapshot nor a snapshot carrying the protect tag
    (O(protect_tag_key)=O(protect_tag_value), by default C(retain=true)).
  - ElastiCache cannot copy a snapshot to another region (C(CopySnapshot) copies within a region or
    exports to S3), so O(copies) exists only so that one policy can be given to both lifecycle modules,
    and is refused when not empty. Use a Global Datastore for Redis data in another region.
author:
  - dbfleet maintainers (@dbfleet)
options:
  replication_group_id:
    description: The replication group whose manual snapshots are taken and pruned.
    required: true
    type: str
  create:
    description: Take a manual snapshot now, before the retention policy is applied.
    type: bool
    default: false
  snapshot_name:
    description:
      - Name template of the new snapshot. Fields C({source}) (the replication group), C({purpose}),
        C({timestamp}) (UTC, V(20260131-101500)), C({date}) and C({time}).
    type: str
    default: "{source}-{purpose}-{timestamp}"
  copies:
    description:
      - Not supported by ElastiCache; any entry is refused (see above).
    type: list
    elements: dict
    default: []
    suboptions:
      region:
        description: Target region.
        type: str
        required: true
      kms_key_id:
        description: Unused.
        type: str
      snapshot_name:
        description: Unused.
        type: str
        default: "{snapshot}"
      tags:
        description: Unused.
        type: dict
        default: {}
      retention:
        description: Unused.
        type: dict
        suboptions:
          keep_last:
            description: Unused.
            type: int
          daily:
            description: Unused.
            type: int
          weekly:
            description: Unused.
            type: int
          monthly:
            description: Unused.
            type: int
          yearly:
            description: Unused.
            type: int
          max_age_days:
            description: Unused.
            type: int
  wait:
    description: Wait until the new snapshot is available.
    type: bool
    default: true
notes:
  - Diff mode shows the group's manual snapshot names before and after.
  - O(retention) follows the rules of M(dbfleet.aws.rds_snapshot_lifecycle).
extends_documentation_fragment:
  - dbfleet.aws.snapshot_lifecycle
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Snapshot the cache before a deployment
  dbfleet.aws.elasticache_snapshot_lifecycle:
    replication_group_id: app-prod-redis
    create: true
    purpose: pre-deploy

- name: Keep 14 daily and 8 weekly manual snapshots
  dbfleet.aws.elasticache_snapshot_lifecycle:
    replication_group_id: app-prod-redis
    retention:
      daily: 14
      weekly: 8
"""

RETURN = r"""
snapshot:
  description: The snapshot taken now (predicted in check mode); empty without O(create).
  returned: always
  type: dict
  sample:
    id: app-prod-redis-pre-deploy-20260131-101500
    source: app-prod-redis
    created: "2026-01-31T10:15:00+00:00"
    status: available
    arn: arn:aws:elasticache:us-east-1:123456789012:snapshot:app-prod-redis-pre-deploy-20260131-101500
    tags: {"Purpose": "pre-deploy"}
deleted:
  description: Snapshots deleted (in check mode, that would be), with the reasons.
  returned: always
  type: list
  elements: dict
  sample:
    - id: app-prod-redis-manual-20251201-030000
      source: app-prod-redis
      region: us-east-1
      created: "2025-12-01T03:00:00+00:00"
      reasons: ["selected by no rule of daily=14, weekly=8"]
kept:
  description: Manual snapshots kept by the policy, with every rule that keeps each.
  returned: always
  type: list
  elements: dict
  sample:
    - id: app-prod-redis-pre-deploy-20260131-101500
      source: app-prod-redis
      region: us-east-1
      created: "2026-01-31T10:15:00+00:00"
      reasons: ["daily: newest of 2026-01-31", "weekly: newest of 2026-W05"]
copies:
  description: Always empty (ElastiCache has no cross-region snapshot copy).
  returned: always
  type: list
  elements: dict
  sample: []
listing_calls:
  description: Number of snapshot listing calls made (C(DescribeSnapshots) and C(tag:GetResources)).
  returned: always
  type: int
  sample: 3
problems:
  description: Every validation problem, one per entry, when validation fails.
  returned: failure
  type: list
  elements: str
  sample: ["copies[0].region: ElastiCache cannot copy a snapshot to another region (us-west-2)"]
"""


try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_waiters import snapshot_available
from ansible_collections.dbfleet.aws.plugins.module_utils.snapshot_lifecycle import lifecycle_argument_spec
from ansible_collections.dbfleet.aws.plugins.module_utils.snapshot_lifecycle import list_pages
from ansible_collections.dbfleet.aws.plugins.module_utils.snapshot_lifecycle import run
from ansible_collections.dbfleet.aws.plugins.module_utils.snapshot_lifecycle import utcnow
from ansible_collections.dbfleet.aws.plugins.module_utils.snapshot_retention import utc

PAGE_SIZE = 50
TAGGING_PAGE_SIZE = 100
WAIT_DELAY_SECONDS = 5
SNAPSHOT_RESOURCE_TYPE = "elasticache:snapshot"


class ElastiCacheSnapshots:
    """DescribeSnapshots / CreateSnapshot / DeleteSnapshot for one replication group."""

    max_name_length = 255

    def __init__(self, module):
        self.module = module
        self.region = module.region
        self.listing_calls = 0
        self.client = module.client("elasticache", retry_decorator=AWSRetry.jittered_backoff())
        self.tagging = module.client("resourcegroupstaggingapi", retry_decorator=AWSRetry.jittered_backoff())

    @staticmethod
    def as_snapshot(snapshot, tags):
        times = [node["SnapshotCreateTime"] for node in snapshot.get("NodeSnapshots") or []
                 if node.get("SnapshotCreateTime")]
        return {
            "id": snapshot["SnapshotName"],
            "source": snapshot.get("ReplicationGroupId") or snapshot.get("CacheClusterId"),
            # A snapshot still being made has no node time yet: it is the newest.
            "created": utc(min(times)) if times else utcnow(),
            "tags": tags.get(snapshot.get("ARN"), {}),
            "type": "automated" if snapshot.get("SnapshotSource") == "automated" else "manual",
            "status": snapshot.get("SnapshotStatus"),
            "arn": snapshot.get("ARN"),
        }

    def protected_tags(self):
        """{snapshot ARN: tags} of the region's snapshots that carry the protect tag key."""
        tags, request = {}, {
            "ResourceTypeFilters": [SNAPSHOT_RESOURCE_TYPE],
            "TagFilters": [{"Key": self.module.params["protect_tag_key"]}],
            "ResourcesPerPage": TAGGING_PAGE_SIZE,
        }
        while True:
            answer = self.tagging.get_resources(aws_retry=True, **request)
            self.listing_calls += 1
            for resource in answer.get("ResourceTagMappingList") or []:
                tags[resource["ResourceARN"]] = dict((tag["Key"], tag["Value"]) for tag in resource.get("Tags") or [])
            if not answer.get("PaginationToken"):
                return tags
            request["PaginationToken"] = answer["PaginationToken"]

    def list_manual(self, source, region):
        try:
            snapshots, pages = list_pages(self.client, "describe_snapshots", "Snapshots", PAGE_SIZE,
                                          ReplicationGroupId=source, SnapshotSource="user")
        except is_boto3_error_code("ReplicationGroupNotFoundFault"):
            # Not created yet (a check-mode run before the group exists): nothing to prune.
            return []
        self.listing_calls += pages
        tags = self.protected_tags() if snapshots and self.module.params["protect_tag_key"] else {}
        return [self.as_snapshot(snapshot, tags) for snapshot in snapshots]

    def describe(self, name):
        return self.client.describe_snapshots(aws_retry=True, SnapshotName=name)["Snapshots"][0]

    def create(self, name, source, tags):
        answer = self.client.create_snapshot(aws_retry=True, ReplicationGroupId=source, SnapshotName=name,
                                             Tags=ansible_dict_to_boto3_tag_list(tags))
        return self.as_snapshot(answer["Snapshot"], {answer["Snapshot"].get("ARN"): tags})

    def wait_available(self, name, timeout):
        try:
            snapshot_available(self.client, WAIT_DELAY_SECONDS, timeout).wait(SnapshotName=name)
        except botocore.exceptions.WaiterError:
            self.module.fail_json(msg="Snapshot %s is %s after waiting up to %d seconds"
                                      % (name, self.describe(name).get("SnapshotStatus"), timeout))
        snapshot = self.describe(name)
        return self.as_snapshot(snapshot, {snapshot.get("ARN"): dict(self.module.params["tags"])})

    def delete(self, region, name):
        try:
            self.client.delete_snapshot(aws_retry=True, SnapshotName=name)
        except is_boto3_error_code("SnapshotNotFoundFault"):
            pass  # Gone meanwhile: the wanted outcome.

    def copy_problems(self, index, entry):
        return ["copies[%d].region: ElastiCache cannot copy a snapshot to another region (%s); CopySnapshot "
                "copies within a region or exports to S3. Use a Global Datastore for Redis data in another "
                "region, and leave copies empty" % (index, entry["region"])]


def main():
    module = AnsibleAWSModule(argument_spec=lifecycle_argument_spec("replication_group_id"),
                              supports_check_mode=True)
    adapter = ElastiCacheSnapshots(module)
    try:
        run(module, adapter, "replication_group_id", [])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="ElastiCache call failed for the snapshots of replication group %s"
                                    % module.params["replication_group_id"])


if __name__ == "__main__":
    main()
