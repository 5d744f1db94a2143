#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_snapshot_lifecycle
version_added: 0.1.0
short_description: Take, prune and copy manual snapshots of an RDS DB instance in one run
description:
  - Takes a manual snapshot of a DB instance now (name from a template with a timestamp, a purpose
    tag such as V(pre-deploy)), applies a retention policy to the instance's manual snapshots
    (O(retention.keep_last), daily / weekly / monthly / yearly generations, O(retention.max_age_days)),
    copies the newest manual snapshot to other regions and applies a policy there too.
  - Lists the snapshots once per region (C(DescribeDBSnapshots), 100 per page, tags included) and
    makes every deletion and copy in the same run, so pruning 2,000 snapshots takes about 20
    listing calls plus the deletions, not a task per snapshot.
  - Never deletes an automated snapshot (only manual snapshots are listed) nor a snapshot carrying
    the protect tag (O(protect_tag_key)=O(protect_tag_value), by default C(retain=true)).
  - The policy is applied to the snapshots of O(db_instance_identifier) only.
  - "How the rules combine: a snapshot is kept when any rule selects it; O(retention.max_age_days)
    is then a hard cap that deletes older snapshots even when a rule selects them. Protected
    snapshots take no slot of any rule. See the C(docs/modules/rds_snapshot_lifecycle.md) page."
author:
  - dbfleet maintainers (@dbfleet)
options:
  db_instance_identifier:
    description:
      - The DB instance whose snapshots are taken, pruned and copied. Its snapshots are also found
        after the instance was deleted.
    required: true
    type: str
  create:
    description:
      - Take a manual snapshot now, before the retention policy is applied (so it counts as the
        newest snapshot).
    type: bool
    default: false
  snapshot_name:
    description:
      - Name template of the new snapshot. Fields C({source}) (the DB instance), C({purpose}),
        C({timestamp}) (UTC, V(20260131-101500)), C({date}) (V(20260131)) and C({time}) (V(1015)).
      - The rendered name must be a valid snapshot identifier (letter first, letters, digits and
        hyphens, no double or trailing hyphen, at most 255 characters).
    type: str
    default: "{source}-{purpose}-{timestamp}"
  copies:
    description:
      - Regions that receive a copy of the newest manual snapshot (the one taken now when
        O(create=true)). A copy already there (same name) is not made again.
      - The copy carries the tags of the source snapshot plus O(copies[].tags).
    type: list
    elements: dict
    default: []
    suboptions:
      region:
        description: Target region.
        type: str
        required: true
      kms_key_id:
        description:
          - KMS key of the target region that encrypts the copy. Required for an encrypted
            snapshot copied to another region. A key ARN must be of the target region.
        type: str
      snapshot_name:
        description: Name of the copy; fields C({snapshot}) (the source snapshot) and C({source}).
        type: str
        default: "{snapshot}"
      tags:
        description: Tags added to the copy.
        type: dict
        default: {}
      retention:
        description: Retention policy applied to the DB instance's manual snapshots in that region.
        type: dict
        suboptions:
          keep_last:
            description: As O(retention.keep_last).
            type: int
          daily:
            description: As O(retention.daily).
            type: int
          weekly:
            description: As O(retention.weekly).
            type: int
          monthly:
            description: As O(retention.monthly).
            type: int
          yearly:
            description: As O(retention.yearly).
            type: int
          max_age_days:
            description: As O(retention.max_age_days).
            type: int
  wait:
    description: Wait until the new snapshot is available. Copies are started, not waited for.
    type: bool
    default: true
notes:
  - Diff mode shows the instance's manual snapshot identifiers before and after.
extends_documentation_fragment:
  - dbfleet.aws.snapshot_lifecycle
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Snapshot before a deployment
  dbfleet.aws.rds_snapshot_lifecycle:
    db_instance_identifier: app-prod-db
    create: true
    purpose: pre-deploy

