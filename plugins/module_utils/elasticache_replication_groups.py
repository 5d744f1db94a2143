# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Validation and change planning for ElastiCache replication groups.

Settings are compared in one flat form (see SETTING_NAMES), built from the API's
ReplicationGroup and its primary member CacheCluster by current_settings() and from the
module's arguments by desired_settings(). plan_steps() turns the difference into the
ordered API calls ElastiCache accepts. No AWS call is made from this file.
"""

import re
from collections import Counter

from ansible_collections.dbfleet.aws.plugins.module_utils.versions import is_lower
from ansible_collections.dbfleet.aws.plugins.module_utils.versions import version_matches
from ansible_collections.dbfleet.aws.plugins.module_utils.windows import parse_daily_window
from ansible_collections.dbfleet.aws.plugins.module_utils.windows import parse_weekly_window
from ansible_collections.dbfleet.aws.plugins.module_utils.windows import window_problems

MAX_ID_LENGTH = 40
MAX_CACHE_CLUSTERS = 6
MAX_REPLICAS_PER_NODE_GROUP = 5
MAX_NODE_GROUPS = 500
MAX_SNAPSHOT_RETENTION_DAYS = 35
MAX_SNAPSHOT_NAME_LENGTH = 255
MIN_WINDOW_MINUTES = 60
LOG_TYPES = ("slow-log", "engine-log")
TOKEN_STRATEGIES = ("ROTATE", "SET", "DELETE")
# ElastiCache's AUTH token alphabet: letters, digits and these special characters.
TOKEN_SPECIAL_CHARACTERS = "!&#$^<>-"

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")
_TOKEN = re.compile(r"^[A-Za-z0-9%s]+$" % re.escape(TOKEN_SPECIAL_CHARACTERS))

SETTING_NAMES = (
    "description", "engine", "engine_version", "node_type", "port", "num_cache_clusters",
    "num_node_groups", "replicas_per_node_group", "automatic_failover", "multi_az",
    "at_rest_encryption", "transit_encryption", "transit_encryption_mode", "kms_key_id",
    "auth_token_enabled", "cache_parameter_group", "cache_subnet_group", "security_group_ids",
    "snapshot_retention_limit", "snapshot_window", "preferred_maintenance_window",
    "notification_topic_arn", "log_delivery", "availability_zones",
)

# Settings ModifyReplicationGroup changes in one call, with their request keys.
MODIFY_REQUEST_KEYS = (
    ("description", "ReplicationGroupDescription"),
    ("engine", "Engine"),
    ("engine_version", "EngineVersion"),
    ("node_type", "CacheNodeType"),
    ("cache_parameter_group", "CacheParameterGroupName"),
    ("security_group_ids", "SecurityGroupIds"),
    ("snapshot_retention_limit", "SnapshotRetentionLimit"),
    ("snapshot_window", "SnapshotWindow"),
    ("preferred_maintenance_window", "PreferredMaintenanceWindow"),
    ("notification_topic_arn", "NotificationTopicArn"),
)

# Settings ElastiCache cannot change on an existing group.
IMMUTABLE_SETTINGS = ("at_rest_encryption", "kms_key_id", "cache_subnet_group", "port")

INCREASE = "IncreaseReplicaCount"
DECREASE = "DecreaseReplicaCount"
MODIFY = "ModifyReplicationGroup"


# --- argument validation ---------------------------------------------------------------


def validate_replication_group_id(value, option="replication_group_id", max_length=MAX_ID_LENGTH):
    """Problems with an identifier (replication groups; snapshots with max_length 255)."""
    if not value or len(value) > max_length:
        return ["%s: must be 1 to %d characters long" % (option, max_length)]
    if not _ID.match(value):
        return ["%s: must start with a letter and contain only letters, digits and hyphens" % option]
    if value.endswith("-") or "--" in value:
        return ["%s: must not end with a hyphen or contain two consecutive hyphens" % option]
    return []


def validate_auth_token(token, option="auth_token"):
    """Problems with an AUTH token; the message never contains the token."""
    if not 16 <= len(token) <= 128:
        return ["%s: must be 16 to 128 characters long (got %d)" % (option, len(token))]
    if not _TOKEN.match(token):
        return ["%s: may contain only letters, digits and the special characters %s "
                "(no spaces, no / \" @ or other punctuation)" % (option, " ".join(TOKEN_SPECIAL_CHARACTERS))]
    return []


def parse_snapshot_window(window):
    """(start, end) minutes of the day; raises ValueError naming the rule."""
    return parse_daily_window(window, MIN_WINDOW_MINUTES)


def parse_maintenance_window(window):
    """(start, end) minutes of the week from Sunday 00:00 UTC; raises ValueError naming the rule."""
    return parse_weekly_window(window, MIN_WINDOW_MINUTES)


def _window_problems(params):
    return window_problems("snapshot_window", params.get("snapshot_window"),
                           "preferred_maintenance_window", params.get("preferred_maintenance_window"),
                           MIN_WINDOW_MINUTES)


def _range_problem(params, option, low, high):
    value = params.get(option)
    if value is not None and not low <= value <= high:
        return ["%s: must be between %d and %d (got %d)" % (option, low, high, value)]
    return []


def log_delivery_problems(entries, option="log_delivery"):
    problems = []
    seen = set()
    for index, entry in enumerate(entries or []):
        prefix = "%s[%d]" % (option, index)
        if entry.get("log_type") in seen:
            problems.append("%s.log_type: %s is listed twice" % (prefix, entry["log_type"]))
        seen.add(entry.get("log_type"))
        if not entry.get("destination"):
            problems.append("%s.destination: required (the log group or Firehose delivery stream)" % prefix)
    return problems


def validate_arguments(params):
    """Every problem that the arguments alone show, as "<option>: <rule>"."""
    problems = validate_replication_group_id(params["replication_group_id"])
    if params.get("final_snapshot_identifier") is not None:
        problems += validate_replication_group_id(params["final_snapshot_identifier"],
                                                  "final_snapshot_identifier", MAX_SNAPSHOT_NAME_LENGTH)
    if params["state"] == "absent":
        return problems

    token = params.get("auth_token")
    strategy = params.get("auth_token_update_strategy")
    if token is not None:
        problems += validate_auth_token(token)
        if params.get("transit_encryption") is False:
            problems.append("auth_token: requires transit_encryption (ElastiCache accepts AUTH only over TLS)")
    if strategy in ("ROTATE", "SET") and token is None:
        problems.append("auth_token_update_strategy: %s needs auth_token, the new token" % strategy)
    if strategy == "DELETE" and token is not None:
        problems.append("auth_token_update_strategy: DELETE removes the token; do not give auth_token with it")

    problems += _range_problem(params, "num_cache_clusters", 1, MAX_CACHE_CLUSTERS)
    problems += _range_problem(params, "num_node_groups", 1, MAX_NODE_GROUPS)
    problems += _range_problem(params, "replicas_per_node_group", 0, MAX_REPLICAS_PER_NODE_GROUP)
    problems += _range_problem(params, "snapshot_retention_limit", 0, MAX_SNAPSHOT_RETENTION_DAYS)
    problems += _range_problem(params, "port", 1, 65535)
    problems += _range_problem(params, "wait_timeout", 1, 86400)
    if params.get("num_cache_clusters") is not None and \
            (params.get("num_node_groups") is not None or params.get("replicas_per_node_group") is not None):
        problems.append("num_cache_clusters: cluster mode disabled; do not combine it with num_node_groups "
                        "or replicas_per_node_group (cluster mode enabled)")
    elif params.get("replicas_per_node_group") is not None and params.get("num_node_groups") is None:
        problems.append("replicas_per_node_group: requires num_node_groups (cluster mode enabled); "
                        "use num_cache_clusters with cluster mode disabled")
    zones = params.get("preferred_cache_cluster_azs")
    if zones is not None and params.get("num_node_groups") is not None:
        problems.append("preferred_cache_cluster_azs: places the nodes of a group with cluster mode disabled; "
                        "do not combine it with num_node_groups")
    elif zones is not None and params.get("num_cache_clusters") is not None and \
            len(zones) != params["num_cache_clusters"]:
        problems.append("preferred_cache_cluster_azs: names %d zones for num_cache_clusters %d nodes (one zone "
                        "per node, the primary's first)" % (len(zones), params["num_cache_clusters"]))
    if params.get("multi_az") and params.get("automatic_failover") is False:
        problems.append("multi_az: requires automatic_failover")
    if params.get("transit_encryption_mode") and params.get("transit_encryption") is False:
        problems.append("transit_encryption_mode: requires transit_encryption")
    if params.get("kms_key_id") and params.get("at_rest_encryption") is False:
        problems.append("kms_key_id: requires at_rest_encryption")

    problems += _window_problems(params)
    problems += log_delivery_problems(params.get("log_delivery"))
    return problems


def cluster_mode_problems(automatic_failover, multi_az, replicas_per_node_group, names=None):
    """ElastiCache's rules of a group with cluster mode enabled, under the caller's names:
    automatic failover on, and Multi-AZ only with a replica in every node group."""
    names = dict({"automatic_failover": "automatic_failover", "multi_az": "multi_az",
                  "replicas_per_node_group": "replicas_per_node_group"}, **(names or {}))
    problems = []
    if automatic_failover is False:
        problems.append("%s: must be true with cluster mode enabled (ElastiCache requires automatic failover "
                        "for it)" % names["automatic_failover"])
    if multi_az and replicas_per_node_group == 0:
        problems.append("%s: needs %s of at least 1 with cluster mode enabled"
                        % (names["multi_az"], names["replicas_per_node_group"]))
    return problems


def validate_desired(desired, params, current=None):
    """Problems of the settings the group would have (arguments merged with what exists,
    `current`); a switch of cluster mode is replacement_problems' to report."""
    problems = []
    nodes = node_count(desired)
    if desired["multi_az"] and not desired["automatic_failover"]:
        problems.append("multi_az: requires automatic_failover")
    if desired["automatic_failover"] and desired["num_node_groups"] is None and nodes < 2:
        option = "multi_az" if desired["multi_az"] else "automatic_failover"
        problems.append("%s: requires at least 2 nodes (num_cache_clusters is %d); add a replica first"
                        % (option, nodes))
    if cluster_mode_enabled(desired) and (current is None or cluster_mode_enabled(current)):
        problems += cluster_mode_problems(desired["automatic_failover"], desired["multi_az"],
                                          desired["replicas_per_node_group"])
    if params.get("auth_token") is not None and not desired["transit_encryption"]:
        problems.append("auth_token: requires transit_encryption (ElastiCache accepts AUTH only over TLS)")
    if desired["transit_encryption_mode"] and not desired["transit_encryption"]:
        problems.append("transit_encryption_mode: requires transit_encryption")
    if params.get("preferred_cache_cluster_azs") is not None and params.get("num_cache_clusters") is None \
            and not cluster_mode_enabled(desired) and len(desired["availability_zones"]) != nodes:
        problems.append("preferred_cache_cluster_azs: names %d zones for the group's %d nodes (one zone per node)"
                        % (len(desired["availability_zones"]), nodes))
    return problems + _window_problems(desired)


