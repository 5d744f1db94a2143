"""ElastiCache replication groups backed by real redis-server processes.

For replication groups with cluster mode disabled (tools.local_aws.dataplane.redis):

* CreateReplicationGroup: member clusters "<group>-001" ... follow NumCacheClusters
  (1-6), each a CacheCluster (DescribeCacheClusters) and a redis-server; "-001" is the
  primary, the others real replicas. NodeGroups[0].PrimaryEndpoint, ReaderEndpoint and
  NodeGroupMembers[].ReadEndpoint carry the nodes' own loopback addresses and the group's
  Port (6379 by default). AuthToken becomes the
  password of the servers' `default` user. SnapshotName starts the primary from the
  snapshot's RDB file. Validated as AWS validates: node count, automatic failover and
  Multi-AZ, token format, token only with transit encryption, window formats.
* ModifyReplicationGroup: moto's fields plus SnapshotWindow, PreferredMaintenanceWindow,
  SecurityGroupIds, NotificationTopicArn, LogDeliveryConfigurations, EngineVersion,
  TransitEncryption*, PrimaryClusterId, SnapshottingClusterId and AuthToken with
  AuthTokenUpdateStrategy ROTATE (the default: old and new token valid), SET (after a
  ROTATE: only the new one) or DELETE (no password; needs transit encryption off).
  Member clusters follow.
* IncreaseReplicaCount / DecreaseReplicaCount add and remove replicas (processes too).
* TestFailover promotes a replica (REPLICAOF NO ONE, the others follow it) and records
  events; DescribeEvents lists the events of the region.
* DeleteReplicationGroup stops the servers and removes the group and its member
  clusters (FinalSnapshotIdentifier is taken first).
* With a state delay set, groups and their member clusters report creating / modifying
  for that many seconds after a change (computed when described).
* CreateSnapshot saves the primary's data as an RDB file, CopySnapshot (missing in moto)
  copies snapshot and file, DeleteSnapshot removes both.

For replication groups with cluster mode enabled (ClusterMode enabled or NumNodeGroups > 1):
NumNodeGroups shards of 1 + ReplicasPerNodeGroup nodes, members "<group>-0001-001", ...,
are one real Redis Cluster, the hash slots split evenly over the shards; NodeGroups carry
each shard's Slots, and ConfigurationEndpoint the first primary's address. Automatic
failover is required, and a parameter group with cluster-enabled yes (cluster mode
disabled needs no). Modify, parameters, tokens and deletion work as above, and replica
count changes (NewReplicaCount) apply to every node group; TestFailover, resharding,
snapshots and seeding from a snapshot are refused as not supported locally.

Groups built from an existing cluster (PrimaryClusterId) keep moto's metadata-only behaviour.
"""

import copy
import re
import shutil
import threading
import time
from datetime import timedelta

import redis
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.elasticache.exceptions import (
    CacheSubnetGroupNotFound,
    ElastiCacheException,
    InvalidParameterCombinationException,
    InvalidParameterValueException,
    SnapshotAlreadyExists,
    SnapshotNotFound,
)
from moto.elasticache.models import CacheCluster, ElastiCacheBackend, ReplicationGroup
from moto.elasticache.responses import ElastiCacheResponse
from moto.utilities.utils import get_partition

from ..dataplane import redis as redis_plane
from ..runtime import runtime
from .engine_catalog import NODE_TYPE_MAXMEMORY, PREVIOUS_GENERATION_MAXMEMORY
from .patching import wrap

NODE_GROUP_ID = "0001"
CACHE_NODE_ID = "0001"
MAX_CACHE_CLUSTERS = 6
MAX_NODE_GROUPS = 500
SHARDED = "cluster"  # the _data_plane mark of a group with cluster mode enabled
DEFAULT_ENGINE_VERSIONS = {"redis": "7.1", "valkey": "8.0"}
# AWS: 16-128 printable characters, of which the only special ones are ! & # $ ^ < > -.
AUTH_TOKEN = re.compile(r'^[A-Za-z0-9!&#$^<>-]{16,128}$')
TOKEN_STRATEGIES = ("ROTATE", "SET", "DELETE")
SNAPSHOTS_DIR = ".snapshots"
# Windows AWS assigns when none is given (it picks one per region; these do not overlap).
DEFAULT_SNAPSHOT_WINDOW = "05:00-06:00"
DEFAULT_MAINTENANCE_WINDOW = "sun:23:00-mon:00:30"
_TIME = r"([01]\d|2[0-3]):[0-5]\d"
_DAY = r"(sun|mon|tue|wed|thu|fri|sat)"
SNAPSHOT_WINDOW = re.compile(rf"^{_TIME}-{_TIME}$")
MAINTENANCE_WINDOW = re.compile(rf"^{_DAY}:{_TIME}-{_DAY}:{_TIME}$", re.IGNORECASE)
DEFAULT_EVENT_WINDOW_MINUTES = 60
# A replication group's lock: the data plane is changed outside moto's own locking.
_group_locks = {}
_group_locks_guard = threading.Lock()


class InvalidReplicationGroupState(ElastiCacheException):
    code = "InvalidReplicationGroupState"


class CacheSubnetGroupInUse(ElastiCacheException):
    code = "CacheSubnetGroupInUse"


class NodeGroupNotFound(ElastiCacheException):
    code = "NodeGroupNotFoundFault"


class DataPlaneFailure(ElastiCacheException):
    code = "InternalFailure"


def _lock(group_id):
    with _group_locks_guard:
        return _group_locks.setdefault(group_id, threading.Lock())


# --- model helpers ------------------------------------------------------------------


def has_data_plane(group):
    return bool(group.__dict__.get("_data_plane"))


def is_sharded(group):
    """A group with cluster mode enabled (one Redis Cluster of several node groups)."""
    return group.__dict__.get("_data_plane") == SHARDED


def primary_cluster_id(group):
    return group.__dict__.get("_primary_cluster_id")


