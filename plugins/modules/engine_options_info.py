#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: engine_options_info
version_added: 0.1.0
short_description: What AWS offers an engine version, the instance classes or node types and the parameters
description:
  - For RDS for PostgreSQL (O(engine=postgres)), lists the DB instance classes that
    C(DescribeOrderableDBInstanceOptions) offers for O(engine_version) in the region.
  - For ElastiCache (O(engine=redis) or O(engine=valkey)), lists the node types the parameter
    group family runs on, from the node-type-specific C(maxmemory) parameter of
    C(DescribeEngineDefaultParameters), the only list of node types the ElastiCache API gives,
    with their C(maxmemory) in bytes.
  - With O(parameter_group_family), returns the family's engine-default parameters, with their
    data types, allowed values and whether they can be modified.
  - The C(dbfleet.aws.preflight) action checks the roles' instance classes, node types and
    parameters against this before any change.
  - Read-only; fails naming the option when the family does not exist.
author:
  - dbfleet maintainers (@dbfleet)
options:
  engine:
    description: The engine.
    type: str
    required: true
    choices: [postgres, redis, valkey]
  engine_version:
    description:
      - The engine version, for example V(15.10). Required for O(engine=postgres), whose
        orderable classes depend on it.
    type: str
  parameter_group_family:
    description:
      - The parameter group family, for example V(postgres15) or V(redis7). Required for
        O(engine=redis) and O(engine=valkey), whose node types are listed per family.
    type: str
  replication_group_id:
    description:
      - ElastiCache only. A replication group whose current settings to return in
        RV(replication_group) (its engine version read from its first member cluster).
    type: str
  instance_classes:
    description:
      - RDS only. The DB instance classes to check. Each is looked up on its own
        (C(DescribeOrderableDBInstanceOptions) filtered by C(DBInstanceClass), one call each)
        and RV(instance_classes) lists only them when every one is offered. When one is not,
        or without this option, every orderable class is listed (every page), so that the
        closest offered class can be named.
    type: list
    elements: str
  db_instance_identifier:
    description:
      - RDS only. A DB instance whose engine version, class and status to return in
        RV(db_instance).
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reads only, the same in check mode.
"""

EXAMPLES = r"""
- name: DB instance classes and parameters of PostgreSQL 16.3
  dbfleet.aws.engine_options_info:
    engine: postgres
    engine_version: "16.3"
    parameter_group_family: postgres16
  register: postgres16

- name: Node types of Valkey 8
  dbfleet.aws.engine_options_info:
    engine: valkey
    parameter_group_family: valkey8
  register: valkey8
"""

RETURN = r"""
instance_classes:
  description:
    - The DB instance classes orderable for the engine version (RDS), or the node types the
      family runs on (ElastiCache), sorted. Empty when the engine version does not exist.
  returned: always
  type: list
  elements: str
  sample: [db.m6g.large, db.r6g.large, db.t3.micro]
replication_group:
  description:
    - The current settings of the replication group O(replication_group_id), as
      M(dbfleet.aws.elasticache_replication_group) compares them; null when it does not exist.
    - The preflight checks against them what ElastiCache cannot change (engine version
      downgrades, port, encryption at rest, KMS key, subnet group).
  returned: when O(replication_group_id) is given
  type: dict
  sample: {"engine": "redis", "engine_version": "7.1.0", "port": 6379, "at_rest_encryption": true,
           "kms_key_id": null, "cache_subnet_group": "app-prod-redis", "node_type": "cache.r6g.large"}
db_instance:
  description:
    - The engine version, class and status of the DB instance O(db_instance_identifier);
      null when it does not exist. The preflight refuses a lower engine version than it runs.
  returned: when O(db_instance_identifier) is given
  type: dict
  sample: {"engine_version": "15.10", "db_instance_class": "db.t3.micro", "db_instance_status": "available"}
node_type_memory:
  description: ElastiCache only, C(maxmemory) in bytes of each node type.
  returned: when O(engine) is redis or valkey
  type: dict
  sample: {"cache.r6g.large": 14037181030}
