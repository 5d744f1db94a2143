#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: elasticache_replication_group
version_added: 0.1.0
short_description: Manage ElastiCache Redis OSS and Valkey replication groups
description:
  - Creates, changes and deletes Amazon ElastiCache replication groups running Redis OSS or Valkey,
    with cluster mode disabled (one primary and up to five replicas) or enabled (node groups).
  - Validates every argument before the first AWS call and reports all problems in one error;
    after reading the group it checks the resulting settings (automatic failover and Multi-AZ need
    two nodes, AUTH needs in-transit encryption, the snapshot and maintenance windows must not
    overlap) and refuses changes ElastiCache cannot make in place, before any write.
  - Changes the replica count with C(IncreaseReplicaCount) and C(DecreaseReplicaCount), everything
    else with C(ModifyReplicationGroup), in the order ElastiCache accepts. Multi-AZ is turned off
    before automatic failover and automatic failover before replicas are removed; replicas are added
    before automatic failover is turned on, and automatic failover before Multi-AZ. In-transit
    encryption is turned on or off through the mode V(preferred). The module waits for the group to
    be available between two calls.
  - Returns the primary and reader endpoints, the member clusters with their roles, the status and
    the settings of the group.
author:
  - dbfleet maintainers (@dbfleet)
options:
  replication_group_id:
    description:
      - Identifier of the replication group.
      - 1 to 40 letters, digits or hyphens; starts with a letter; no trailing hyphen and no two
        consecutive hyphens. ElastiCache stores it in lower case.
    required: true
    type: str
  description:
    description:
      - Description of the group. Defaults to O(replication_group_id) when the group is created.
    type: str
  engine:
    description:
      - The engine. A V(redis) group can be upgraded to V(valkey) in place (give O(engine_version)
        too); the reverse needs a new group.
      - Defaults to V(redis) when the group is created.
    choices: [redis, valkey]
    type: str
  engine_version:
    description:
      - Engine version, for example V(7.1) or V(8.0). A less precise version matches a more precise
        one (V(7.1) matches V(7.1.0)). Downgrades are refused.
      - Defaults to the newest version ElastiCache offers when the group is created.
    type: str
  node_type:
    description:
      - Node type, for example V(cache.r6g.large). Required to create a group unless
        O(snapshot_name) is given. Changing it scales every node of the group.
    type: str
  port:
    description:
      - Port the nodes listen on; ElastiCache uses 6379 when it is not given.
      - Set only at creation; a different port for an existing group is refused.
    type: int
  num_cache_clusters:
    description:
      - Cluster mode disabled. Number of nodes, the primary included (1 to 6).
      - Defaults to 1 when the group is created without O(num_node_groups).
      - A change adds or removes replicas with C(IncreaseReplicaCount) / C(DecreaseReplicaCount),
        which ElastiCache always applies immediately.
    type: int
  preferred_cache_cluster_azs:
    description:
      - Cluster mode disabled. The Availability Zone of each node, the primary's first; as many zones as
        O(num_cache_clusters) (a zone may repeat).
      - ElastiCache places a node when it creates it and never moves it. On an existing group the module
        adds replicas in the zones still missing (C(IncreaseReplicaCount) with C(ReplicaConfiguration))
        and removes replicas from zones that have too many (C(ReplicasToRemove)); other differences, and
        removing the primary's zone, are refused before any change.
      - Compared as a set of zones, so a failover that made a replica the primary is not a change.
    type: list
    elements: str
  num_node_groups:
    description:
      - Cluster mode enabled. Number of node groups (shards), 1 to 500.
      - Set at creation; online resharding is not done by this module.
    type: int
  replicas_per_node_group:
    description:
      - Cluster mode enabled. Number of replicas in each node group (0 to 5). Needs O(num_node_groups).
    type: int
  automatic_failover:
    description:
      - Whether a replica is promoted when the primary fails. Needs at least 2 nodes.
      - Defaults to V(false) when the group is created.
    type: bool
  multi_az:
    description:
      - Whether the nodes are spread over Availability Zones with failover between them.
        Needs O(automatic_failover) and at least 2 nodes.
      - Defaults to V(false) when the group is created.
    type: bool
  at_rest_encryption:
    description:
      - Encryption of the data on disk. Set at creation only; a change needs a new group.
      - Defaults to V(false) when the group is created.
    type: bool
  transit_encryption:
    description:
      - TLS between clients and nodes. Needed for O(auth_token).
      - An existing group is switched on or off through O(transit_encryption_mode=preferred), in
        separate calls.
      - Defaults to V(false) when the group is created.
    type: bool
  transit_encryption_mode:
    description:
      - With O(transit_encryption), whether clients must use TLS (V(required)) or may still connect
        without it (V(preferred), for migrating clients).
      - Defaults to V(required) when the group is created with O(transit_encryption).
    choices: [preferred, required]
    type: str
  kms_key_id:
    description:
      - KMS key for O(at_rest_encryption). Set at creation only.
    type: str
  auth_token:
    description:
      - The AUTH token (password) of the group. Needs O(transit_encryption).
      - "16 to 128 characters: letters, digits and the special characters C(! & # $ ^ < > -) only."
      - Sent when the group is created, and to turn AUTH on for a group that has none.
        ElastiCache never returns a token, so for a group that already has AUTH the token is sent
        only when O(auth_token_update_strategy) is given.
      - Never logged, and not part of the diff or the returned values.
    type: str
  auth_token_update_strategy:
    description:
      - Changes the AUTH token of an existing group. Each run that gives it makes the call and
        reports a change, so give it only for a rotation (the elasticache role passes it only when
        C(elasticache_auth_token_update_strategy) is set).
      - V(ROTATE) adds O(auth_token) next to the current token; both are accepted until the next
        change, so clients can move over.
      - V(SET), after a V(ROTATE), makes O(auth_token) the only token accepted.
      - V(DELETE) removes AUTH (no O(auth_token)); ElastiCache allows it once in-transit
        encryption is off. Nothing is called when the group has no token.
    choices: [ROTATE, SET, DELETE]
    type: str
  cache_parameter_group:
    description:
      - Cache parameter group of the group's family. Defaults to C(default.<family>).
    type: str
  cache_subnet_group:
    description:
      - Cache subnet group (VPC). Set at creation only.
    type: str
  security_group_ids:
    description:
      - VPC security groups of the nodes; the order does not matter.
    type: list
    elements: str
  snapshot_retention_limit:
    description:
      - Days an automatic snapshot is kept, 0 to 35; 0 turns automatic snapshots off.
      - Defaults to 0 when the group is created.
    type: int
  snapshot_window:
    description:
      - Daily time range (UTC) of the automatic snapshot, C(hh24:mi-hh24:mi), at least 60 minutes,
        for example V(03:00-05:00). Must not overlap O(preferred_maintenance_window).
    type: str
  preferred_maintenance_window:
    description:
      - Weekly time range (UTC) for maintenance, C(ddd:hh24:mi-ddd:hh24:mi), 60 minutes to 24 hours,
        for example V(sun:05:00-sun:06:00).
    type: str
  notification_topic_arn:
    description:
      - SNS topic for the group's events.
    type: str
  log_delivery:
    description:
      - Where the slow log and the engine log go.
      - The list is the complete configuration. A log type the group delivers that is not listed is
        turned off; V([]) turns both off.
      - Not given, log delivery is left as it is.
    type: list
    elements: dict
    suboptions:
      log_type:
        description: The log.
        choices: [slow-log, engine-log]
        required: true
        type: str
      destination_type:
        description: CloudWatch Logs or a Kinesis Data Firehose delivery stream.
        choices: [cloudwatch-logs, kinesis-firehose]
        default: cloudwatch-logs
        type: str
      destination:
        description: Name of the log group or of the delivery stream.
        required: true
        type: str
      log_format:
        description: Format of the entries.
        choices: [json, text]
        default: json
        type: str
  apply_immediately:
    description:
      - Whether changes made with C(ModifyReplicationGroup) take effect now rather than in the next
        maintenance window. Replica count and AUTH token changes are always immediate.
    type: bool
    default: false
  wait:
    description:
      - Wait until the group is available (or deleted) before returning. Between two calls of one
        run the module always waits.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for each state change.
    type: int
    default: 1800
  snapshot_name:
    description:
      - Create the group from this snapshot (a restore). Used only when the group is created; the
        node type, engine and parameter group default to the snapshot's.
    type: str
  final_snapshot_identifier:
    description:
      - With O(state=absent), name of a snapshot ElastiCache takes before deleting the group.
    type: str
  state:
    description:
      - Whether the group should exist.
    choices: [present, absent]
    default: present
    type: str
