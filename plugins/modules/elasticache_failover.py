#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: elasticache_failover
version_added: 0.1.0
short_description: Test the failover of an ElastiCache replication group
description:
  - Runs C(TestFailover) on one node group of an Amazon ElastiCache (Redis OSS or Valkey) replication
    group. ElastiCache fails the primary and promotes a replica, as it would after a real failure.
  - Checks before the call that the group is available, has automatic failover enabled and a replica in
    that node group, and reports every problem in one error without calling C(TestFailover).
  - With O(wait), returns once the group is available again with another primary, and reports the
    primary before and after.
  - Every run makes a failover, so the module always reports a change; run it from a runbook, not from a
    role that converges.
author:
  - dbfleet maintainers (@dbfleet)
options:
  replication_group_id:
    description:
      - Identifier of the replication group.
    required: true
    type: str
  node_group_id:
    description:
      - Node group (shard) whose primary fails. A group with cluster mode disabled has one, V(0001).
    default: "0001"
    type: str
  wait:
    description:
      - Wait until the group is available with another primary.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait.
    type: int
    default: 1800
notes:
  - Check mode reads the group, validates, and makes no C(TestFailover) call.
  - ElastiCache allows a limited number of test failovers per day and node group.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Fail over the primary of app-prod-redis to a replica
  dbfleet.aws.elasticache_failover:
    replication_group_id: app-prod-redis
  register: failover

- name: Show where the primary went
  ansible.builtin.debug:
    msg: "{{ failover.primary_before }} -> {{ failover.primary_after }}"
"""

RETURN = r"""
replication_group_id:
  description: The replication group.
  returned: always
  type: str
  sample: app-prod-redis
node_group_id:
  description: The node group that failed over.
  returned: always
  type: str
  sample: "0001"
primary_before:
  description: Member cluster that was the primary before the failover.
  returned: always
  type: str
  sample: app-prod-redis-001
primary_after:
  description: Member cluster that is the primary afterwards; null in check mode or without O(wait).
  returned: always
  type: str
  sample: app-prod-redis-002
primary_endpoint:
  description: Address and port of the primary endpoint afterwards (before, in check mode).
  returned: always
  type: dict
  sample: {"address": "app-prod-redis.abc123.ng.0001.use1.cache.amazonaws.com", "port": 6379}
members:
  description: Role of each member cluster of the node group afterwards (before, in check mode).
  returned: always
  type: dict
  sample: {"app-prod-redis-001": "replica", "app-prod-redis-002": "primary"}
"""


try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_failover import failover_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_failover import node_group
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_failover import primary_member
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_failover import validate_node_group_id
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_waiters import failed_over
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import endpoint_of
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import (
    validate_replication_group_id)
from ansible_collections.dbfleet.aws.plugins.module_utils.problems import fail_with_problems

POLL_SECONDS = 5
# What every refusal of this module says happened.
NO_FAILOVER = ", no failover was made"


def describe_group(client, group_id):
    try:
        groups = client.describe_replication_groups(aws_retry=True, ReplicationGroupId=group_id)["ReplicationGroups"]
    except is_boto3_error_code("ReplicationGroupNotFoundFault"):
        return None
    return groups[0] if groups else None


def result(group, node_group_id, primary_before, primary_after):
    selected = node_group(group, node_group_id) or {}
    return dict(
        replication_group_id=group["ReplicationGroupId"],
        node_group_id=node_group_id,
        primary_before=primary_before,
        primary_after=primary_after,
        primary_endpoint=endpoint_of(selected.get("PrimaryEndpoint")),
        members=dict((member["CacheClusterId"], member.get("CurrentRole"))
                     for member in selected.get("NodeGroupMembers") or []),
    )


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            replication_group_id=dict(type="str", required=True),
            node_group_id=dict(type="str", default="0001"),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=1800),
        ),
        supports_check_mode=True,
    )
    params = module.params
    problems = (validate_replication_group_id(params["replication_group_id"])
                + validate_node_group_id(params["node_group_id"]))
    if params["wait_timeout"] < 1:
        problems.append("wait_timeout: must be at least 1 second")
    if problems:
        fail_with_problems(module, problems, outcome=NO_FAILOVER)
    group_id = params["replication_group_id"].lower()
    node_group_id = params["node_group_id"]

    client = module.client("elasticache", retry_decorator=AWSRetry.jittered_backoff())
    try:
        group = describe_group(client, group_id)
        if group is None:
            fail_with_problems(module, ["replication_group_id: replication group %s does not exist" % group_id],
                               outcome=NO_FAILOVER)
        problems = failover_problems(group, node_group_id)
        if problems:
            fail_with_problems(module, problems, outcome=NO_FAILOVER)
        primary_before = primary_member(group, node_group_id)
        if module.check_mode:
            module.exit_json(changed=True, **result(group, node_group_id, primary_before, None))

        client.test_failover(aws_retry=True, ReplicationGroupId=group_id, NodeGroupId=node_group_id)
        if not params["wait"]:
            module.exit_json(changed=True, **result(group, node_group_id, primary_before, None))
        try:
            failed_over(client, node_group_id, primary_before, POLL_SECONDS,
                        params["wait_timeout"]).wait(ReplicationGroupId=group_id)
        except botocore.exceptions.WaiterError:
            group = describe_group(client, group_id) or {}
            module.fail_json(msg="Timed out after %d s waiting for replication group %s to fail over "
                                 "(status %s, primary %s)" % (params["wait_timeout"], group_id, group.get("Status"),
                                                              primary_member(group, node_group_id)))
        group = describe_group(client, group_id)
        module.exit_json(changed=True, **result(group, node_group_id, primary_before,
                                                primary_member(group, node_group_id)))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="ElastiCache call failed for replication group %s" % group_id)


if __name__ == "__main__":
    main()
