# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Rules of the elasticache role's variables (roles/elasticache/meta/argument_specs.yml has
their types). Limits, windows and log delivery are the elasticache_replication_group
module's own rules, applied to the variables that feed its options."""

import re

from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_parameters import RENAMED_PARAMETERS
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import MAX_CACHE_CLUSTERS
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import MAX_NODE_GROUPS
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import MAX_REPLICAS_PER_NODE_GROUP
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import cluster_layout_change
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import cluster_mode_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import MAX_ID_LENGTH
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import MAX_SNAPSHOT_RETENTION_DAYS
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import MIN_WINDOW_MINUTES
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import immutable_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import log_delivery_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import zone_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import aws_name
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import in_range
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import matches
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import needs
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import no_placeholders
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import offered
from ansible_collections.dbfleet.aws.plugins.module_utils.parameter_groups import validate_parameters
from ansible_collections.dbfleet.aws.plugins.module_utils.versions import is_lower
from ansible_collections.dbfleet.aws.plugins.module_utils.versions import major
from ansible_collections.dbfleet.aws.plugins.module_utils.windows import window_problems

# Variables of other roles these rules read.
CONTEXT = ("dbfleet_region",)
NODE_TYPE = r"^cache\.[a-z0-9]+\.[a-z0-9]+$"
ENGINE_VERSION = r"^\d+\.\d+$"
# The AUTH token the role generates: AWS takes 16-128 characters; the role asks for 64 or more.
MIN_GENERATED_TOKEN_LENGTH = 64
MAX_TOKEN_LENGTH = 128


def parameter_group_family(engine, version):
    """The parameter group family of an engine version: redis6.x, redis7, valkey7, valkey8."""
    number = int(major(version))
    return "%s%d%s" % (engine, number, ".x" if engine == "redis" and number < 7 else "")


def _family_problems(values):
    engine, version = values.get("elasticache_engine"), values.get("elasticache_engine_version")
    family = values.get("elasticache_parameter_group_family")
    if None in (engine, version, family) or not re.match(ENGINE_VERSION, version):
        return []
    expected = parameter_group_family(engine, version)
    if family != expected:
        return ["elasticache_parameter_group_family: must be %s, the family of %s %s (got %r)"
                % (expected, engine, version, family)]
    return []


def _failover_problems(values):
    if values.get("elasticache_cluster_mode") == "enabled":
        return _cluster_mode_problems(values)
    nodes = values.get("elasticache_num_cache_clusters")
    found = needs(values, "elasticache_automatic_failover", nodes is None or nodes >= 2,
                  "needs elasticache_num_cache_clusters of at least 2")
    found += needs(values, "elasticache_multi_az",
                   values.get("elasticache_automatic_failover") and (nodes is None or nodes >= 2),
                   "needs elasticache_automatic_failover and elasticache_num_cache_clusters of at least 2")
    return found


def _cluster_mode_problems(values):
    found = in_range(values, "elasticache_num_node_groups", 1, MAX_NODE_GROUPS)
    found += in_range(values, "elasticache_replicas_per_node_group", 0, MAX_REPLICAS_PER_NODE_GROUP)
    found += cluster_mode_problems(values.get("elasticache_automatic_failover"), values.get("elasticache_multi_az"),
                                   values.get("elasticache_replicas_per_node_group"),
                                   {"automatic_failover": "elasticache_automatic_failover",
                                    "multi_az": "elasticache_multi_az",
                                    "replicas_per_node_group": "elasticache_replicas_per_node_group"})
    if values.get("elasticache_availability_zones"):
        found.append("elasticache_availability_zones: places the nodes of a group with cluster mode disabled; "
                     "leave it empty with elasticache_cluster_mode enabled")
    return found


def _cluster_enabled_problems(values):
    """The role sets cluster-enabled from elasticache_cluster_mode; a contrary value is refused."""
    mode = values.get("elasticache_cluster_mode")
    value = (values.get("elasticache_parameters") or {}).get("cluster-enabled")
    if mode is None or value is None or str(value) == ("yes" if mode == "enabled" else "no"):
        return []
    return ["elasticache_parameters: cluster-enabled %s contradicts elasticache_cluster_mode %s; leave it out, "
            "the role sets it" % (value, mode)]


def _encryption_problems(values):
    transit = values.get("elasticache_transit_encryption")
    found = needs(values, "elasticache_kms_key_id", values.get("elasticache_at_rest_encryption"),
                  "needs elasticache_at_rest_encryption true")
    found += needs(values, "elasticache_auth_token_enabled", transit,
                   "needs elasticache_transit_encryption true (ElastiCache accepts AUTH only over TLS)")
    found += needs(values, "elasticache_auth_token_update_strategy", values.get("elasticache_auth_token_enabled"),
                   "needs elasticache_auth_token_enabled true")
    found += needs(values, "elasticache_client_tls", transit, "needs elasticache_transit_encryption true")
    found += in_range(values, "elasticache_auth_token_length", MIN_GENERATED_TOKEN_LENGTH, MAX_TOKEN_LENGTH)
    return found