- name: Grandfather-father-son retention, copies to the DR region kept 14 days
  dbfleet.aws.rds_snapshot_lifecycle:
    db_instance_identifier: app-prod-db
    create: true
    purpose: nightly
    retention:
      daily: 7
      weekly: 4
      monthly: 12
      max_age_days: 400
    copies:
      - region: us-west-2
        kms_key_id: arn:aws:kms:us-west-2:123456789012:alias/rds-dr
        retention:
          max_age_days: 14
  register: lifecycle

- name: What would go, and why the rest stays
  dbfleet.aws.rds_snapshot_lifecycle:
    db_instance_identifier: app-prod-db
    retention:
      keep_last: 10
  check_mode: true
  register: preview
"""

RETURN = r"""
snapshot:
  description: The snapshot taken now (predicted in check mode); empty without O(create).
  returned: always
  type: dict
  contains:
    id:
      description: Snapshot identifier.
      type: str
      sample: app-prod-db-pre-deploy-20260131-101500
    source:
      description: The DB instance.
      type: str
      sample: app-prod-db
    created:
      description: Creation time, ISO 8601 in UTC.
      type: str
      sample: "2026-01-31T10:15:00+00:00"
    status:
      description: Snapshot status.
      type: str
      sample: available
    arn:
      description: Snapshot ARN; null in check mode.
      type: str
      sample: arn:aws:rds:us-east-1:123456789012:snapshot:app-prod-db-pre-deploy-20260131-101500
    tags:
      description: Tags of the snapshot.
      type: dict
      sample: {"Purpose": "pre-deploy"}
deleted:
  description: Snapshots deleted (in check mode, that would be), with the reasons, in every region.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Snapshot identifier.
      type: str
    source:
      description: The DB instance.
      type: str
    region:
      description: Region of the snapshot.
      type: str
    created:
      description: Creation time, ISO 8601 in UTC.
      type: str
    reasons:
      description: Why it goes.
      type: list
      elements: str
      sample: ["selected by no rule of keep_last=10"]
kept:
  description: Manual snapshots kept by a policy, with every rule that keeps each.
  returned: always
  type: list
  elements: dict
  sample:
    - id: app-prod-db-nightly-20260131-030000
      source: app-prod-db
      region: us-east-1
      created: "2026-01-31T03:00:00+00:00"
      reasons: ["keep_last: 1 of the 10 newest", "daily: newest of 2026-01-31"]
    - id: app-prod-db-pre-v2
      source: app-prod-db
      region: us-east-1
      created: "2025-06-01T12:00:00+00:00"
      reasons: ["protected by tag retain=true"]
copies:
  description: One entry per O(copies) region that has a source snapshot to copy.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Identifier of the copy.
      type: str
    region:
      description: Target region.
      type: str
    source_snapshot:
      description: The snapshot copied.
      type: str
    status:
      description: Status of the copy.
      type: str
    changed:
      description: Whether the copy was started by this run.
      type: bool
listing_calls:
  description: Number of snapshot listing calls made (all regions).
  returned: always
  type: int
  sample: 20
problems:
  description: Every validation problem, one per entry, when validation fails.
  returned: failure
  type: list
  elements: str
  sample: ["retention.keep_last: must be at least 0, got -1"]