# --- settings -----------------------------------------------------------------------------


def node_count(settings):
    """Nodes of a cluster-mode-disabled group (primary and replicas)."""
    return settings["num_cache_clusters"] or 1


def cluster_mode_enabled(settings):
    return settings["num_node_groups"] is not None


def log_delivery_from_arguments(entries):
    """{log_type: {destination_type, destination, log_format}} of the module's log_delivery."""
    return dict((entry["log_type"], {
        "destination_type": entry["destination_type"],
        "destination": entry["destination"],
        "log_format": entry["log_format"],
    }) for entry in entries)


def log_delivery_from_api(configurations):
    """The same form from LogDeliveryConfigurations (removed deliveries left out)."""
    deliveries = {}
    for configuration in configurations or []:
        if configuration.get("Status") in ("disabling", "error"):
            continue
        details = configuration.get("DestinationDetails") or {}
        if configuration.get("DestinationType") == "kinesis-firehose":
            destination = (details.get("KinesisFirehoseDetails") or {}).get("DeliveryStream")
        else:
            destination = (details.get("CloudWatchLogsDetails") or {}).get("LogGroup")
        deliveries[configuration["LogType"]] = {
            "destination_type": configuration.get("DestinationType"),
            "destination": destination,
            "log_format": configuration.get("LogFormat"),
        }
    return deliveries


