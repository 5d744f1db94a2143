"""The network an account already has: every region starts with a VPC, database subnets and
an application security group, under fixed ids that local inventories name.

A real account has its network before databases go into it (Terraform's networking module,
a landing zone); inventories list its subnet and security group ids. moto starts each
region with only the default VPC, under random ids. So when moto makes a region's EC2
backend (at its first use, and again after a reset), this extension adds:

- VPC ``vpc-0dbf1ee7000000001`` (10.0.0.0/16, Name ``local-network``);
- database subnets ``subnet-0dbf1ee700000000{1,2,3}`` in the region's first three
  availability zones (10.0.48.0/24, 10.0.49.0/24, 10.0.50.0/24), e.g. us-east-1a, b, c;
- security group ``sg-0dbf1ee7000000001`` (``local-app``): the application services.

The ids are the same in every region (each region is its own backend).
"""

import threading

import moto.ec2.models.security_groups as security_group_models
import moto.ec2.models.subnets as subnet_models
import moto.ec2.models.vpcs as vpc_models
from moto.ec2.models import EC2Backend

from .patching import wrap

VPC_ID = "vpc-0dbf1ee7000000001"
VPC_CIDR = "10.0.0.0/16"
DATABASE_SUBNETS = [  # (id, CIDR), one per availability zone in zone order
    ("subnet-0dbf1ee7000000001", "10.0.48.0/24"),
    ("subnet-0dbf1ee7000000002", "10.0.49.0/24"),
    ("subnet-0dbf1ee7000000003", "10.0.50.0/24"),
]
APP_SECURITY_GROUP_ID = "sg-0dbf1ee7000000001"
APP_SECURITY_GROUP_NAME = "local-app"
TAGS = {"ManagedBy": "local-aws"}

# The id the next create call of this thread takes instead of a random one.
_next_id = threading.local()


def _fixed_or_random(original):
    def generate():
        chosen = getattr(_next_id, "value", None)
        _next_id.value = None
        return chosen or original()
    return generate


def _create_with_id(resource_id, create, *args, **kwargs):
    _next_id.value = resource_id
    try:
        return create(*args, **kwargs)
    finally:
        _next_id.value = None


def _tags(name):
    return [{"Key": key, "Value": value} for key, value in {**TAGS, "Name": name}.items()]


def seed(backend):
    """Create the account's network in one region's EC2 backend (once)."""
    if VPC_ID in backend.vpcs:
        return
    _create_with_id(VPC_ID, backend.create_vpc, VPC_CIDR, tags=_tags("local-network"))
    zones = sorted(zone.name for zone in backend.describe_availability_zones())
    for (subnet_id, cidr), zone in zip(DATABASE_SUBNETS, zones):
        subnet = _create_with_id(subnet_id, backend.create_subnet, VPC_ID, cidr,
                                 availability_zone=zone)
        backend.create_tags([subnet.id], {"Name": f"local-db-{zone}", **TAGS})
    _create_with_id(APP_SECURITY_GROUP_ID, backend.create_security_group,
                    APP_SECURITY_GROUP_NAME, "Application services that connect to the databases",
                    vpc_id=VPC_ID, tags={"Name": APP_SECURITY_GROUP_NAME, **TAGS})


def install():
    wrap(vpc_models, "random_vpc_id", _fixed_or_random)
    wrap(subnet_models, "random_subnet_id", _fixed_or_random)
    wrap(security_group_models, "random_security_group_id", _fixed_or_random)

    def make_init(original):
        def init(self, *args, **kwargs):
            original(self, *args, **kwargs)
            seed(self)
        return init
    wrap(EC2Backend, "__init__", make_init)