def replica_cluster_ids(group):
    return [cluster_id for cluster_id in group.member_clusters
            if cluster_id != primary_cluster_id(group)]


def parameter_group_family(engine, engine_version):
    """ElastiCache family of an engine version: redis6.x, redis7, valkey7, valkey8, ..."""
    major = (engine_version or DEFAULT_ENGINE_VERSIONS.get(engine, "7")).split(".")[0]
    if engine == "redis" and major == "6":
        return "redis6.x"
    return f"{engine}{major}"


def default_parameter_group_name(engine, engine_version, cluster_mode=False):
    return f"default.{parameter_group_family(engine, engine_version)}{'.cluster.on' if cluster_mode else ''}"


def member_clusters(backend, group):
    return [backend.cache_clusters[cluster_id] for cluster_id in group.member_clusters
            if cluster_id in backend.cache_clusters]


def record_event(backend, source_identifier, source_type, message):
    backend.events.append({"SourceIdentifier": source_identifier, "SourceType": source_type,
                           "Message": message, "Date": utcnow()})


def _availability_zones(backend, preferred, count):
    zones = list(preferred or [])
    defaults = [f"{backend.region_name}{letter}" for letter in "abc"]
    while len(zones) < count:
        zones.append(defaults[len(zones) % len(defaults)])
    return zones[:count]


def _next_cluster_ids(group, count):
    """`count` unused member cluster ids, numbered after the highest in use."""
    numbers = [int(cluster_id.rsplit("-", 1)[1]) for cluster_id in group.member_clusters]
    start = max(numbers, default=0) + 1
    return [f"{group.replication_group_id}-{number:03d}"
            for number in range(start, start + count)]


def _refresh_sharded_topology(backend, group):
    """NodeGroups (one per shard, its slots) and the ConfigurationEndpoint: on AWS a DNS
    name for every node, here the first shard primary's address."""
    group.node_groups = [
        {"node_group_id": f"{index:04d}", "status": "available", "slots": shard["slots"],
         "node_group_members": [
             {"cache_cluster_id": cluster_id, "cache_node_id": CACHE_NODE_ID,
              "preferred_availability_zone": backend.cache_clusters[cluster_id].preferred_availability_zone}
             for cluster_id in shard["members"]]}
        for index, shard in enumerate(group.__dict__["_shards"], start=1)]
    group.configuration_endpoint = _endpoint(backend.cache_clusters[group.__dict__["_shards"][0]["members"][0]])
    group.snapshotting_cluster_id = None


def _refresh_topology(backend, group):
    """NodeGroups[0] and the snapshotting cluster from the member clusters and roles."""
    if is_sharded(group):
        _refresh_sharded_topology(backend, group)
        return
    node_group = group.node_groups[0]
    primary = backend.cache_clusters[primary_cluster_id(group)]
    replicas = [backend.cache_clusters[cluster_id] for cluster_id in replica_cluster_ids(group)]
    node_group["node_group_members"] = [
        {"cache_cluster_id": cluster.cache_cluster_id, "cache_node_id": CACHE_NODE_ID,
         "read_endpoint": _endpoint(cluster),
         "preferred_availability_zone": cluster.preferred_availability_zone,
         "current_role": "primary" if cluster is primary else "replica"}
        for cluster in member_clusters(backend, group)]
    node_group["primary_endpoint"] = _endpoint(primary)
    node_group["reader_endpoint"] = _endpoint((replicas or [primary])[0])
    for stale in ("primary_endpoint_address", "reader_endpoint_address", "port"):
        node_group.pop(stale, None)
    if group.snapshot_retention_limit:
        group.snapshotting_cluster_id = (replicas or [primary])[0].cache_cluster_id
    else:
        group.snapshotting_cluster_id = None


def _endpoint(cluster):
    """Where a member cluster's node listens: its own loopback address, the group's port."""
    return {"address": cluster.__dict__.get("_address"), "port": cluster.port}


def _new_member_cluster(backend, group, cluster_id, zone):
    """A CacheCluster record for a member of `group` (no process yet)."""
    cluster = CacheCluster(
        account_id=backend.account_id, region_name=backend.region_name,
        cache_cluster_id=cluster_id, cache_node_type=group.cache_node_type,
        replication_group_id=group.replication_group_id, az_mode="single-az",
        preferred_availability_zone=zone, num_cache_nodes=1, engine=group.engine,
        engine_version=group.engine_version,
        cache_parameter_group_name=group.cache_parameter_group_name,
        cache_subnet_group_name=group.cache_subnet_group_name,
        transit_encryption_enabled=group.transit_encryption_enabled,
        network_type=group.network_type, ip_discovery=group.ip_discovery,
        snapshot_name=None, preferred_maintenance_window=group.preferred_maintenance_window,
        port=group.port, notification_topic_arn=group.notification_topic_arn,
        auto_minor_version_upgrade=group.auto_minor_version_upgrade,
        snapshot_retention_limit=group.snapshot_retention_limit,
        snapshot_window=group.snapshot_window, auth_token=None, outpost_mode=None,
        preferred_outpost_arn=None, preferred_availability_zones=None,
        cache_security_group_names=group.cache_security_group_names,
        security_group_ids=group.security_group_ids, tags=None, snapshot_arns=None,
        preferred_outpost_arns=None,
        log_delivery_configurations=group.log_delivery_configurations,
        cache_node_ids_to_remove=None, cache_node_ids_to_reboot=None)
    # moto sets these for engine "redis" only; valkey members need them too.
    cluster.num_cache_nodes = 1
    cluster.replication_group_id = group.replication_group_id
    cluster.snapshot_window = group.snapshot_window
    cluster.auth_token_enabled = group.auth_token_enabled
    cluster.at_rest_encryption_enabled = group.at_rest_encryption_enabled
    cluster.transit_encryption_mode = group.transit_encryption_mode
    backend.cache_clusters[cluster_id] = cluster
    return cluster