def log_delivery_request(current, desired):
    """LogDeliveryConfigurations that turn `current` into `desired`."""
    request = []
    for log_type in sorted(set(current) | set(desired)):
        wanted = desired.get(log_type)
        if wanted is None:
            request.append({"LogType": log_type, "Enabled": False})
        elif wanted != current.get(log_type):
            if wanted["destination_type"] == "kinesis-firehose":
                details = {"KinesisFirehoseDetails": {"DeliveryStream": wanted["destination"]}}
            else:
                details = {"CloudWatchLogsDetails": {"LogGroup": wanted["destination"]}}
            request.append({"LogType": log_type, "DestinationType": wanted["destination_type"],
                            "DestinationDetails": details, "LogFormat": wanted["log_format"],
                            "Enabled": True})
    return request


def endpoint_of(endpoint):
    if not endpoint:
        return None
    return {"address": endpoint.get("Address"), "port": endpoint.get("Port")}


def current_settings(group, cluster):
    """Flat settings of an existing group; `cluster` is a member CacheCluster (or None)."""
    cluster = cluster or {}
    pending = cluster.get("PendingModifiedValues") or {}
    cluster_mode = group.get("ClusterEnabled") or group.get("ClusterMode") == "enabled"
    node_groups = group.get("NodeGroups") or []
    endpoint = group.get("ConfigurationEndpoint") or (node_groups[0].get("PrimaryEndpoint") if node_groups else None)
    members = len(group.get("MemberClusters") or [])
    parameter_group = cluster.get("CacheParameterGroup") or {}
    notification = cluster.get("NotificationConfiguration") or {}
    zones, roles = _member_zones(group)
    return {
        "description": group.get("Description"),
        "engine": group.get("Engine") or cluster.get("Engine"),
        "engine_version": pending.get("EngineVersion") or cluster.get("EngineVersion"),
        "node_type": pending.get("CacheNodeType") or group.get("CacheNodeType"),
        "port": (endpoint or {}).get("Port"),
        "num_cache_clusters": None if cluster_mode else members,
        "num_node_groups": len(node_groups) if cluster_mode else None,
        "replicas_per_node_group": (
            max(len(node_groups[0].get("NodeGroupMembers") or []) - 1, 0) if cluster_mode and node_groups else None),
        "automatic_failover": group.get("AutomaticFailover") in ("enabled", "enabling"),
        "multi_az": group.get("MultiAZ") == "enabled",
        "at_rest_encryption": bool(group.get("AtRestEncryptionEnabled")),
        "transit_encryption": bool(group.get("TransitEncryptionEnabled")),
        "transit_encryption_mode": group.get("TransitEncryptionMode"),
        "kms_key_id": group.get("KmsKeyId"),
        "auth_token_enabled": bool(group.get("AuthTokenEnabled")),
        "cache_parameter_group": parameter_group.get("CacheParameterGroupName"),
        "cache_subnet_group": cluster.get("CacheSubnetGroupName"),
        "security_group_ids": sorted(entry["SecurityGroupId"] for entry in cluster.get("SecurityGroups") or []),
        "snapshot_retention_limit": group.get("SnapshotRetentionLimit", 0),
        "snapshot_window": group.get("SnapshotWindow"),
        "preferred_maintenance_window": (cluster.get("PreferredMaintenanceWindow") or "").lower() or None,
        "notification_topic_arn": notification.get("TopicArn"),
        "log_delivery": log_delivery_from_api(group.get("LogDeliveryConfigurations")),
        "availability_zones": None if cluster_mode else sorted(zone for zone in zones.values() if zone) or None,
        "primary_availability_zone": next((zones[member] for member, role in roles.items() if role == "primary"),
                                          None),
    }


