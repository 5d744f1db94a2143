"""Every region of the local account starts with the network local inventories name."""

import pytest

from tools.local_aws.extensions import account_network

SUBNET_IDS = [subnet_id for subnet_id, _cidr in account_network.DATABASE_SUBNETS]


@pytest.mark.parametrize("region", ["us-east-1", "us-west-2"])
def test_every_region_has_the_database_subnets_and_the_app_security_group(local_aws, region):
    ec2 = local_aws.client("ec2", region)
    [vpc] = ec2.describe_vpcs(VpcIds=[account_network.VPC_ID])["Vpcs"]
    assert vpc["CidrBlock"] == "10.0.0.0/16" and not vpc["IsDefault"]
    subnets = ec2.describe_subnets(SubnetIds=SUBNET_IDS)["Subnets"]
    assert sorted((s["SubnetId"], s["AvailabilityZone"], s["CidrBlock"], s["VpcId"]) for s in subnets) == [
        ("subnet-0dbf1ee7000000001", f"{region}a", "10.0.48.0/24", account_network.VPC_ID),
        ("subnet-0dbf1ee7000000002", f"{region}b", "10.0.49.0/24", account_network.VPC_ID),
        ("subnet-0dbf1ee7000000003", f"{region}c", "10.0.50.0/24", account_network.VPC_ID)]
    assert {tag["Key"]: tag["Value"] for tag in subnets[0]["Tags"]}["Name"] == f"local-db-{region}a"
    [group] = ec2.describe_security_groups(GroupIds=[account_network.APP_SECURITY_GROUP_ID])["SecurityGroups"]
    assert (group["GroupName"], group["VpcId"]) == ("local-app", account_network.VPC_ID)


def test_resources_created_later_get_random_ids(local_aws):
    ec2 = local_aws.client("ec2", "us-east-1")
    vpc_id = ec2.create_vpc(CidrBlock="10.88.0.0/16")["Vpc"]["VpcId"]
    try:
        subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.88.1.0/24")["Subnet"]["SubnetId"]
        assert vpc_id != account_network.VPC_ID and subnet_id not in SUBNET_IDS
        ec2.delete_subnet(SubnetId=subnet_id)
    finally:
        ec2.delete_vpc(VpcId=vpc_id)
