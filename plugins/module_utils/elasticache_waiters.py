# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""botocore waiters that ElastiCache lacks: a snapshot becoming available, and a node group
with another primary after TestFailover. Built as botocore custom waiters (WaiterModel), so
the polling, its delay and its attempts are botocore's, as for the waiters boto3 ships."""

import math

try:
    from botocore.waiter import WaiterModel
    from botocore.waiter import create_waiter_with_client
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper


def _waiter(client, name, operation, delay, timeout, acceptors):
    model = WaiterModel({"version": 2, "waiters": {name: {
        "operation": operation, "delay": delay, "maxAttempts": max(1, int(math.ceil(float(timeout) / delay))),
        "acceptors": acceptors}}})
    raw = client.client if isinstance(client, RetryingBotoClientWrapper) else client
    return create_waiter_with_client(name, model, raw)


def snapshot_available(client, delay, timeout):
    """Waits (SnapshotName=...) until the snapshot is available; fails at once when it failed."""
    return _waiter(client, "SnapshotAvailable", "DescribeSnapshots", delay, timeout, [
        {"matcher": "pathAll", "argument": "Snapshots[].SnapshotStatus", "expected": "available", "state": "success"},
        {"matcher": "pathAny", "argument": "Snapshots[].SnapshotStatus", "expected": "failed", "state": "failure"},
    ])


def failed_over(client, node_group_id, primary_before, delay, timeout):
    """Waits (ReplicationGroupId=...) until the group is available again with a primary other
    than `primary_before` in the node group. The ids are ElastiCache ids (letters, digits,
    hyphens), checked by the module before."""
    other_primary = ("ReplicationGroups[0].NodeGroups[?NodeGroupId=='%s'].NodeGroupMembers[] "
                     "| [?CurrentRole=='primary' && CacheClusterId!='%s']" % (node_group_id, primary_before))
    return _waiter(client, "FailedOver", "DescribeReplicationGroups", delay, timeout, [
        {"matcher": "path", "expected": True, "state": "success",
         "argument": "ReplicationGroups[0].Status == 'available' && length(%s) > `0`" % other_primary},
    ])