def _member_zones(group):
    """({cache_cluster_id: zone}, {cache_cluster_id: role}) of the group's members."""
    zones, roles = {}, {}
    for node_group in group.get("NodeGroups") or []:
        for member in node_group.get("NodeGroupMembers") or []:
            zones[member["CacheClusterId"]] = member.get("PreferredAvailabilityZone")
            roles[member["CacheClusterId"]] = member.get("CurrentRole")
    return zones, roles


def _given_settings(params):
    """Settings the arguments ask for; None where an argument is not given."""
    given = dict((name, params.get(name)) for name in SETTING_NAMES if name in params)
    if params.get("security_group_ids") is not None:
        given["security_group_ids"] = sorted(set(params["security_group_ids"]))
    if params.get("log_delivery") is not None:
        given["log_delivery"] = log_delivery_from_arguments(params["log_delivery"])
    if params.get("preferred_maintenance_window") is not None:
        given["preferred_maintenance_window"] = params["preferred_maintenance_window"].lower()
    if params.get("engine") is not None:
        given["engine"] = params["engine"].lower()
    if params.get("preferred_cache_cluster_azs") is not None:
        given["availability_zones"] = sorted(params["preferred_cache_cluster_azs"])
    return given


def desired_settings(params, current=None):
    """The group's settings after the run: `current` with every given argument applied,
    or, for a new group, the arguments with ElastiCache's defaults."""
    given = _given_settings(params)
    if current is None:
        desired = dict((name, None) for name in SETTING_NAMES)
        desired.update({
            "description": params["replication_group_id"], "engine": "redis",
            "automatic_failover": False, "multi_az": False, "at_rest_encryption": False,
            "transit_encryption": False, "snapshot_retention_limit": 0,
            "security_group_ids": [], "log_delivery": {},
        })
        if params.get("num_node_groups") is None:
            desired["num_cache_clusters"] = 1
        elif params.get("replicas_per_node_group") is None:
            desired["replicas_per_node_group"] = 0
    else:
        desired = dict(current)
    desired.update((name, value) for name, value in given.items() if value is not None)
    if params.get("num_cache_clusters") is not None:
        desired["num_node_groups"] = desired["replicas_per_node_group"] = None
    elif params.get("num_node_groups") is not None:
        desired["num_cache_clusters"] = None
    if current is None:
        desired["auth_token_enabled"] = params.get("auth_token") is not None
    elif params.get("auth_token_update_strategy") == "DELETE":
        desired["auth_token_enabled"] = False
    elif params.get("auth_token") is not None:
        desired["auth_token_enabled"] = True
    if not desired["transit_encryption"]:
        desired["transit_encryption_mode"] = params.get("transit_encryption_mode")
    elif current is None and not desired["transit_encryption_mode"]:
        desired["transit_encryption_mode"] = "required"
    return desired