notes:
  - Check mode makes no change and reports what would change; the arguments and the resulting
    settings are validated in check mode as well.
  - Diff mode shows only the settings that change. The AUTH token never appears; a token change
    shows as C(auth_token_update_strategy).
  - The returned C(actions) list the calls made (in check mode, the calls that would be made).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Production Redis with two replicas, failover, Multi-AZ, encryption and AUTH
  dbfleet.aws.elasticache_replication_group:
    replication_group_id: app-prod-redis
    description: Sessions and rate limiting
    engine: redis
    engine_version: "7.1"
    node_type: cache.r6g.large
    num_cache_clusters: 3
    preferred_cache_cluster_azs: [us-east-1a, us-east-1b, us-east-1c]
    automatic_failover: true
    multi_az: true
    at_rest_encryption: true
    transit_encryption: true
    auth_token: "{{ lookup('amazon.aws.secretsmanager_secret', 'app/prod/redis/auth-token') }}"
    cache_parameter_group: app-redis7-prod
    cache_subnet_group: app-prod-cache
    security_group_ids: [sg-0123456789abcdef0]
    snapshot_retention_limit: 30
    snapshot_window: "03:00-05:00"
    preferred_maintenance_window: sun:05:00-sun:07:00
    log_delivery:
      - log_type: slow-log
        destination: /elasticache/app-prod-redis/slow-log
    tags:
      Environment: prod
  register: redis