def problems(values):
    """Every rule of the elasticache role's variables that values break."""
    found = aws_name(values, "elasticache_replication_group_id", MAX_ID_LENGTH)
    found += matches(values, "elasticache_engine_version", ENGINE_VERSION, "must look like 7.1 (major.minor)")
    found += _family_problems(values)
    found += aws_name(values, "elasticache_parameter_group_name", 255)
    found += matches(values, "elasticache_node_type", NODE_TYPE, "must look like cache.r6g.large")
    found += in_range(values, "elasticache_port", 1, 65535)
    found += in_range(values, "elasticache_num_cache_clusters", 1, MAX_CACHE_CLUSTERS)
    found += _failover_problems(values)
    found += _cluster_enabled_problems(values)
    found += _encryption_problems(values)
    found += in_range(values, "elasticache_snapshot_retention_limit", 0, MAX_SNAPSHOT_RETENTION_DAYS, " days")
    found += window_problems("elasticache_snapshot_window", values.get("elasticache_snapshot_window"),
                             "elasticache_maintenance_window", values.get("elasticache_maintenance_window"),
                             MIN_WINDOW_MINUTES)
    found += matches(values, "elasticache_notification_topic_arn",
                     r"^(arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256})?$",
                     "must be empty or an SNS topic ARN")
    found += no_placeholders(values, "elasticache_subnet_ids", "elasticache_allowed_security_group_ids",
                             "elasticache_kms_key_id")
    found += log_delivery_problems(values.get("elasticache_log_delivery"), "elasticache_log_delivery")
    found += _zone_problems(values)
    return found


def _zone_problems(values):
    zones, nodes = values.get("elasticache_availability_zones") or [], values.get("elasticache_num_cache_clusters")
    region = values.get("dbfleet_region")
    if not zones or values.get("elasticache_cluster_mode") == "enabled":
        return []
    found = []
    if nodes is not None and len(zones) != nodes:
        found.append("elasticache_availability_zones: names %d zones for elasticache_num_cache_clusters %d (one zone "
                     "per node, the primary's first)" % (len(zones), nodes))
    others = [zone for zone in zones if not re.match(r"^%s[a-z]$" % re.escape(region or "[a-z]+-[a-z]+-[0-9]+"),
                                                     str(zone))]
    if others:
        found.append("elasticache_availability_zones: %s not zones of %s (like %sa)"
                     % (", ".join(map(str, others)), region, region))
    return found


# The replication group's settings ElastiCache cannot change, and the variables that set them.
IMMUTABLE_VARIABLES = {"port": "elasticache_port", "at_rest_encryption": "elasticache_at_rest_encryption",
                       "kms_key_id": "elasticache_kms_key_id", "cache_subnet_group": "elasticache_subnet_group_name"}


def _running_cluster_mode_problems(values, running):
    """Cluster mode and the node group count stay what the group was created with."""
    mode, running_shards = values.get("elasticache_cluster_mode"), running.get("num_node_groups")
    if mode is None:
        return []
    shards = (values.get("elasticache_num_node_groups") or running_shards or 1) if mode == "enabled" else None
    change = cluster_layout_change(running_shards, shards)
    if change == "cluster mode":
        return ["elasticache_cluster_mode: %s runs with cluster mode %s; ElastiCache does not switch an existing "
                "group, create a new one (for example from a snapshot)"
                % (values.get("elasticache_replication_group_id"), "disabled" if running_shards is None else "enabled")]
    if change == "node groups":
        return ["elasticache_num_node_groups: %s has %d node groups, %d wanted; online resharding is not done by "
                "this collection (ModifyReplicationGroupShardConfiguration)"
                % (values.get("elasticache_replication_group_id"), running["num_node_groups"], shards)]
    return []


def offering_problems(values, node_types, parameters, running=None):
    """The rules that need what AWS offers: the node types the parameter group family runs on
    and the family's parameters ({name: ParameterSpec}), both from
    DescribeEngineDefaultParameters; and, for a group that exists, its settings (`running`,
    elasticache_replication_groups.current_settings): ElastiCache can neither lower its
    version nor change its port, encryption at rest, key or subnet group."""
    family = values.get("elasticache_parameter_group_family")
    found = offered("elasticache_node_type", values.get("elasticache_node_type"), node_types,
                    "for family %s in this region" % family)
    found += validate_parameters(values.get("elasticache_parameters") or {}, parameters, family, renamed=RENAMED_PARAMETERS,
                                 option="elasticache_parameters")[1]
    if not running:
        return found
    version, running_version = values.get("elasticache_engine_version"), running.get("engine_version")
    if running_version and version and is_lower(version, running_version):
        found.append("elasticache_engine_version: %s is lower than %s, the version %s runs; ElastiCache cannot "
                     "downgrade (restore a snapshot into a new replication group instead)"
                     % (version, running_version, values.get("elasticache_replication_group_id")))
    # An empty string (no KMS key, the default subnet group name unset) asks for nothing.
    wanted = dict((setting, None if values.get(variable) == "" else values.get(variable))
                  for setting, variable in IMMUTABLE_VARIABLES.items())
    found += immutable_problems(running, wanted, IMMUTABLE_VARIABLES)
    found += _running_cluster_mode_problems(values, running)
    if values.get("elasticache_availability_zones"):
        found += zone_problems(running, {"availability_zones": sorted(values["elasticache_availability_zones"])},
                               "elasticache_availability_zones")
    return found