# --- planning -----------------------------------------------------------------------------


def is_downgrade(current, wanted):
    return is_lower(wanted, current)


def same_kms_key(wanted, current_arn):
    """Whether the key given (ARN, key id or alias) may be the group's key, whose ARN
    ElastiCache reports: an ARN or key id must match it; an alias cannot be compared
    without KMS and is taken as the same when the group has a key of its own."""
    if wanted == current_arn:
        return True
    if not current_arn:
        return False
    return wanted.startswith("alias/") or ":alias/" in wanted or current_arn.endswith(":key/" + wanted)


def _differs(name, desired, current):
    if desired is None or desired == current:
        return False
    return not (name == "kms_key_id" and same_kms_key(desired, current))


def changed_settings(current, desired):
    """Names of the settings whose desired value differs from the current one."""
    changed = []
    for name in SETTING_NAMES:
        if not _differs(name, desired[name], current[name]):
            continue
        if name == "engine_version" and current[name] and version_matches(desired[name], current[name]):
            continue
        if name == "transit_encryption_mode" and not desired["transit_encryption"]:
            continue
        changed.append(name)
    return changed


def _must_replace(option, current, desired, why):
    return ("%s: the group has %s, %s wanted; %s, so the group must be replaced "
            "(create a new group, for example from a snapshot with snapshot_name, and delete this one)"
            % (option, _shown(current), _shown(desired), why))