- name: Connection settings
  ansible.builtin.debug:
    msg: >-
      primary {{ redis.replication_group.primary_endpoint.address }}:{{ redis.replication_group.primary_endpoint.port }},
      reader {{ redis.replication_group.reader_endpoint.address }}

- name: Rotate the AUTH token (old and new token both work)
  dbfleet.aws.elasticache_replication_group:
    replication_group_id: app-prod-redis
    auth_token: "{{ new_token }}"
    auth_token_update_strategy: ROTATE
  no_log: true

- name: After the clients use the new token, accept only the new token
  dbfleet.aws.elasticache_replication_group:
    replication_group_id: app-prod-redis
    auth_token: "{{ new_token }}"
    auth_token_update_strategy: SET
  no_log: true

- name: Restore a snapshot into a new group
  dbfleet.aws.elasticache_replication_group:
    replication_group_id: app-prod-redis-restored
    snapshot_name: app-prod-redis-manual-20250109
    num_cache_clusters: 2
    automatic_failover: true
    transit_encryption: true
    auth_token: "{{ token }}"
  no_log: true

- name: Delete a group, keeping a final snapshot
  dbfleet.aws.elasticache_replication_group:
    replication_group_id: app-dev-redis
    final_snapshot_identifier: app-dev-redis-final
    state: absent