def _maxmemory(node_type):
    """ElastiCache's maxmemory of a node type, in bytes (None for a type it does not list)."""
    return {**PREVIOUS_GENERATION_MAXMEMORY, **NODE_TYPE_MAXMEMORY}.get(node_type)


def _start_member(backend, group, cluster, primary_id=None, rdb_file=None):
    """Start a member's server: a replica of primary_id (cluster mode disabled), or a node
    of a group with cluster mode enabled, which the Redis Cluster then joins."""
    cluster.__dict__["_address"] = redis_plane.start_node(
        runtime.state_dir, backend.region_name, group.replication_group_id,
        cluster.cache_cluster_id, group.port, group.__dict__.get("_auth_tokens", []),
        primary_cluster_id=primary_id, rdb_file=rdb_file, cluster_mode=is_sharded(group),
        maxmemory=_maxmemory(cluster.cache_node_type))
    if primary_id:
        redis_plane.wait_for_sync(runtime.state_dir, backend.region_name,
                                  group.replication_group_id, cluster.cache_cluster_id)


def _add_replicas(backend, group, count, preferred_zones=None):
    """`count` new replicas; with `preferred_zones` (every node's zone, the primary's
    first, as IncreaseReplicaCount's ReplicaConfiguration gives them), the new ones take
    the zones the existing nodes do not fill."""
    if preferred_zones:
        new_zones = list(preferred_zones)
        for cluster in member_clusters(backend, group):
            if cluster.preferred_availability_zone in new_zones:
                new_zones.remove(cluster.preferred_availability_zone)
    else:
        new_zones = _availability_zones(backend, [], len(group.member_clusters) + count)[
            len(group.member_clusters):]
    for cluster_id, zone in zip(_next_cluster_ids(group, count), new_zones):
        cluster = _new_member_cluster(backend, group, cluster_id, zone)
        group.member_clusters.append(cluster_id)
        _start_member(backend, group, cluster, primary_id=primary_cluster_id(group))


def _remove_member(backend, group, cluster_id):
    redis_plane.delete_node(runtime.state_dir, backend.region_name,
                            group.replication_group_id, cluster_id)
    group.member_clusters.remove(cluster_id)
    backend.cache_clusters.pop(cluster_id, None)


def _data_plane_failure(problem):
    return DataPlaneFailure(f"The local data plane could not serve this request: {problem}")


# --- validation -----------------------------------------------------------------------


def _validate_auth_token(token):
    if not AUTH_TOKEN.match(token):
        raise InvalidParameterValueException(
            "Invalid AuthToken provided. The AUTH token must be 16 to 128 printable characters; "
            "the only special characters permitted are !, &, #, $, ^, <, > and -.")


def _validate_windows(snapshot_window, maintenance_window):
    if snapshot_window is not None and not SNAPSHOT_WINDOW.match(snapshot_window):
        raise InvalidParameterValueException(
            f"Invalid snapshot window {snapshot_window}; the format is hh24:mi-hh24:mi.")
    if maintenance_window is not None and not MAINTENANCE_WINDOW.match(maintenance_window):
        raise InvalidParameterValueException(
            f"Invalid maintenance window {maintenance_window}; the format is "
            f"ddd:hh24:mi-ddd:hh24:mi.")


def _validate_sharded_failover(automatic_failover, multi_az, replicas_per_node_group):
    """Cluster mode enabled: automatic failover always, Multi-AZ with a replica per node group."""
    if not automatic_failover:
        raise InvalidParameterCombinationException(
            "Redis with cluster mode enabled needs automatic failover enabled.")
    if multi_az and replicas_per_node_group < 1:
        raise InvalidParameterCombinationException(
            "Multi-AZ requires at least one replica in each node group.")


def _validate_failover_settings(automatic_failover, multi_az, node_count):
    if multi_az and not automatic_failover:
        raise InvalidParameterCombinationException(
            "Multi-AZ can only be enabled when automatic failover is enabled.")
    if automatic_failover and node_count < 2:
        raise InvalidParameterCombinationException(
            "Automatic failover and Multi-AZ require at least 2 cache clusters "
            "(a primary and a replica).")


def is_sharded_request(kwargs):
    """Cluster mode enabled: ClusterMode enabled, or more than one node group."""
    return (kwargs.get("cluster_mode") or "").lower() == "enabled" or (kwargs.get("num_node_groups") or 1) > 1


# --- snapshots --------------------------------------------------------------------------


def snapshot_file(region, snapshot_name):
    return (redis_plane.groups_dir(runtime.state_dir) / SNAPSHOTS_DIR / region
            / f"{snapshot_name}.rdb")


def _save_snapshot_data(backend, group, snapshot_name):
    """Keep the primary's data as the snapshot's RDB file."""
    redis_plane.save_rdb(runtime.state_dir, backend.region_name, group.replication_group_id,
                         primary_cluster_id(group),
                         snapshot_file(backend.region_name, snapshot_name))


# --- state transitions ------------------------------------------------------------------


def begin_transition(backend, group, transient_status):
    """Report `transient_status` on the group and its member clusters for the configured
    delay (POST /_local_aws/delays), then the settled status."""
    if runtime.state_delay_seconds > 0:
        until = time.time() + runtime.state_delay_seconds
        for resource in [group, *member_clusters(backend, group)]:
            resource.__dict__["_transition"] = (transient_status, until)


def _status_property(settled_attribute):
    def get(resource):
        transition = resource.__dict__.get("_transition")
        if transition and time.time() < transition[1]:
            return transition[0]
        return resource.__dict__.get(settled_attribute, "available")

    def set_(resource, value):
        resource.__dict__[settled_attribute] = value
        resource.__dict__.pop("_transition", None)

    return property(get, set_)


# --- backend hooks ----------------------------------------------------------------------


def _init(original):
    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.events = []
    return __init__


