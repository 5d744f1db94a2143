#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_backup_info
version_added: 0.1.0
short_description: Backup status and current RPO of RDS DB instances, with an RPO check
description:
  - Reports, for one or more Amazon RDS DB instances, the backup retention period, the
    restorable window of the automated backups (earliest and latest restorable time),
    the newest automated and manual snapshots, and the current recovery point objective
    (RPO) - the seconds of data a point-in-time restore would lose now
    (now minus C(LatestRestorableTime)).
  - With O(rpo_target_seconds) each instance gets RV(backups[].rpo_ok); with
    O(fail_on_rpo_breach=true) the task fails, naming every instance that misses the
    target. An instance without automated backups (retention 0, or a read replica) has
    no point-in-time recovery and never meets a target.
  - Read-only; safe in check mode.
author:
  - dbfleet maintainers (@dbfleet)
options:
  db_instance_identifier:
    description:
      - The DB instance identifiers to report on.
      - Every identifier that does not exist is named in one error.
    required: true
    type: list
    elements: str
    aliases: [id, db_instance_identifiers]
  rpo_target_seconds:
    description:
      - The environment's RPO target in seconds, for example V(300) for five minutes.
      - RDS ships transaction logs about every five minutes, so a target below 300 will
        be missed from time to time on AWS.
      - At least 1. Without it, RV(backups[].rpo_ok) is null.
    type: int
  fail_on_rpo_breach:
    description:
      - Fail when any instance misses O(rpo_target_seconds).
      - Requires O(rpo_target_seconds).
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Backup status of the production database
  dbfleet.aws.rds_backup_info:
    db_instance_identifier: app-prod-db
  register: backup

- name: Fail the run when a database would lose more than five minutes of data
  dbfleet.aws.rds_backup_info:
    db_instance_identifier:
      - app-prod-db
      - billing-prod-db
    rpo_target_seconds: 300
    fail_on_rpo_breach: true

- name: Restore to the latest restorable time reported
  amazon.aws.rds_instance:
    id: app-prod-db-restored
    creation_source: instance
    source_db_instance_identifier: app-prod-db
    restore_time: "{{ backup.backups[0].latest_restorable_time }}"
    db_instance_class: db.r6g.large
"""

RETURN = r"""
backups:
  description: One entry per DB instance, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    db_instance_identifier:
      description: The DB instance.
      type: str
      sample: app-prod-db
    dbi_resource_id:
      description: Its resource id (names its automated backups after deletion).
      type: str
      sample: db-ABCDEFGHIJKLMNOPQRSTUVWXYZ
    status:
      description: C(DBInstanceStatus).
      type: str
      sample: available
    backup_retention_period:
      description: Days of automated backups kept; 0 means none.
      type: int
      sample: 7
    preferred_backup_window:
      description: Daily backup window, UTC.
      type: str
      sample: "03:00-04:00"
    automated_backups_enabled:
      description: Whether point-in-time recovery is possible.
      type: bool
    earliest_restorable_time:
      description: Start of the restorable window (ISO 8601), null without automated backups.
      type: str
      sample: "2026-03-08T03:12:44+00:00"
    latest_restorable_time:
      description: End of the restorable window (ISO 8601), null without automated backups.
      type: str
      sample: "2026-03-15T11:58:02+00:00"
    latest_automated_snapshot:
      description: Newest automated snapshot (C(id), C(arn), C(create_time), C(status)), or null.
      type: dict
    latest_manual_snapshot:
      description: Newest manual snapshot (C(id), C(arn), C(create_time), C(status)), or null.
      type: dict
    automated_snapshot_count:
      description: Automated snapshots of the instance.
      type: int
    manual_snapshot_count:
      description: Manual snapshots of the instance.
      type: int
    rpo_seconds:
      description: Seconds between now and the latest restorable time; null without automated backups.
      type: int
      sample: 118
    rpo_target_seconds:
      description: The target checked, null without one.
      type: int
      sample: 300
    rpo_ok:
      description: Whether the instance meets the target; null without a target.
      type: bool
    problem:
      description: Why the instance has no RPO (no automated backups), or null.
      type: str
rpo_ok:
  description: Whether every instance meets O(rpo_target_seconds); null without a target.
  returned: always
  type: bool
breaches:
  description: Identifiers of the instances that miss the target.
  returned: always
  type: list
  elements: str
"""

import datetime

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.dbfleet.aws.plugins.module_utils.backup_status import backup_status
from ansible_collections.dbfleet.aws.plugins.module_utils.backup_status import breach_message
from ansible_collections.dbfleet.aws.plugins.module_utils.backup_status import validate_options
from ansible_collections.dbfleet.aws.plugins.module_utils.problems import fail_with_problems


def _paginate(client, operation, key, **kwargs):
    return paginated_query_with_retries(client, operation, **kwargs)[key]


def _describe_instance(client, identifier):
    try:
        return _paginate(client, "describe_db_instances", "DBInstances", DBInstanceIdentifier=identifier)[0]
    except is_boto3_error_code("DBInstanceNotFound"):
        return None


def _automated_backup(client, identifier):
    try:
        backups = _paginate(client, "describe_db_instance_automated_backups", "DBInstanceAutomatedBackups",
                            DBInstanceIdentifier=identifier)
    except is_boto3_error_code("DBInstanceAutomatedBackupNotFound"):
        return None
    active = [backup for backup in backups if backup.get("Status") != "retained"]
    return (active or backups or [None])[0]


def main():
    argument_spec = dict(
        db_instance_identifier=dict(type="list", elements="str", required=True,
                                    aliases=["id", "db_instance_identifiers"]),
        rpo_target_seconds=dict(type="int"),
        fail_on_rpo_breach=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True,
                              required_if=[["fail_on_rpo_breach", True, ["rpo_target_seconds"]]])
    identifiers = module.params["db_instance_identifier"]
    target = module.params["rpo_target_seconds"]
    problems = validate_options(identifiers, target)
    if problems:
        fail_with_problems(module, problems, outcome=" with the arguments, no AWS call was made")

    client = module.client("rds", retry_decorator=AWSRetry.jittered_backoff())
    statuses, missing = [], []
    try:
        for identifier in identifiers:
            instance = _describe_instance(client, identifier)
            if instance is None:
                missing.append(identifier)
                continue
            snapshots = _paginate(client, "describe_db_snapshots", "DBSnapshots", DBInstanceIdentifier=identifier)
            statuses.append(backup_status(instance, _automated_backup(client, identifier), snapshots,
                                          datetime.datetime.now(datetime.timezone.utc), target))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="RDS call failed while reading backup status")
    if missing:
        module.fail_json(msg="DB instance(s) not found: %s" % ", ".join(missing), missing=missing)

    breaches = [status["db_instance_identifier"] for status in statuses if status["rpo_ok"] is False]
    result = dict(changed=False, backups=statuses, breaches=breaches,
                  rpo_ok=None if target is None else not breaches)
    message = breach_message(statuses)
    if message and module.params["fail_on_rpo_breach"]:
        module.fail_json(msg=message, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
