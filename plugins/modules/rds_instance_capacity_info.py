#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_instance_capacity_info
version_added: 0.1.0
short_description: Read the real capacity of RDS DB instances (storage, class memory, max_connections)
description:
  - Reads each DB instance with C(DescribeDBInstances) and the effective C(max_connections) of its
    parameter group with C(DescribeDBParameters), as inputs for thresholds (alarms, sizing reports).
  - An explicit C(max_connections) is returned as it is; a formula such as the RDS default
    C(LEAST({DBInstanceClassMemory/9531392},5000)) is evaluated with the memory of the instance class,
    read from EC2's C(DescribeInstanceTypes) (the class C(db.r6g.large) runs on C(r6g.large)).
    RDS's C(DBInstanceClassMemory) is slightly lower than the class memory, so an evaluated formula is
    an upper bound.
  - Fails naming the instance when an instance does not exist or a formula cannot be evaluated.
author:
  - dbfleet maintainers (@dbfleet)
options:
  db_instance_identifiers:
    description:
      - Identifiers of the DB instances.
    required: true
    type: list
    elements: str
  skip_missing:
    description:
      - Leave out instances that do not exist (listed in RV(missing)) instead of failing, for
        example in check mode before the instances are created.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Capacity of the writer and its replica
  dbfleet.aws.rds_instance_capacity_info:
    db_instance_identifiers: [app-prod, app-prod-replica-1]
  register: capacity
"""

RETURN = r"""
instances:
  description: One entry per requested instance, in the order requested.
  returned: always
  type: list
  elements: dict
  contains:
    identifier:
      description: DB instance identifier.
      type: str
      sample: app-prod
    role:
      description: V(replica) for a read replica, V(writer) otherwise.
      type: str
      sample: writer
    instance_class:
      description: DB instance class.
      type: str
      sample: db.r6g.large
    class_memory_bytes:
      description: Memory of the class in bytes; null for a class with no EC2 instance type of its name.
      type: int
      sample: 17179869184
    allocated_storage:
      description: Allocated storage in GiB, as RDS reports it now (storage autoscaling included).
      type: int
      sample: 100
    storage_type:
      description: Storage type.
      type: str
      sample: gp3
    parameter_group:
      description: Name of the DB parameter group.
      type: str
      sample: app-prod-postgres15
    max_connections:
      description: Effective max_connections.
      type: int
      sample: 200
    max_connections_source:
      description: V(explicit) for a number, V(formula) for an evaluated formula.
      type: str
      sample: explicit
missing:
  description: Requested instances that do not exist (with O(skip_missing=true)).
  returned: always
  type: list
  elements: str
  sample: []
"""

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.dbfleet.aws.plugins.module_utils.instance_memory import class_memory_bytes
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_formulas import FormulaError
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_formulas import resolve_max_connections
from ansible_collections.dbfleet.aws.plugins.module_utils.problems import fail_with_problems


def max_connections_of(client, group):
    """The max_connections value of a parameter group (its own or the family default)."""
    parameters = paginated_query_with_retries(client, "describe_db_parameters", DBParameterGroupName=group)
    for parameter in parameters["Parameters"]:
        if parameter["ParameterName"] == "max_connections":
            return parameter.get("ParameterValue")
    return None


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            db_instance_identifiers=dict(type="list", elements="str", required=True),
            skip_missing=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    client = module.client("rds", retry_decorator=AWSRetry.jittered_backoff())
    ec2 = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    instances, problems, values, memory, missing = [], [], {}, {}, []
    try:
        for identifier in module.params["db_instance_identifiers"]:
            try:
                db = client.describe_db_instances(aws_retry=True, DBInstanceIdentifier=identifier)["DBInstances"][0]
            except is_boto3_error_code("DBInstanceNotFound"):
                missing.append(identifier)
                if not module.params["skip_missing"]:
                    problems.append("%s: no such DB instance" % identifier)
                continue
            groups = [g["DBParameterGroupName"] for g in db.get("DBParameterGroups") or []]
            group = groups[0] if groups else None
            if group and group not in values:
                values[group] = max_connections_of(client, group)
            value = values.get(group)
            if db["DBInstanceClass"] not in memory:
                memory[db["DBInstanceClass"]] = class_memory_bytes(ec2, db["DBInstanceClass"])
            entry = {
                "identifier": db["DBInstanceIdentifier"],
                "role": "replica" if db.get("ReadReplicaSourceDBInstanceIdentifier") else "writer",
                "instance_class": db["DBInstanceClass"],
                "class_memory_bytes": memory[db["DBInstanceClass"]],
                "allocated_storage": db["AllocatedStorage"],
                "storage_type": db.get("StorageType"),
                "parameter_group": group,
                "max_connections": None,
                "max_connections_source": None,
            }
            if value is None:
                problems.append("%s: parameter group %s has no max_connections value" % (identifier, group))
            else:
                try:
                    entry["max_connections"], entry["max_connections_source"] = resolve_max_connections(
                        value, memory[db["DBInstanceClass"]], db["AllocatedStorage"], db["DBInstanceClass"])
                except FormulaError as e:
                    problems.append("%s: max_connections %r of parameter group %s cannot be evaluated: %s"
                                    % (identifier, value, group, e))
            instances.append(entry)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="RDS or EC2 call failed")
    if problems:
        fail_with_problems(module, problems)
    module.exit_json(changed=False, instances=instances, missing=missing)


if __name__ == "__main__":
    main()