def _prepare_create(backend, kwargs):
    """Checks and defaults both cluster modes share; returns the snapshot's RDB file or None."""
    _validate_windows(kwargs.get("snapshot_window"), kwargs.get("preferred_maintenance_window"))
    token = kwargs.get("auth_token")
    if token is not None:
        _validate_auth_token(token)
        if not kwargs.get("transit_encryption_enabled"):
            raise InvalidParameterValueException(
                "The AUTH token can only be set when TransitEncryptionEnabled is true.")
    rdb_file = None
    if kwargs.get("snapshot_name"):
        snapshot = backend.describe_snapshots(snapshot_name=kwargs["snapshot_name"])[0]
        rdb_file = snapshot_file(backend.region_name, snapshot.snapshot_name)
        for setting in ("cache_node_type", "engine", "engine_version",
                        "cache_parameter_group_name"):
            kwargs[setting] = kwargs.get(setting) or getattr(snapshot, setting, None)
    engine = (kwargs.get("engine") or "redis").lower()
    kwargs["engine"] = engine
    kwargs["engine_version"] = kwargs.get("engine_version") or DEFAULT_ENGINE_VERSIONS.get(engine)
    kwargs["snapshot_window"] = kwargs.get("snapshot_window") or DEFAULT_SNAPSHOT_WINDOW
    kwargs["preferred_maintenance_window"] = kwargs.get("preferred_maintenance_window") \
        or DEFAULT_MAINTENANCE_WINDOW
    kwargs["cache_parameter_group_name"] = kwargs.get("cache_parameter_group_name") or \
        default_parameter_group_name(engine, kwargs["engine_version"], is_sharded_request(kwargs))
    return rdb_file if rdb_file and rdb_file.exists() else None


def _abandon(backend, group, clusters):
    redis_plane.delete_group(runtime.state_dir, backend.region_name, group.replication_group_id)
    for cluster in clusters:
        backend.cache_clusters.pop(cluster.cache_cluster_id, None)
    backend.replication_groups.pop(group.replication_group_id, None)


def _create_sharded_group(backend, original, kwargs):
    """Cluster mode enabled: NumNodeGroups shards of 1 + ReplicasPerNodeGroup nodes, one
    Redis Cluster; members <group>-<shard 0001..>-<node 001..> as ElastiCache names them."""
    shards = kwargs.get("num_node_groups") or 1
    replicas = kwargs.get("replicas_per_node_group") or 0
    if not 1 <= shards <= MAX_NODE_GROUPS:
        raise InvalidParameterValueException(
            f"NumNodeGroups must be between 1 and {MAX_NODE_GROUPS}; {shards} was given.")
    if not 0 <= replicas <= MAX_CACHE_CLUSTERS - 1:
        raise InvalidParameterValueException(
            f"ReplicasPerNodeGroup must be between 0 and {MAX_CACHE_CLUSTERS - 1}; {replicas} was given.")
    _validate_sharded_failover(kwargs.get("automatic_failover_enabled"), kwargs.get("multi_az_enabled"), replicas)
    if kwargs.get("snapshot_name"):
        raise InvalidParameterCombinationException(
            "Seeding a group with cluster mode enabled from a snapshot is not supported locally.")
    _prepare_create(backend, kwargs)
    kwargs["cluster_mode"] = "enabled"
    token = kwargs.get("auth_token")
    group = original(backend, **kwargs)
    group.__dict__["_data_plane"] = SHARDED
    group.__dict__["_auth_tokens"] = [token] if token else []
    zones = _availability_zones(backend, [], replicas + 1)
    layout = [[f"{group.replication_group_id}-{shard:04d}-{node:03d}" for node in range(1, replicas + 2)]
              for shard in range(1, shards + 1)]
    group.member_clusters = [cluster_id for shard in layout for cluster_id in shard]
    clusters = [_new_member_cluster(backend, group, cluster_id, zone)
                for shard in layout for cluster_id, zone in zip(shard, zones)]
    try:
        with _lock(group.replication_group_id):
            for cluster in clusters:
                _start_member(backend, group, cluster)
            slots = redis_plane.form_cluster(runtime.state_dir, backend.region_name,
                                             group.replication_group_id, layout)
    except (redis_plane.RedisDataPlaneError, redis.RedisError, OSError) as problem:
        _abandon(backend, group, clusters)
        raise _data_plane_failure(problem) from problem
    group.__dict__["_shards"] = [{"members": shard, "slots": slot_range}
                                 for shard, slot_range in zip(layout, slots)]
    _refresh_topology(backend, group)
    begin_transition(backend, group, "creating")
    return group


def _create_replication_group(original):
    def create_replication_group(self, **kwargs):
        if kwargs.get("primary_cluster_id"):
            return original(self, **kwargs)
        if is_sharded_request(kwargs):
            return _create_sharded_group(self, original, kwargs)
        node_count = kwargs.get("num_cache_clusters") or (
            (kwargs.get("replicas_per_node_group") or 0) + 1)
        if not 1 <= node_count <= MAX_CACHE_CLUSTERS:
            raise InvalidParameterValueException(
                f"NumCacheClusters must be between 1 and {MAX_CACHE_CLUSTERS}; "
                f"{node_count} was given.")
        _validate_failover_settings(bool(kwargs.get("automatic_failover_enabled")),
                                    bool(kwargs.get("multi_az_enabled")), node_count)
        rdb_file = _prepare_create(self, kwargs)
        token = kwargs.get("auth_token")
        group = original(self, **kwargs)
        group.__dict__["_data_plane"] = True
        group.__dict__["_auth_tokens"] = [token] if token else []
        zones = _availability_zones(self, kwargs.get("preferred_cache_cluster_azs"),
                                    node_count)
        group.member_clusters = [f"{group.replication_group_id}-{number:03d}"
                                 for number in range(1, node_count + 1)]
        group.__dict__["_primary_cluster_id"] = group.member_clusters[0]
        clusters = [_new_member_cluster(self, group, cluster_id, zone)
                    for cluster_id, zone in zip(group.member_clusters, zones)]
        try:
            with _lock(group.replication_group_id):
                _start_member(self, group, clusters[0], rdb_file=rdb_file)
                for cluster in clusters[1:]:
                    _start_member(self, group, cluster, primary_id=clusters[0].cache_cluster_id)
        except (redis_plane.RedisDataPlaneError, redis.RedisError, OSError) as problem:
            _abandon(self, group, clusters)
            raise _data_plane_failure(problem) from problem
        _refresh_topology(self, group)
        begin_transition(self, group, "creating")
        return group
    return create_replication_group


