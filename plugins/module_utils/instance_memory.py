# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Memory of a DB instance class, from EC2's DescribeInstanceTypes: the class db.<type> runs
on the EC2 instance type <type> (db.r6g.large on r6g.large, 16 GiB), so AWS's own catalogue
answers for every class, new ones included, instead of a table kept by hand."""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

MIB = 1024 ** 2


def ec2_instance_type(instance_class):
    return instance_class[len("db."):] if instance_class.startswith("db.") else instance_class


def class_memory_bytes(ec2_client, instance_class):
    """Memory in bytes, None for a class with no EC2 instance type of the same name (db.x2g)."""
    try:
        types = ec2_client.describe_instance_types(aws_retry=True, InstanceTypes=[ec2_instance_type(instance_class)])
    except is_boto3_error_code("InvalidInstanceType"):
        return None
    found = types.get("InstanceTypes") or []
    return found[0]["MemoryInfo"]["SizeInMiB"] * MIB if found else None