"""

import re

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.dbfleet.aws.plugins.module_utils.snapshot_lifecycle import lifecycle_argument_spec
from ansible_collections.dbfleet.aws.plugins.module_utils.snapshot_lifecycle import list_pages
from ansible_collections.dbfleet.aws.plugins.module_utils.snapshot_lifecycle import run
from ansible_collections.dbfleet.aws.plugins.module_utils.snapshot_retention import utc

PAGE_SIZE = 100
WAIT_DELAY_SECONDS = 5
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:(?P<region>[a-z0-9-]+):")


class RdsSnapshots:
    """DescribeDBSnapshots / CreateDBSnapshot / DeleteDBSnapshot / CopyDBSnapshot for one instance."""

    max_name_length = 255

    def __init__(self, module):
        self.module = module
        self.region = module.region
        self.listing_calls = 0
        self.clients = {}

    def client(self, region):
        if region not in self.clients:
            self.clients[region] = self.module.client("rds", region=region,
                                                      retry_decorator=AWSRetry.jittered_backoff())
        return self.clients[region]

    @staticmethod
    def as_snapshot(snapshot):
        return {
            "id": snapshot["DBSnapshotIdentifier"],
            "source": snapshot.get("DBInstanceIdentifier"),
            "created": utc(snapshot.get("SnapshotCreateTime") or snapshot.get("OriginalSnapshotCreateTime")),
            "tags": boto3_tag_list_to_ansible_dict(snapshot.get("TagList") or []),
            "type": snapshot.get("SnapshotType"),
            "status": snapshot.get("Status"),
            "arn": snapshot.get("DBSnapshotArn"),
            "encrypted": snapshot.get("Encrypted", False),
        }

    def list_manual(self, source, region):
        snapshots, pages = list_pages(self.client(region), "describe_db_snapshots", "DBSnapshots", PAGE_SIZE,
                                      DBInstanceIdentifier=source, SnapshotType="manual")
        self.listing_calls += pages
        return [self.as_snapshot(snapshot) for snapshot in snapshots
                if snapshot.get("SnapshotCreateTime") or snapshot.get("OriginalSnapshotCreateTime")]

    def create(self, name, source, tags):
        answer = self.client(self.region).create_db_snapshot(
            aws_retry=True, DBInstanceIdentifier=source, DBSnapshotIdentifier=name,
            Tags=ansible_dict_to_boto3_tag_list(tags))
        return self.as_snapshot(answer["DBSnapshot"])

    def wait_available(self, name, timeout):
        client = self.client(self.region)
        try:
            client.get_waiter("db_snapshot_available").wait(
                DBSnapshotIdentifier=name,
                WaiterConfig={"Delay": WAIT_DELAY_SECONDS, "MaxAttempts": max(timeout // WAIT_DELAY_SECONDS, 1)})
        except botocore.exceptions.WaiterError as e:
            self.module.fail_json_aws(e, msg="Snapshot %s did not become available within %d seconds" % (name, timeout))
        answer = client.describe_db_snapshots(aws_retry=True, DBSnapshotIdentifier=name)
        return self.as_snapshot(answer["DBSnapshots"][0])

    def delete(self, region, name):
        try:
            self.client(region).delete_db_snapshot(aws_retry=True, DBSnapshotIdentifier=name)
        except is_boto3_error_code("DBSnapshotNotFound"):
            pass  # Gone meanwhile: the wanted outcome.

    def copy(self, snapshot, target_name, region, kms_key_id, tags):
        if snapshot.get("encrypted") and region != self.region and not kms_key_id:
            self.module.fail_json(msg="copies: snapshot %s is encrypted; give copies[].kms_key_id, a KMS key of %s"
                                      % (snapshot["id"], region))
        request = {
            "SourceDBSnapshotIdentifier": snapshot["arn"] if region != self.region else snapshot["id"],
            "TargetDBSnapshotIdentifier": target_name,
            "Tags": ansible_dict_to_boto3_tag_list(tags),
        }
        if region != self.region:
            request["SourceRegion"] = self.region
        if kms_key_id:
            request["KmsKeyId"] = kms_key_id
        answer = self.client(region).copy_db_snapshot(aws_retry=True, **request)
        return self.as_snapshot(answer["DBSnapshot"])

    def copy_problems(self, index, entry):
        match = KMS_KEY_ARN.match(entry["kms_key_id"] or "")
        if match and match["region"] != entry["region"]:
            return ["copies[%d].kms_key_id: the key is in %s but the copy is made in %s; give a key of %s"
                    % (index, match["region"], entry["region"], entry["region"])]
        return []


def main():
    module = AnsibleAWSModule(argument_spec=lifecycle_argument_spec("db_instance_identifier"),
                              supports_check_mode=True)
    adapter = RdsSnapshots(module)
    try:
        run(module, adapter, "db_instance_identifier", [])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="RDS call failed for the snapshots of DB instance %s"
                                    % module.params["db_instance_identifier"])


if __name__ == "__main__":
    main()