def _delete_replication_group(original):
    def delete_replication_group(self, replication_group_id, retain_primary_cluster):
        group = self.describe_replication_groups(replication_group_id)[0]
        if not has_data_plane(group):
            return original(self, replication_group_id, retain_primary_cluster)
        members = list(group.member_clusters)
        primary = primary_cluster_id(group)
        group = original(self, replication_group_id, retain_primary_cluster)
        redis_plane.delete_group(runtime.state_dir, self.region_name, replication_group_id)
        for cluster_id in members:
            if retain_primary_cluster and cluster_id == primary:
                # Kept as a record only: its server belonged to the group.
                self.cache_clusters[cluster_id].replication_group_id = None
            else:
                self.cache_clusters.pop(cluster_id, None)
        self.replication_groups.pop(replication_group_id, None)
        group.member_clusters = []
        return group
    return delete_replication_group


def _create_snapshot(original):
    def create_snapshot(self, snapshot_name, replication_group_id, cache_cluster_id,
                        kms_key_id, tags):
        snapshot = original(self, snapshot_name, replication_group_id, cache_cluster_id,
                            kms_key_id, tags)
        group_id = replication_group_id or getattr(
            self.cache_clusters.get(cache_cluster_id), "replication_group_id", None)
        group = self.replication_groups.get(group_id) if group_id else None
        if group is not None and is_sharded(group):
            self.snapshots.pop(snapshot_name, None)
            raise InvalidReplicationGroupState(
                "Snapshots of a group with cluster mode enabled are not supported locally.")
        if group is not None and has_data_plane(group):
            snapshot.replication_group_id = group.replication_group_id
            snapshot.replication_group_description = group.description
            snapshot.num_node_groups = 1
            try:
                _save_snapshot_data(self, group, snapshot_name)
            except (redis.RedisError, OSError) as problem:
                self.snapshots.pop(snapshot_name, None)
                raise _data_plane_failure(problem) from problem
        return snapshot
    return create_snapshot


def _delete_snapshot(original):
    def delete_snapshot(self, snapshot_name):
        snapshot = original(self, snapshot_name)
        snapshot_file(self.region_name, snapshot_name).unlink(missing_ok=True)
        return snapshot
    return delete_snapshot


# --- ElastiCacheResponse: changes of replication groups ---------------------------------


def _token_change(response, group):
    """The tokens valid after ModifyReplicationGroup, or None when they do not change.

    ROTATE (the default) keeps the newest current token valid next to the new one;
    SET, allowed only while a rotation is in progress, keeps the new one only.
    """
    token = response._get_param("AuthToken")
    strategy = response._get_param("AuthTokenUpdateStrategy")
    if token is None and strategy is None:
        return None
    strategy = strategy or "ROTATE"
    if strategy not in TOKEN_STRATEGIES:
        raise InvalidParameterValueException(
            f"Invalid AuthTokenUpdateStrategy {strategy}; valid values: "
            f"{', '.join(TOKEN_STRATEGIES)}.")
    transit = response._get_bool_param("TransitEncryptionEnabled")
    transit = group.transit_encryption_enabled if transit is None else transit
    current = group.__dict__.get("_auth_tokens", [])
    if strategy == "DELETE":
        if token is not None:
            raise InvalidParameterCombinationException(
                "AuthToken must not be specified with AuthTokenUpdateStrategy DELETE.")
        if transit:
            raise InvalidParameterCombinationException(
                "The AUTH token can only be deleted when in-transit encryption is disabled.")
        return []
    if token is None:
        raise InvalidParameterValueException(
            f"AuthToken is required with AuthTokenUpdateStrategy {strategy}.")
    _validate_auth_token(token)
    if not transit:
        raise InvalidParameterCombinationException(
            "The AUTH token can only be set when in-transit encryption is enabled.")
    if strategy == "SET":
        if len(current) < 2:
            raise InvalidParameterCombinationException(
                "AuthTokenUpdateStrategy SET is allowed only after ROTATE.")
        return [token]
    return (current[-1:] if current and current[-1] != token else []) + [token]


def _failover_to(backend, group, new_primary_id):
    """Promote a replica and make the other members replicate from it."""
    old_primary_id = primary_cluster_id(group)
    region, group_id = backend.region_name, group.replication_group_id
    redis_plane.promote(runtime.state_dir, region, group_id, new_primary_id)
    group.__dict__["_primary_cluster_id"] = new_primary_id
    for cluster_id in replica_cluster_ids(group):
        redis_plane.follow(runtime.state_dir, region, group_id, cluster_id, new_primary_id)
    _refresh_topology(backend, group)
    return old_primary_id


def _apply_member_settings(backend, group, params):
    """Copy group-level settings of ModifyReplicationGroup to the group and its members; a
    new node type brings its maxmemory to the members' servers."""
    for cluster in member_clusters(backend, group):
        if cluster.cache_node_type != group.cache_node_type and _maxmemory(group.cache_node_type):
            redis_plane.config_set_many(runtime.state_dir, backend.region_name, group.replication_group_id,
                                        cluster.cache_cluster_id, {"maxmemory": _maxmemory(group.cache_node_type)})
        cluster.cache_node_type = group.cache_node_type
        cluster.engine = group.engine
        cluster.snapshot_retention_limit = group.snapshot_retention_limit
        for attribute, value in params.items():
            if value is not None:
                setattr(cluster, attribute, value)
    for attribute, value in params.items():
        if value is not None:
            setattr(group, attribute, value)