def _shown(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return "none" if value is None else str(value)


def immutable_problems(current, desired, names=None):
    """The settings of an existing group (`current`) that `desired` changes although
    ElastiCache cannot change them; `names` maps a setting to the name its message gives
    (a role variable), the setting's own name by default."""
    names = names or {}
    return [_must_replace(names.get(name, name), current[name], desired[name],
                          "ElastiCache cannot change %s of an existing group" % name)
            for name in IMMUTABLE_SETTINGS if _differs(name, desired.get(name), current[name])]


def cluster_layout_change(current_node_groups, desired_node_groups):
    """What of the layout an existing group cannot change here: "cluster mode" (a count of
    None is cluster mode disabled), "node groups" (resharding), or None."""
    if (current_node_groups is None) != (desired_node_groups is None):
        return "cluster mode"
    return "node groups" if current_node_groups != desired_node_groups else None


def replacement_problems(current, desired, changed):
    """Changes ElastiCache cannot make in place, or that this module does not make."""
    problems = immutable_problems(current, desired)
    layout_change = cluster_layout_change(current["num_node_groups"], desired["num_node_groups"])
    if layout_change == "cluster mode":
        problems.append(_must_replace(
            "num_node_groups", "cluster mode %s" % ("enabled" if cluster_mode_enabled(current) else "disabled"),
            "cluster mode %s" % ("enabled" if cluster_mode_enabled(desired) else "disabled"),
            "this module does not migrate between cluster modes"))
    elif layout_change == "node groups":
        problems.append("num_node_groups: the group has %s node groups, %s wanted; online resharding is not "
                        "done by this module (use ModifyReplicationGroupShardConfiguration)"
                        % (current["num_node_groups"], desired["num_node_groups"]))
    if "availability_zones" in changed:
        problems += zone_problems(current, desired)
    if "engine" in changed and current["engine"] == "valkey":
        problems.append(_must_replace("engine", current["engine"], desired["engine"],
                                      "ElastiCache cannot move a group from valkey back to redis"))
    if "engine_version" in changed and "engine" not in changed and current["engine_version"] and \
            is_downgrade(current["engine_version"], desired["engine_version"]):
        problems.append(_must_replace("engine_version", current["engine_version"], desired["engine_version"],
                                      "ElastiCache cannot downgrade an engine"))
    return problems


def zone_problems(current, desired, option="preferred_cache_cluster_azs"):
    """Whether the nodes can reach the zones `desired` names: ElastiCache places a node when
    it creates it and never moves it, so a run may add nodes in the zones still missing or
    remove replicas from zones that have too many, nothing else."""
    have, wanted = current.get("availability_zones"), desired.get("availability_zones")
    if not have or not wanted or sorted(wanted) == have:
        return []
    missing, surplus = Counter(wanted) - Counter(have), Counter(have) - Counter(wanted)
    shown = "the nodes are in %s, %s wanted" % (", ".join(have), ", ".join(sorted(wanted)))
    if missing and surplus:
        return ["%s: %s; ElastiCache cannot move a node: change the node count first (a replica removed from "
                "%s, or added in %s), then the other way"
                % (option, shown, ", ".join(sorted(surplus)), ", ".join(sorted(missing)))]
    primary = current.get("primary_availability_zone")
    if surplus and primary and surplus[primary] > Counter(have)[primary] - 1:
        return ["%s: %s; the primary is in %s and is not removed: fail over first (playbooks/failover.yml) or "
                "keep a node in %s" % (option, shown, primary, primary)]
    return []


def replicas_to_remove(group, current, desired):
    """ReplicasToRemove that leave the nodes in the zones `desired` names (zone_problems
    passed): the highest-numbered replicas of each zone with too many."""
    zones, roles = _member_zones(group)
    surplus = Counter(current["availability_zones"]) - Counter(desired["availability_zones"])
    chosen = []
    for cluster_id in sorted(zones, reverse=True):
        zone = zones[cluster_id]
        if roles.get(cluster_id) != "primary" and surplus[zone] > 0:
            chosen.append(cluster_id)
            surplus[zone] -= 1
    return sorted(chosen)


def replica_configuration(group, current, desired):
    """IncreaseReplicaCount's ReplicaConfiguration of a group with cluster mode disabled:
    every node's zone, the primary's first, the new nodes in the zones still missing."""
    zones, roles = _member_zones(group)
    existing = sorted(zones, key=lambda cluster_id: (roles.get(cluster_id) != "primary", cluster_id))
    missing = Counter(desired["availability_zones"]) - Counter(current["availability_zones"])
    placed = [zones[cluster_id] for cluster_id in existing] + sorted(missing.elements())
    return [{"NodeGroupId": "0001", "NewReplicaCount": len(placed) - 1, "PreferredAvailabilityZones": placed}]


class Step:
    """One API call of a plan: `action` (MODIFY, INCREASE, DECREASE) and its request
    without ReplicationGroupId; `settings` names what it changes."""

    __slots__ = ("action", "request", "settings")

    def __init__(self, action, request, settings):
        self.action = action
        self.request = request
        self.settings = settings

    def __repr__(self):
        return "Step(%r, %r)" % (self.action, sorted(self.request))


def _modify(request, settings, apply_immediately=True):
    request = dict(request, ApplyImmediately=apply_immediately)
    return Step(MODIFY, request, settings)


def _transit_steps(current, desired, changed, apply_immediately):
    """In-transit encryption moves through mode "preferred" in both directions."""
    if "transit_encryption" in changed and desired["transit_encryption"]:
        steps = [_modify({"TransitEncryptionEnabled": True, "TransitEncryptionMode": "preferred"},
                         ["transit_encryption"], apply_immediately)]
        if (desired["transit_encryption_mode"] or "required") == "required":
            steps.append(_modify({"TransitEncryptionMode": "required"}, ["transit_encryption_mode"],
                                 apply_immediately))
        return steps
    if "transit_encryption" in changed:
        steps = []
        if current["transit_encryption_mode"] == "required":
            steps.append(_modify({"TransitEncryptionMode": "preferred"}, ["transit_encryption_mode"],
                                 apply_immediately))
        steps.append(_modify({"TransitEncryptionEnabled": False}, ["transit_encryption"], apply_immediately))
        return steps
    if "transit_encryption_mode" in changed:
        return [_modify({"TransitEncryptionMode": desired["transit_encryption_mode"]},
                        ["transit_encryption_mode"], apply_immediately)]
    return []


def _token_step(current, params):
    """The AUTH token call: on request (auth_token_update_strategy), or to turn AUTH on."""
    strategy = params.get("auth_token_update_strategy")
    token = params.get("auth_token")
    if strategy == "DELETE":
        if not current["auth_token_enabled"]:
            return None
        return _modify({"AuthTokenUpdateStrategy": "DELETE"}, ["auth_token_enabled"])
    if token is None:
        return None
    if strategy is None and current["auth_token_enabled"]:
        return None
    return _modify({"AuthToken": token, "AuthTokenUpdateStrategy": strategy or "ROTATE"},
                   ["auth_token_enabled"] if not current["auth_token_enabled"] else ["auth_token"])


def plan_steps(current, desired, changed, params, group=None):
    """The calls, in an order ElastiCache accepts, that turn `current` into `desired`;
    `group` (the ReplicationGroup) places added and chooses removed nodes by zone.

    Multi-AZ goes off before automatic failover, and failover off before replicas are
    removed; replicas are added before failover goes on, and failover before Multi-AZ.
    """
    apply_immediately = bool(params.get("apply_immediately"))
    steps = []
    if "multi_az" in changed and not desired["multi_az"]:
        steps.append(_modify({"MultiAZEnabled": False}, ["multi_az"], apply_immediately))
    if "automatic_failover" in changed and not desired["automatic_failover"]:
        steps.append(_modify({"AutomaticFailoverEnabled": False}, ["automatic_failover"], apply_immediately))

    replicas_setting = "replicas_per_node_group" if cluster_mode_enabled(current) else "num_cache_clusters"
    if replicas_setting in changed:
        if cluster_mode_enabled(current):
            before, after = current[replicas_setting], desired[replicas_setting]
        else:
            before, after = node_count(current) - 1, node_count(desired) - 1
        action = INCREASE if after > before else DECREASE
        request = {"NewReplicaCount": after, "ApplyImmediately": True}
        settings = [replicas_setting]
        if "availability_zones" in changed and group is not None and not cluster_mode_enabled(current):
            settings.append("availability_zones")
            del request["NewReplicaCount"]
            if action == INCREASE:
                request["ReplicaConfiguration"] = replica_configuration(group, current, desired)
            else:
                request["ReplicasToRemove"] = replicas_to_remove(group, current, desired)
        steps.append(Step(action, request, settings))

    request = {}
    modified = []
    for name, key in MODIFY_REQUEST_KEYS:
        if name in changed:
            request[key] = desired[name]
            modified.append(name)
    if "engine" in changed and desired["engine_version"]:
        request["EngineVersion"] = desired["engine_version"]
    if "log_delivery" in changed:
        request["LogDeliveryConfigurations"] = log_delivery_request(current["log_delivery"], desired["log_delivery"])
        modified.append("log_delivery")
    if request:
        steps.append(_modify(request, modified, apply_immediately))
    steps.extend(_transit_steps(current, desired, changed, apply_immediately))

    if "automatic_failover" in changed and desired["automatic_failover"]:
        steps.append(_modify({"AutomaticFailoverEnabled": True}, ["automatic_failover"], apply_immediately))
    if "multi_az" in changed and desired["multi_az"]:
        steps.append(_modify({"MultiAZEnabled": True}, ["multi_az"], apply_immediately))

    token_step = _token_step(current, params)
    if token_step is not None:
        steps.append(token_step)
    return steps


def settings_diff(current, desired, names):
    """before/after holding only the named settings (never a token)."""
    before = dict((name, current[name]) for name in names if name in current)
    after = dict((name, desired[name]) for name in names if name in desired)
    return before, after


def create_request(params, desired):
    """CreateReplicationGroup arguments (the token included) for the desired settings."""
    request = {
        "ReplicationGroupId": params["replication_group_id"],
        "ReplicationGroupDescription": desired["description"],
        "Engine": desired["engine"],
        "AutomaticFailoverEnabled": desired["automatic_failover"],
        "MultiAZEnabled": desired["multi_az"],
        "AtRestEncryptionEnabled": desired["at_rest_encryption"],
        "TransitEncryptionEnabled": desired["transit_encryption"],
        "SnapshotRetentionLimit": desired["snapshot_retention_limit"],
    }
    if cluster_mode_enabled(desired):
        request.update(ClusterMode="enabled", NumNodeGroups=desired["num_node_groups"],
                       ReplicasPerNodeGroup=desired["replicas_per_node_group"])
    else:
        request["NumCacheClusters"] = desired["num_cache_clusters"]
        if params.get("preferred_cache_cluster_azs"):
            request["PreferredCacheClusterAZs"] = params["preferred_cache_cluster_azs"]
    optional = (
        ("engine_version", "EngineVersion"), ("node_type", "CacheNodeType"), ("port", "Port"),
        ("transit_encryption_mode", "TransitEncryptionMode"), ("kms_key_id", "KmsKeyId"),
        ("cache_parameter_group", "CacheParameterGroupName"), ("cache_subnet_group", "CacheSubnetGroupName"),
        ("snapshot_window", "SnapshotWindow"), ("preferred_maintenance_window", "PreferredMaintenanceWindow"),
        ("notification_topic_arn", "NotificationTopicArn"),
    )
    for name, key in optional:
        if desired[name] is not None:
            request[key] = desired[name]
    if desired["security_group_ids"]:
        request["SecurityGroupIds"] = desired["security_group_ids"]
    if desired["log_delivery"]:
        request["LogDeliveryConfigurations"] = log_delivery_request({}, desired["log_delivery"])
        for entry in request["LogDeliveryConfigurations"]:
            del entry["Enabled"]
    if params.get("auth_token") is not None:
        request["AuthToken"] = params["auth_token"]
    if params.get("snapshot_name"):
        request["SnapshotName"] = params["snapshot_name"]
    return request
