# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pre-conditions and outcome of an ElastiCache test failover (TestFailover).

Works on the API's ReplicationGroup dict; no AWS call is made from this file.
"""

import re

_NODE_GROUP_ID = re.compile(r"^[0-9]{1,4}$")


def validate_node_group_id(value, option="node_group_id"):
    if not value or not _NODE_GROUP_ID.match(value):
        return ["%s: must be 1 to 4 digits, for example 0001 (got %r)" % (option, value)]
    return []


def node_group(group, node_group_id):
    """The NodeGroup dict with that id, or None."""
    for candidate in group.get("NodeGroups") or []:
        if candidate.get("NodeGroupId") == node_group_id:
            return candidate
    return None


def primary_member(group, node_group_id):
    """CacheClusterId of the node group's primary, or None."""
    for member in (node_group(group, node_group_id) or {}).get("NodeGroupMembers") or []:
        if member.get("CurrentRole") == "primary":
            return member["CacheClusterId"]
    return None


def failover_problems(group, node_group_id):
    """Why ElastiCache would refuse a test failover of that node group (empty: it can run)."""
    group_id = group.get("ReplicationGroupId")
    problems = []
    if group.get("Status") != "available":
        problems.append("replication group %s is %s; a failover needs it available" % (group_id, group.get("Status")))
    if group.get("AutomaticFailover") != "enabled":
        problems.append("replication group %s has automatic failover %s; a failover needs it enabled"
                        % (group_id, group.get("AutomaticFailover") or "disabled"))
    selected = node_group(group, node_group_id)
    if selected is None:
        known = ", ".join(sorted(g.get("NodeGroupId", "") for g in group.get("NodeGroups") or []))
        problems.append("node_group_id: %s is not a node group of %s (node groups: %s)"
                        % (node_group_id, group_id, known or "none"))
    elif len(selected.get("NodeGroupMembers") or []) < 2:
        problems.append("node group %s of %s has no replica to promote" % (node_group_id, group_id))
    return problems