def _log_delivery_configurations(group, requested):
    """The group's log deliveries after a change: Enabled false removes one log type."""
    by_type = {config["LogType"]: config for config in group.log_delivery_configurations}
    for config in requested:
        enabled = str(config.get("Enabled", True)).lower() != "false"
        settings = {key: value for key, value in config.items() if key != "Enabled"}
        if enabled:
            by_type[config["LogType"]] = dict(settings, Status="active",
                                              Message="Log delivery configuration is active.")
        else:
            by_type.pop(config["LogType"], None)
    return list(by_type.values())


def _wrap_modify_replication_group(original):
    def modify_replication_group(self):
        group = self.elasticache_backend.describe_replication_groups(
            self._get_param("ReplicationGroupId"))[0]
        if not has_data_plane(group):
            return original(self)
        backend = self.elasticache_backend
        failover = self._get_bool_param("AutomaticFailoverEnabled")
        multi_az = self._get_bool_param("MultiAZEnabled")
        if is_sharded(group):
            _validate_sharded_failover(failover is not False, multi_az,
                                       len(group.__dict__["_shards"][0]["members"]) - 1)
        elif failover is not None or multi_az is not None:
            _validate_failover_settings(
                group.automatic_failover == "enabled" if failover is None else failover,
                group.multi_az == "enabled" if multi_az is None else multi_az,
                len(group.member_clusters))
        new_primary = self._get_param("PrimaryClusterId")
        if new_primary is not None and is_sharded(group):
            raise InvalidParameterCombinationException(
                "PrimaryClusterId applies to groups with cluster mode disabled; use TestFailover per node group.")
        if new_primary is not None and new_primary not in group.member_clusters:
            raise InvalidParameterValueException(
                f"Cache cluster {new_primary} is not a member of replication group "
                f"{group.replication_group_id}.")
        _validate_windows(self._get_param("SnapshotWindow"),
                          self._get_param("PreferredMaintenanceWindow"))
        tokens = _token_change(self, group)
        result = original(self)
        transit = self._get_bool_param("TransitEncryptionEnabled")
        log_deliveries = self._get_params().get("LogDeliveryConfigurations")
        _apply_member_settings(backend, group, {
            "snapshot_window": self._get_param("SnapshotWindow"),
            "preferred_maintenance_window": self._get_param("PreferredMaintenanceWindow"),
            "security_group_ids": self._get_param("SecurityGroupIds"),
            "notification_topic_arn": self._get_param("NotificationTopicArn"),
            "engine_version": self._get_param("EngineVersion"),
            "auto_minor_version_upgrade": self._get_bool_param("AutoMinorVersionUpgrade"),
            "transit_encryption_enabled": transit,
            "transit_encryption_mode": self._get_param("TransitEncryptionMode"),
            "log_delivery_configurations": None if log_deliveries is None else
            _log_delivery_configurations(group, log_deliveries),
        })
        try:
            with _lock(group.replication_group_id):
                if new_primary is not None and new_primary != primary_cluster_id(group):
                    _failover_to(backend, group, new_primary)
                if tokens is not None:
                    redis_plane.set_tokens(runtime.state_dir, backend.region_name,
                                           group.replication_group_id, group.member_clusters,
                                           tokens, disconnect=True)
        except (redis_plane.RedisDataPlaneError, redis.RedisError) as problem:
            raise _data_plane_failure(problem) from problem
        if tokens is not None:
            group.__dict__["_auth_tokens"] = tokens
            group.auth_token_enabled = bool(tokens)
            group.auth_token_last_modified_date = utcnow() if tokens else None
            for cluster in member_clusters(backend, group):
                cluster.auth_token_enabled = bool(tokens)
                cluster.auth_token_last_modified_date = group.auth_token_last_modified_date
        snapshotting = self._get_param("SnapshottingClusterId")
        _refresh_topology(backend, group)
        if snapshotting is not None:
            group.snapshotting_cluster_id = snapshotting
        begin_transition(backend, group, "modifying")
        return result
    return modify_replication_group


def _group_with_data_plane(response, replica_count=False):
    """The group of a replica count change (`replica_count`, both cluster modes) or of a
    TestFailover (cluster mode disabled only)."""
    group = response.elasticache_backend.describe_replication_groups(
        response._get_param("ReplicationGroupId"))[0]
    if not has_data_plane(group) or (is_sharded(group) and not replica_count):
        raise InvalidReplicationGroupState(
            "This operation is supported locally for replication groups with cluster mode "
            "disabled only.")
    if response._get_param("ApplyImmediately") is not None \
            and not response._get_bool_param("ApplyImmediately"):
        raise InvalidParameterValueException(
            "ApplyImmediately=false is not supported; the replica count changes immediately.")
    return group


def _replica_change(backend, group, change):
    """Make a replica count change (`change()`) under the group's lock; the topology is
    read again whatever happens. Returns the action's result."""
    try:
        with _lock(group.replication_group_id):
            change()
    except (redis_plane.RedisDataPlaneError, redis.RedisError) as problem:
        raise _data_plane_failure(problem) from problem
    finally:
        _refresh_topology(backend, group)
    begin_transition(backend, group, "modifying")
    return ActionResult({"ReplicationGroup": group})