"""

RETURN = r"""
replication_group:
  description: The replication group. Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    replication_group_id:
      description: Identifier of the group.
      type: str
      sample: app-prod-redis
    arn:
      description: ARN of the group; null when check mode would create it.
      type: str
      sample: arn:aws:elasticache:us-east-1:123456789012:replicationgroup:app-prod-redis
    status:
      description: Status of the group (V(available), V(creating), V(modifying), ...); null when check
        mode would create it.
      type: str
      sample: available
    description:
      description: Description of the group.
      type: str
      sample: Sessions and rate limiting
    engine:
      description: V(redis) or V(valkey).
      type: str
      sample: redis
    engine_version:
      description: Engine version of the nodes.
      type: str
      sample: "7.1"
    node_type:
      description: Node type.
      type: str
      sample: cache.r6g.large
    port:
      description: Port of the primary (or configuration) endpoint.
      type: int
      sample: 6379
    num_cache_clusters:
      description: Number of nodes (cluster mode disabled); null with cluster mode enabled.
      type: int
      sample: 3
    availability_zones:
      description: The zones of the nodes, sorted (cluster mode disabled); null with cluster mode enabled.
      type: list
      elements: str
      sample: ["us-east-1a", "us-east-1b"]
    primary_availability_zone:
      description: The zone of the primary node (cluster mode disabled).
      type: str
      sample: us-east-1a
    num_node_groups:
      description: Number of node groups (cluster mode enabled); null with cluster mode disabled.
      type: int
      sample: null
    replicas_per_node_group:
      description: Replicas per node group (cluster mode enabled); null with cluster mode disabled.
      type: int
      sample: null
    automatic_failover:
      description: Whether automatic failover is on.
      type: bool
      sample: true
    multi_az:
      description: Whether Multi-AZ is on.
      type: bool
      sample: true
    at_rest_encryption:
      description: Whether data at rest is encrypted.
      type: bool
      sample: true
    transit_encryption:
      description: Whether TLS is on.
      type: bool
      sample: true
    transit_encryption_mode:
      description: V(preferred) or V(required) with TLS.
      type: str
      sample: required
    kms_key_id:
      description: KMS key of the encryption at rest.
      type: str
      sample: null
    auth_token_enabled:
      description: Whether the group requires an AUTH token. The token itself is never returned.
      type: bool
      sample: true
    cache_parameter_group:
      description: Cache parameter group of the nodes.
      type: str
      sample: app-redis7-prod
    cache_subnet_group:
      description: Cache subnet group.
      type: str
      sample: app-prod-cache
    security_group_ids:
      description: VPC security groups, sorted.
      type: list
      elements: str
      sample: ["sg-0123456789abcdef0"]
    snapshot_retention_limit:
      description: Days automatic snapshots are kept.
      type: int
      sample: 30
    snapshot_window:
      description: Daily snapshot window (UTC).
      type: str
      sample: "03:00-05:00"
    preferred_maintenance_window:
      description: Weekly maintenance window (UTC), in lower case.
      type: str
      sample: sun:05:00-sun:07:00
    notification_topic_arn:
      description: SNS topic of the group's events.
      type: str
      sample: null
    log_delivery:
      description: Log deliveries by log type.
      type: dict
      sample: {"slow-log": {"destination_type": "cloudwatch-logs", "destination": "/elasticache/slow",
               "log_format": "json"}}
    primary_endpoint:
      description: Address and port of the primary (cluster mode disabled).
      type: dict
      sample: {"address": "app-prod-redis.abc123.ng.0001.use1.cache.amazonaws.com", "port": 6379}
    reader_endpoint:
      description: Address and port that spread reads over the replicas (cluster mode disabled).
      type: dict
      sample: {"address": "app-prod-redis-ro.abc123.ng.0001.use1.cache.amazonaws.com", "port": 6379}
    configuration_endpoint:
      description: Address and port of the configuration endpoint (cluster mode enabled).
      type: dict
      sample: null
    member_clusters:
      description: The member clusters with their role and endpoint.
      type: list
      elements: dict
      contains:
        cache_cluster_id:
          description: Identifier of the member cluster.
          type: str
          sample: app-prod-redis-001
        role:
          description: V(primary) or V(replica) (cluster mode disabled).
          type: str
          sample: primary
        address:
          description: Address of the node.
          type: str
          sample: app-prod-redis-001.abc123.0001.use1.cache.amazonaws.com
        port:
          description: Port of the node.
          type: int
          sample: 6379
        availability_zone:
          description: Availability Zone of the node.
          type: str
          sample: us-east-1a
    tags:
      description: Tags of the group.
      type: dict
      sample: {"Environment": "prod"}
actions:
  description:
    - The API calls made, in order (in check mode, the calls that would be made), each with the
      settings it changed. Tag calls are not listed.
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description: The API action.
      type: str
      sample: IncreaseReplicaCount
    settings:
      description: The settings the call changed.
      type: list
      elements: str
      sample: ["num_cache_clusters"]
problems:
  description: Every validation problem, one per entry, when validation fails.
  returned: failure
  type: list
  elements: str
  sample: ["multi_az: requires at least 2 nodes (num_cache_clusters is 1); add a replica first"]