parameters:
  description:
    - The family's engine-default parameters, as C(DescribeEngineDefaultParameters) returns
      them (keys in snake case), node-type-specific ones included.
  returned: when O(parameter_group_family) is given
  type: list
  elements: dict
  contains:
    parameter_name:
      description: Name of the parameter.
      type: str
      sample: max_connections
    parameter_value:
      description: The family's default, absent for a node-type-specific parameter.
      type: str
    data_type:
      description: Data type, such as V(integer), V(boolean), V(string), V(list).
      type: str
    allowed_values:
      description: Allowed values, a range such as V(1-262143) or a comma separated list.
      type: str
    is_modifiable:
      description: Whether the parameter can be set in a parameter group.
      type: bool
  sample:
    - {parameter_name: max_connections, data_type: integer, allowed_values: "6-262143", is_modifiable: true}
"""

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.dbfleet.aws.plugins.module_utils import elasticache_parameters
from ansible_collections.dbfleet.aws.plugins.module_utils import rds_parameters
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_replication_groups import current_settings
from ansible_collections.dbfleet.aws.plugins.module_utils.engine_options import node_type_memory
from ansible_collections.dbfleet.aws.plugins.module_utils.engine_options import orderable_instance_classes


def _family_parameters(module, describe, client):
    family = module.params["parameter_group_family"]
    try:
        return describe(client, family)
    except is_boto3_error_code(["InvalidParameterValue", "InvalidParameterValueException"]) as e:
        module.fail_json(msg="parameter_group_family: %s" % e.response["Error"]["Message"])


def _running_instance(client, identifier):
    try:
        instance = client.describe_db_instances(aws_retry=True, DBInstanceIdentifier=identifier)["DBInstances"][0]
    except is_boto3_error_code("DBInstanceNotFound"):
        return None
    return dict((snake, instance.get(camel)) for snake, camel in (
        ("engine_version", "EngineVersion"), ("db_instance_class", "DBInstanceClass"),
        ("db_instance_status", "DBInstanceStatus")))


def _rds(module, result):
    client = module.client("rds", retry_decorator=AWSRetry.jittered_backoff())
    if module.params["db_instance_identifier"]:
        result["db_instance"] = _running_instance(client, module.params["db_instance_identifier"])
    result["instance_classes"] = orderable_instance_classes(client, "postgres", module.params["engine_version"],
                                                            module.params["instance_classes"])
    if module.params["parameter_group_family"]:
        result["parameters"] = _family_parameters(module, rds_parameters.family_default_parameters, client)


def _running_group(client, group_id):
    try:
        group = client.describe_replication_groups(aws_retry=True, ReplicationGroupId=group_id)["ReplicationGroups"][0]
    except is_boto3_error_code("ReplicationGroupNotFoundFault"):
        return None
    members = group.get("MemberClusters") or []
    cluster = client.describe_cache_clusters(aws_retry=True, CacheClusterId=members[0])["CacheClusters"][0] if members else None
    return current_settings(group, cluster)


def _elasticache(module, result):
    client = module.client("elasticache", retry_decorator=AWSRetry.jittered_backoff())
    if module.params["replication_group_id"]:
        result["replication_group"] = _running_group(client, module.params["replication_group_id"])
    parameters = _family_parameters(module, elasticache_parameters.family_default_parameters, client)
    result["node_type_memory"] = node_type_memory(parameters)
    result["instance_classes"] = sorted(result["node_type_memory"])
    result["parameters"] = parameters


def main():
    argument_spec = dict(
        engine=dict(type="str", required=True, choices=["postgres", "redis", "valkey"]),
        engine_version=dict(type="str"),
        parameter_group_family=dict(type="str"),
        replication_group_id=dict(type="str"),
        instance_classes=dict(type="list", elements="str"),
        db_instance_identifier=dict(type="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True,
                              required_if=[["engine", "postgres", ["engine_version"]],
                                           ["engine", "redis", ["parameter_group_family"]],
                                           ["engine", "valkey", ["parameter_group_family"]]])
    result = dict(changed=False)
    try:
        (_rds if module.params["engine"] == "postgres" else _elasticache)(module, result)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Could not read the options of %s" % module.params["engine"])
    if "parameters" in result:
        result["parameters"] = [camel_dict_to_snake_dict(parameter) for parameter in result["parameters"]]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