def _change_sharded_replicas(response, group, increase):
    """Cluster mode enabled: NewReplicaCount replicas in every node group (the local
    endpoint does not take a ReplicaConfiguration per node group)."""
    new_count = response._get_int_param("NewReplicaCount")
    if new_count is None or response._get_param("ReplicaConfiguration") or response._get_param("ReplicasToRemove"):
        raise InvalidParameterValueException(
            "Locally, the replicas of a group with cluster mode enabled change with NewReplicaCount, "
            "the same count in every node group.")
    shards = group.__dict__["_shards"]
    current = len(shards[0]["members"]) - 1
    if increase and not current < new_count <= MAX_CACHE_CLUSTERS - 1:
        raise InvalidParameterValueException(
            f"NewReplicaCount {new_count} must be greater than {current} and at most {MAX_CACHE_CLUSTERS - 1}.")
    if not increase and not 0 <= new_count < current:
        raise InvalidParameterValueException(
            f"NewReplicaCount {new_count} must be less than the current replica count {current} and not negative.")
    _validate_sharded_failover(True, group.multi_az == "enabled", new_count)
    backend, group_id = response.elasticache_backend, group.replication_group_id
    zones = _availability_zones(backend, [], new_count + 1)

    def change():
        for index, shard in enumerate(shards, start=1):
            members = shard["members"]
            while len(members) < new_count + 1:
                number = max(int(cluster_id.rsplit("-", 1)[1]) for cluster_id in members) + 1
                cluster = _new_member_cluster(backend, group, f"{group_id}-{index:04d}-{number:03d}",
                                              zones[len(members)])
                _start_member(backend, group, cluster)
                members.append(cluster.cache_cluster_id)
                group.member_clusters.append(cluster.cache_cluster_id)
                redis_plane.join_cluster(runtime.state_dir, backend.region_name, group_id,
                                         cluster.cache_cluster_id, members[0], group.member_clusters)
            while len(members) > new_count + 1:
                cluster_id = members.pop()
                redis_plane.leave_cluster(runtime.state_dir, backend.region_name, group_id, cluster_id,
                                          [other for other in group.member_clusters if other != cluster_id])
                _remove_member(backend, group, cluster_id)

    return _replica_change(backend, group, change)


def increase_replica_count(self):
    group = _group_with_data_plane(self, replica_count=True)
    if is_sharded(group):
        return _change_sharded_replicas(self, group, increase=True)
    new_count = self._get_int_param("NewReplicaCount")
    current = len(replica_cluster_ids(group))
    # Cluster mode disabled: one ConfigureShard, node group 0001, whose
    # PreferredAvailabilityZones place every node (NewReplicaCount + 1, the primary first).
    shards = self._get_param("ReplicaConfiguration") or []
    zones = None
    if shards:
        if len(shards) != 1 or shards[0].get("NodeGroupId") != "0001" or new_count is not None:
            raise InvalidParameterValueException(
                "ReplicaConfiguration of a replication group with cluster mode disabled holds one "
                "ConfigureShard, NodeGroupId 0001, instead of NewReplicaCount.")
        new_count = int(shards[0]["NewReplicaCount"])
        zones = shards[0].get("PreferredAvailabilityZones") or None
        if zones is not None and len(zones) != new_count + 1:
            raise InvalidParameterValueException(
                f"PreferredAvailabilityZones must name {new_count + 1} zones, NewReplicaCount plus "
                f"the primary (got {len(zones)}).")
    if new_count is None:
        raise InvalidParameterValueException("NewReplicaCount is required for a replication "
                                             "group with cluster mode disabled.")
    if new_count <= current:
        raise InvalidParameterValueException(
            f"NewReplicaCount {new_count} must be greater than the current replica count "
            f"{current}.")
    if new_count > MAX_CACHE_CLUSTERS - 1:
        raise InvalidParameterValueException(
            f"NewReplicaCount must not exceed {MAX_CACHE_CLUSTERS - 1}.")
    backend = self.elasticache_backend
    return _replica_change(backend, group, lambda: _add_replicas(backend, group, new_count - current, zones))


def decrease_replica_count(self):
    group = _group_with_data_plane(self, replica_count=True)
    if is_sharded(group):
        return _change_sharded_replicas(self, group, increase=False)
    new_count = self._get_int_param("NewReplicaCount")
    to_remove = self._get_param("ReplicasToRemove") or []
    replicas = replica_cluster_ids(group)
    if (new_count is None) == (not to_remove):
        raise InvalidParameterCombinationException(
            "Specify exactly one of NewReplicaCount and ReplicasToRemove.")
    for cluster_id in to_remove:
        if cluster_id not in replicas:
            raise InvalidParameterValueException(
                f"{cluster_id} is not a replica of replication group "
                f"{group.replication_group_id}.")
    if to_remove:
        new_count = len(replicas) - len(set(to_remove))
    else:
        if not 0 <= new_count < len(replicas):
            raise InvalidParameterValueException(
                f"NewReplicaCount {new_count} must be less than the current replica count "
                f"{len(replicas)} and not negative.")
        to_remove = replicas[new_count:]
    if new_count < 1 and group.automatic_failover == "enabled":
        raise InvalidParameterCombinationException(
            "A replication group with automatic failover enabled needs at least one "
            "replica.")
    backend = self.elasticache_backend

    def change():
        for cluster_id in set(to_remove):
            _remove_member(backend, group, cluster_id)

    return _replica_change(backend, group, change)


def test_failover(self):
    group = _group_with_data_plane(self)
    node_group_id = self._get_param("NodeGroupId")
    if node_group_id != NODE_GROUP_ID:
        raise NodeGroupNotFound(f"Node group {node_group_id} not found in replication group "
                                f"{group.replication_group_id}.")
    if group.automatic_failover != "enabled" or not replica_cluster_ids(group):
        raise InvalidReplicationGroupState(
            "TestFailover needs automatic failover enabled and at least one replica.")
    backend = self.elasticache_backend
    group_id = group.replication_group_id
    record_event(backend, group_id, "replication-group",
                 f"Test Failover API called for node group {node_group_id}")
    new_primary = replica_cluster_ids(group)[0]
    try:
        with _lock(group_id):
            old_primary = _failover_to(backend, group, new_primary)
    except (redis_plane.RedisDataPlaneError, redis.RedisError) as problem:
        raise _data_plane_failure(problem) from problem
    record_event(backend, group_id, "replication-group",
                 f"Failover from master node {old_primary} to replica node {new_primary} "
                 f"completed")
    record_event(backend, old_primary, "cache-cluster",
                 f"Finished recovery for cache nodes {CACHE_NODE_ID}")
    return ActionResult({"ReplicationGroup": group})