"""

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import DECREASE
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import INCREASE
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import changed_settings
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import create_request
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import current_settings
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import desired_settings
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import endpoint_of
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import plan_steps
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import replacement_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import settings_diff
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import validate_arguments
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import validate_desired
from ansible_collections.dbfleet.aws.plugins.module_utils.problems import fail_with_problems

WAITER_DELAY_SECONDS = 5
# Statuses that end by themselves; a call made meanwhile is refused.
BUSY_STATUSES = ("creating", "modifying", "snapshotting")
CREATE = "CreateReplicationGroup"
DELETE = "DeleteReplicationGroup"

# ElastiCache can report a group available just before it starts applying the previous
# change; a write refused meanwhile as InvalidReplicationGroupState is retried.
busy_retry = AWSRetry.jittered_backoff(retries=6, delay=5, max_delay=30,
                                       catch_extra_error_codes=["InvalidReplicationGroupState"])


def describe_group(client, group_id):
    """The ReplicationGroup dict, or None when it does not exist."""
    try:
        groups = client.describe_replication_groups(aws_retry=True, ReplicationGroupId=group_id)["ReplicationGroups"]
    except is_boto3_error_code("ReplicationGroupNotFoundFault"):
        return None
    return groups[0] if groups else None


def member_roles(group):
    """{cache_cluster_id: member dict} from the node groups."""
    members = {}
    for node_group in group.get("NodeGroups") or []:
        for member in node_group.get("NodeGroupMembers") or []:
            endpoint = member.get("ReadEndpoint") or {}
            members[member["CacheClusterId"]] = {
                "cache_cluster_id": member["CacheClusterId"],
                "role": member.get("CurrentRole"),
                "address": endpoint.get("Address"),
                "port": endpoint.get("Port"),
                "availability_zone": member.get("PreferredAvailabilityZone"),
            }
    return members


def describe_primary_cluster(client, group):
    """The CacheCluster of the primary (or first) member, holding the node-level settings."""
    roles = member_roles(group)
    primaries = [cluster_id for cluster_id, member in roles.items() if member["role"] == "primary"]
    candidates = primaries + list(group.get("MemberClusters") or [])
    if not candidates:
        return None
    try:
        clusters = client.describe_cache_clusters(aws_retry=True, CacheClusterId=candidates[0])["CacheClusters"]
    except is_boto3_error_code("CacheClusterNotFound"):
        return None
    return clusters[0] if clusters else None


def describe_tags(client, group):
    if not group.get("ARN"):
        return {}
    return boto3_tag_list_to_ansible_dict(
        client.list_tags_for_resource(aws_retry=True, ResourceName=group["ARN"])["TagList"])


def group_summary(group, settings, tags):
    """The returned replication_group: settings, endpoints and members (never a token)."""
    node_groups = group.get("NodeGroups") or []
    roles = member_roles(group)
    summary = dict(settings)
    summary.update({
        "replication_group_id": group["ReplicationGroupId"],
        "arn": group.get("ARN"),
        "status": group.get("Status"),
        "primary_endpoint": endpoint_of(node_groups[0].get("PrimaryEndpoint")) if node_groups else None,
        "reader_endpoint": endpoint_of(node_groups[0].get("ReaderEndpoint")) if node_groups else None,
        "configuration_endpoint": endpoint_of(group.get("ConfigurationEndpoint")),
        "member_clusters": [roles.get(cluster_id, {"cache_cluster_id": cluster_id, "role": None})
                            for cluster_id in group.get("MemberClusters") or []],
        "tags": tags,
    })
    return summary


def wait_for(module, client, waiter_name, group_id):
    delay = WAITER_DELAY_SECONDS
    try:
        client.get_waiter(waiter_name).wait(
            ReplicationGroupId=group_id,
            WaiterConfig={"Delay": delay, "MaxAttempts": max(module.params["wait_timeout"] // delay, 1)},
        )
    except botocore.exceptions.WaiterError as e:
        module.fail_json_aws(e, msg="Timed out or failed waiting for replication group %s (%s)" % (group_id, waiter_name))


def read_back(module, client, group_id):
    group = describe_group(client, group_id)
    if group is None:
        module.fail_json(msg="Replication group %s disappeared" % group_id)
    return group, current_settings(group, describe_primary_cluster(client, group)), describe_tags(client, group)


def ensure_absent(module, client, group):
    group_id = module.params["replication_group_id"]
    if group is None:
        module.exit_json(changed=False, replication_group={}, actions=[])
    before = {"replication_group_id": group_id, "status": group.get("Status")}
    if group.get("Status") == "deleting":
        if module.params["wait"] and not module.check_mode:
            wait_for(module, client, "replication_group_deleted", group_id)
        module.exit_json(changed=False, replication_group={}, actions=[])
    request = {"ReplicationGroupId": group_id}
    if module.params["final_snapshot_identifier"]:
        request["FinalSnapshotIdentifier"] = module.params["final_snapshot_identifier"]
    if not module.check_mode:
        if group.get("Status") in BUSY_STATUSES:
            wait_for(module, client, "replication_group_available", group_id)
        busy_retry(client.delete_replication_group)(**request)
        if module.params["wait"]:
            wait_for(module, client, "replication_group_deleted", group_id)
    module.exit_json(changed=True, replication_group={}, actions=[{"action": DELETE, "settings": []}],
                     diff={"before": before, "after": {}})


def plan_tags(module, current_tags):
    """(tags to set, tag keys to remove)."""
    if module.params["tags"] is None:
        return {}, []
    return compare_aws_tags(current_tags, module.params["tags"], module.params["purge_tags"])


def ensure_created(module, client):
    params = module.params
    desired = desired_settings(params)
    problems = validate_desired(desired, params)
    if not params["node_type"] and not params["snapshot_name"]:
        problems.append("node_type: required to create replication group %s (or give snapshot_name)"
                        % params["replication_group_id"])
    if problems:
        fail_with_problems(module, problems)
    tags = params["tags"] or {}
    after = dict((name, value) for name, value in desired.items() if value is not None)
    diff = {"before": {}, "after": dict(after, tags=tags)}
    actions = [{"action": CREATE, "settings": sorted(after)}]
    if module.check_mode:
        predicted = {"ReplicationGroupId": params["replication_group_id"]}
        module.exit_json(changed=True, replication_group=group_summary(predicted, desired, tags),
                         actions=actions, diff=diff)
    request = create_request(params, desired)
    if tags:
        request["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    client.create_replication_group(aws_retry=True, **request)
    if params["wait"]:
        wait_for(module, client, "replication_group_available", params["replication_group_id"])
    group, settings, tags = read_back(module, client, params["replication_group_id"])
    module.exit_json(changed=True, replication_group=group_summary(group, settings, tags), actions=actions,
                     diff=diff)


def run_step(client, group_id, step):
    operations = {INCREASE: client.increase_replica_count, DECREASE: client.decrease_replica_count}
    operation = operations.get(step.action, client.modify_replication_group)
    busy_retry(operation)(ReplicationGroupId=group_id, **step.request)


def step_diff(current, desired, steps):
    before, after = settings_diff(current, desired, sorted(set(name for step in steps for name in step.settings)))
    for step in steps:
        if "AuthTokenUpdateStrategy" in step.request:
            after["auth_token_update_strategy"] = step.request["AuthTokenUpdateStrategy"]
    return before, after


def ensure_updated(module, client, group):
    params = module.params
    group_id = params["replication_group_id"]
    if group.get("Status") in ("deleting", "create-failed"):
        module.fail_json(msg="Replication group %s is %s and cannot be changed" % (group_id, group["Status"]))
    current = current_settings(group, describe_primary_cluster(client, group))
    desired = desired_settings(params, current)
    changed = changed_settings(current, desired)
    problems = validate_desired(desired, params, current) + replacement_problems(current, desired, changed)
    if problems:
        fail_with_problems(module, problems)
    steps = plan_steps(current, desired, changed, params, group)
    current_tags = describe_tags(client, group)
    to_set, to_remove = plan_tags(module, current_tags)

    if not module.check_mode:
        for step in steps:
            if describe_group(client, group_id).get("Status") in BUSY_STATUSES:
                wait_for(module, client, "replication_group_available", group_id)
            run_step(client, group_id, step)
        if to_set:
            client.add_tags_to_resource(aws_retry=True, ResourceName=group["ARN"],
                                        Tags=ansible_dict_to_boto3_tag_list(to_set))
        if to_remove:
            client.remove_tags_from_resource(aws_retry=True, ResourceName=group["ARN"], TagKeys=to_remove)
        if steps and params["wait"]:
            wait_for(module, client, "replication_group_available", group_id)

    before, after = step_diff(current, desired, steps)
    tag_keys_changed = sorted(set(to_set) | set(to_remove))
    final_tags = dict((key, value) for key, value in current_tags.items() if key not in to_remove)
    final_tags.update(to_set)
    if tag_keys_changed:
        before["tags"] = dict((key, current_tags[key]) for key in tag_keys_changed if key in current_tags)
        after["tags"] = dict((key, final_tags[key]) for key in tag_keys_changed if key in final_tags)
    if module.check_mode or not (steps or tag_keys_changed):
        summary = group_summary(group, dict(current, **dict((name, desired[name]) for name in changed)), final_tags)
    else:
        summary = group_summary(*read_back(module, client, group_id))
    module.exit_json(
        changed=bool(steps or tag_keys_changed),
        replication_group=summary,
        actions=[{"action": step.action, "settings": step.settings} for step in steps],
        diff={"before": before, "after": after},
    )


ARGUMENT_SPEC = dict(
    replication_group_id=dict(type="str", required=True),
    description=dict(type="str"),
    engine=dict(type="str", choices=["redis", "valkey"]),
    engine_version=dict(type="str"),
    node_type=dict(type="str"),
    port=dict(type="int"),
    num_cache_clusters=dict(type="int"),
    preferred_cache_cluster_azs=dict(type="list", elements="str"),
    num_node_groups=dict(type="int"),
    replicas_per_node_group=dict(type="int"),
    automatic_failover=dict(type="bool"),
    multi_az=dict(type="bool"),
    at_rest_encryption=dict(type="bool"),
    transit_encryption=dict(type="bool"),
    transit_encryption_mode=dict(type="str", choices=["preferred", "required"]),
    kms_key_id=dict(type="str"),
    auth_token=dict(type="str", no_log=True),
    auth_token_update_strategy=dict(type="str", choices=["ROTATE", "SET", "DELETE"]),
    cache_parameter_group=dict(type="str"),
    cache_subnet_group=dict(type="str"),
    security_group_ids=dict(type="list", elements="str"),
    snapshot_retention_limit=dict(type="int"),
    snapshot_window=dict(type="str"),
    preferred_maintenance_window=dict(type="str"),
    notification_topic_arn=dict(type="str"),
    log_delivery=dict(type="list", elements="dict", options=dict(
        log_type=dict(type="str", required=True, choices=["slow-log", "engine-log"]),
        destination_type=dict(type="str", default="cloudwatch-logs",
                              choices=["cloudwatch-logs", "kinesis-firehose"]),
        destination=dict(type="str", required=True),
        log_format=dict(type="str", default="json", choices=["json", "text"]),
    )),
    tags=dict(type="dict", aliases=["resource_tags"]),
    purge_tags=dict(type="bool", default=True),
    apply_immediately=dict(type="bool", default=False),
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=1800),
    snapshot_name=dict(type="str"),
    final_snapshot_identifier=dict(type="str"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)


def main():
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)

    problems = validate_arguments(module.params)
    if problems:
        fail_with_problems(module, problems)
    # ElastiCache stores identifiers in lower case.
    module.params["replication_group_id"] = module.params["replication_group_id"].lower()

    client = module.client("elasticache", retry_decorator=AWSRetry.jittered_backoff())
    try:
        group = describe_group(client, module.params["replication_group_id"])
        if module.params["state"] == "absent":
            ensure_absent(module, client, group)
        if group is None:
            ensure_created(module, client)
        ensure_updated(module, client, group)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="ElastiCache call failed for replication group %s"
                                    % module.params["replication_group_id"])


if __name__ == "__main__":
    main()
