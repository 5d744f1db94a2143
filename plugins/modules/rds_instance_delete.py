#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_instance_delete
version_added: 0.1.0
short_description: Delete an RDS DB instance and say what of its data remains
description:
  - Deletes one Amazon RDS DB instance with C(DeleteDBInstance), keeping a final snapshot
    unless O(skip_final_snapshot=true), and keeping its automated backups (a point-in-time
    restore stays possible for the backup retention period) unless
    O(delete_automated_backups=true).
  - B(Unlike the API and M(amazon.aws.rds_instance)), automated backups are kept by
    default. C(DeleteDBInstance) removes them unless told otherwise, and
    M(amazon.aws.rds_instance) has no option to tell it.
  - Refuses, before the call, an instance with deletion protection, a final snapshot of a
    read replica, and a final snapshot identifier that exists already (the deletion would
    fail after nothing, or the operator would think the old snapshot is the new one).
  - Returns the final snapshot and the retained automated backup as RDS reports them after
    the deletion, so the task output says where the data is.
  - An instance that does not exist, or is being deleted, is no change.
  - Check mode reports the deletion without making it; diff mode shows the instance
    before and nothing after.
author:
  - dbfleet maintainers (@dbfleet)
options:
  db_instance_identifier:
    description: The DB instance to delete.
    required: true
    type: str
    aliases: [id]
  skip_final_snapshot:
    description:
      - Delete without a final snapshot. Required for a read replica.
    type: bool
    default: false
  final_db_snapshot_identifier:
    description:
      - The final snapshot's identifier; required unless O(skip_final_snapshot=true).
      - 1-255 letters, digits or single hyphens, starting with a letter.
    type: str
    aliases: [final_snapshot_identifier]
  delete_automated_backups:
    description:
      - Remove the automated backups with the instance. V(false) keeps them with status
        C(retained) until their retention period ends.
    type: bool
    default: false
  wait:
    description: Wait until the instance is gone.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the deletion.
    type: int
    default: 3600
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Delete the staging database, keeping a final snapshot and its automated backups
  dbfleet.aws.rds_instance_delete:
    db_instance_identifier: app-staging
    final_db_snapshot_identifier: app-staging-final
  register: deleted

- name: Where the data is now
  ansible.builtin.debug:
    msg: >-
      snapshot {{ deleted.final_snapshot.db_snapshot_identifier }},
      PITR until {{ deleted.automated_backup.restore_window.latest_time }}

- name: Delete a read replica (RDS takes no final snapshot of one)
  dbfleet.aws.rds_instance_delete:
    db_instance_identifier: app-staging-replica-1
    skip_final_snapshot: true
"""

RETURN = r"""
deleted:
  description: Whether a deletion was requested (or would be, in check mode).
  returned: always
  type: bool
final_snapshot:
  description: The final snapshot as C(DescribeDBSnapshots) returns it, snake_cased; null when skipped, in check mode, or when nothing was deleted.
  returned: always
  type: dict
  sample: {db_snapshot_identifier: app-staging-final, status: creating, snapshot_type: manual}
automated_backup:
  description:
    - The instance's retained automated backup as C(DescribeDBInstanceAutomatedBackups) returns it,
      snake_cased (C(status) V(retained), C(restore_window), C(db_instance_automated_backups_arn)).
    - Null when the backups were deleted, the instance had none (retention 0, a read replica),
      in check mode, or when nothing was deleted.
  returned: always
  type: dict
"""

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.dbfleet.aws.plugins.module_utils.problems import fail_with_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_instances import deletion_blockers
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_instances import final_snapshot_problems

WAITER_DELAY = 15


def _instance(client, identifier):
    try:
        return client.describe_db_instances(DBInstanceIdentifier=identifier, aws_retry=True)["DBInstances"][0]
    except is_boto3_error_code("DBInstanceNotFound"):
        return None


def _snapshot(client, identifier):
    try:
        return client.describe_db_snapshots(DBSnapshotIdentifier=identifier, aws_retry=True)["DBSnapshots"][0]
    except is_boto3_error_code("DBSnapshotNotFound"):
        return None


def _retained_backup(client, resource_id):
    try:
        backups = client.describe_db_instance_automated_backups(DbiResourceId=resource_id,
                                                                aws_retry=True)["DBInstanceAutomatedBackups"]
    except is_boto3_error_code("DBInstanceAutomatedBackupNotFound"):
        return None
    retained = [backup for backup in backups if backup.get("Status") == "retained"]
    return camel_dict_to_snake_dict(retained[0]) if retained else None


def _wait_until_deleted(module, client, identifier):
    waiter = client.get_waiter("db_instance_deleted")
    attempts = max(1, module.params["wait_timeout"] // WAITER_DELAY)
    try:
        waiter.wait(DBInstanceIdentifier=identifier, WaiterConfig={"Delay": WAITER_DELAY, "MaxAttempts": attempts})
    except botocore.exceptions.WaiterError as e:
        module.fail_json_aws(e, msg="%s was not deleted within %d seconds" % (identifier, module.params["wait_timeout"]))


def main():
    argument_spec = dict(
        db_instance_identifier=dict(type="str", required=True, aliases=["id"]),
        skip_final_snapshot=dict(type="bool", default=False),
        final_db_snapshot_identifier=dict(type="str", aliases=["final_snapshot_identifier"]),
        delete_automated_backups=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=3600),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    identifier = params["db_instance_identifier"]
    skip = params["skip_final_snapshot"]
    final_identifier = None if skip else params["final_db_snapshot_identifier"]
    problems = final_snapshot_problems(skip, params["final_db_snapshot_identifier"])
    if problems:
        fail_with_problems(module, problems, outcome=" with the arguments, no AWS call was made")

    client = module.client("rds", retry_decorator=AWSRetry.jittered_backoff())
    result = dict(changed=False, deleted=False, final_snapshot=None, automated_backup=None)
    try:
        instance = _instance(client, identifier)
        if instance is None or instance["DBInstanceStatus"] in ("deleting", "deleted"):
            if instance is not None and params["wait"] and not module.check_mode:
                _wait_until_deleted(module, client, identifier)
            module.exit_json(**result)

        taken = final_identifier if final_identifier and _snapshot(client, final_identifier) else None
        blockers = deletion_blockers(instance, skip, taken)
        if blockers:
            fail_with_problems(module, blockers, outcome=", %s was not deleted" % identifier)

        result.update(changed=True, deleted=True)
        if module._diff:
            result["diff"] = dict(before=dict(db_instance_identifier=identifier, status=instance["DBInstanceStatus"],
                                              dbi_resource_id=instance.get("DbiResourceId")),
                                  after={})
        if module.check_mode:
            module.exit_json(**result)

        request = dict(DBInstanceIdentifier=identifier, SkipFinalSnapshot=skip,
                       DeleteAutomatedBackups=params["delete_automated_backups"])
        if final_identifier:
            request["FinalDBSnapshotIdentifier"] = final_identifier
        client.delete_db_instance(aws_retry=True, **request)
        if params["wait"]:
            _wait_until_deleted(module, client, identifier)
        if final_identifier:
            snapshot = _snapshot(client, final_identifier)
            result["final_snapshot"] = camel_dict_to_snake_dict(snapshot) if snapshot else None
        if not params["delete_automated_backups"] and instance.get("BackupRetentionPeriod"):
            result["automated_backup"] = _retained_backup(client, instance["DbiResourceId"])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="RDS call failed while deleting %s" % identifier)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