def describe_events(self):
    source_identifier = self._get_param("SourceIdentifier")
    source_type = self._get_param("SourceType")
    end = self._get_param("EndTime") or utcnow()
    start = self._get_param("StartTime")
    if start is None:
        minutes = self._get_int_param("Duration") or DEFAULT_EVENT_WINDOW_MINUTES
        start = end - timedelta(minutes=minutes)
    events = [event for event in self.elasticache_backend.events
              if (source_identifier is None or event["SourceIdentifier"] == source_identifier)
              and (source_type is None or event["SourceType"] == source_type)
              and start <= event["Date"] <= end]
    return ActionResult({"Events": events})


def delete_cache_subnet_group(self):
    """Missing in moto 5.2.5; refused while a replication group uses the subnet group."""
    backend = self.elasticache_backend
    name = self._get_param("CacheSubnetGroupName")
    if name not in backend.cache_subnet_groups:
        raise CacheSubnetGroupNotFound(name)
    users = sorted(group_id for group_id, group in backend.replication_groups.items()
                   if group.cache_subnet_group_name == name)
    if users:
        raise CacheSubnetGroupInUse(
            f"Cache subnet group {name} is currently in use by replication group "
            f"{', '.join(users)}.")
    del backend.cache_subnet_groups[name]
    return EmptyResult()


def copy_snapshot(self):
    backend = self.elasticache_backend
    source_name = self._get_param("SourceSnapshotName")
    target_name = self._get_param("TargetSnapshotName")
    if self._get_param("TargetBucket"):
        raise InvalidParameterValueException(
            "Exporting snapshots to S3 (TargetBucket) is not supported by the local endpoint.")
    if source_name not in backend.snapshots:
        raise SnapshotNotFound(source_name)
    if target_name in backend.snapshots:
        raise SnapshotAlreadyExists(target_name)
    snapshot = copy.copy(backend.snapshots[source_name])
    snapshot.snapshot_name = target_name
    snapshot.snapshot_source = "manual"
    snapshot.arn = (f"arn:{get_partition(backend.region_name)}:elasticache:"
                    f"{backend.region_name}:{backend.account_id}:snapshot:{target_name}")
    snapshot.kms_key_id = self._get_param("KmsKeyId") or snapshot.kms_key_id
    snapshot.tags = self._get_param("Tags", [])
    if snapshot.tags:
        backend.tagging_service.tag_resource(snapshot.arn, snapshot.tags)
    source_file = snapshot_file(backend.region_name, source_name)
    if source_file.exists():
        shutil.copyfile(source_file, snapshot_file(backend.region_name, target_name))
    backend.snapshots[target_name] = snapshot
    return ActionResult({"Snapshot": snapshot})


def _wrap_delete_replication_group_action(original):
    """FinalSnapshotIdentifier: moto ignores it; take the snapshot before deleting."""
    def delete_replication_group(self):
        final_snapshot = self._get_param("FinalSnapshotIdentifier")
        if final_snapshot:
            self.elasticache_backend.create_snapshot(
                snapshot_name=final_snapshot,
                replication_group_id=self._get_param("ReplicationGroupId"),
                cache_cluster_id=None, kms_key_id=None, tags=[])
        return original(self)
    return delete_replication_group


# --- fields moto does not serialize -------------------------------------------------------


def _cache_nodes(cluster):
    if not cluster.replication_group_id:
        return []
    return [{"CacheNodeId": CACHE_NODE_ID, "CacheNodeStatus": "available",
             "CacheNodeCreateTime": cluster.cache_cluster_create_time,
             "Endpoint": {"Address": cluster.__dict__.get("_address"), "Port": cluster.port},
             "ParameterGroupStatus": cluster.cache_parameter_group["ParameterApplyStatus"],
             "CustomerAvailabilityZone": cluster.preferred_availability_zone}]


def _cache_parameter_group(cluster):
    if not cluster.cache_parameter_group_name:
        return None
    status = cluster.__dict__.get("parameter_apply_status", "in-sync")
    return {"CacheParameterGroupName": cluster.cache_parameter_group_name,
            "ParameterApplyStatus": status,
            "CacheNodeIdsToReboot": [CACHE_NODE_ID] if status == "pending-reboot" else []}


def _security_groups(cluster):
    return [{"SecurityGroupId": group_id, "Status": "active"}
            for group_id in cluster.security_group_ids or []]


def _notification_configuration(cluster):
    if not cluster.notification_topic_arn:
        return None
    return {"TopicArn": cluster.notification_topic_arn, "TopicStatus": "active"}


def install():
    wrap(ElastiCacheBackend, "__init__", _init)
    wrap(ElastiCacheBackend, "create_replication_group", _create_replication_group)
    wrap(ElastiCacheBackend, "delete_replication_group", _delete_replication_group)
    wrap(ElastiCacheBackend, "create_snapshot", _create_snapshot)
    wrap(ElastiCacheBackend, "delete_snapshot", _delete_snapshot)
    wrap(ElastiCacheResponse, "modify_replication_group", _wrap_modify_replication_group)
    wrap(ElastiCacheResponse, "delete_replication_group", _wrap_delete_replication_group_action)
    ElastiCacheResponse.increase_replica_count = increase_replica_count
    ElastiCacheResponse.decrease_replica_count = decrease_replica_count
    ElastiCacheResponse.test_failover = test_failover
    ElastiCacheResponse.describe_events = describe_events
    ElastiCacheResponse.copy_snapshot = copy_snapshot
    ElastiCacheResponse.delete_cache_subnet_group = delete_cache_subnet_group
    ReplicationGroup.status = _status_property("_settled_status")
    CacheCluster.cache_cluster_status = _status_property("_settled_status")
    CacheCluster.cache_nodes = property(_cache_nodes)
    CacheCluster.cache_parameter_group = property(_cache_parameter_group)
    CacheCluster.security_groups = property(_security_groups)
    CacheCluster.notification_configuration = property(_notification_configuration)
