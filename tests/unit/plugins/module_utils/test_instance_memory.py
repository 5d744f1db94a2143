"""Class memory from EC2 DescribeInstanceTypes (plugins/module_utils/instance_memory.py),
against a stubbed EC2 client: the request sent and the answers AWS gives."""

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.dbfleet.aws.plugins.module_utils.instance_memory import class_memory_bytes


class RetryingClient:
    """The client amazon.aws hands a module: calls take aws_retry=True."""

    def __init__(self, client):
        self.client = client

    def describe_instance_types(self, aws_retry=False, **params):
        return self.client.describe_instance_types(**params)


@pytest.fixture
def ec2():
    client = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield stubber, RetryingClient(client)
        stubber.assert_no_pending_responses()


def test_memory_of_the_ec2_type_of_the_same_name(ec2):
    stubber, client = ec2
    stubber.add_response("describe_instance_types",
                         {"InstanceTypes": [{"InstanceType": "r6g.large", "MemoryInfo": {"SizeInMiB": 16384}}]},
                         {"InstanceTypes": ["r6g.large"]})
    assert class_memory_bytes(client, "db.r6g.large") == 16 * 1024 ** 3


def test_a_class_without_an_ec2_type_has_no_memory(ec2):
    stubber, client = ec2
    stubber.add_client_error("describe_instance_types", service_error_code="InvalidInstanceType",
                             service_message="The following supplied instance types do not exist: [x2g.large]",
                             expected_params={"InstanceTypes": ["x2g.large"]})
    assert class_memory_bytes(client, "db.x2g.large") is None


def test_other_errors_are_not_hidden(ec2):
    stubber, client = ec2
    stubber.add_client_error("describe_instance_types", service_error_code="UnauthorizedOperation",
                             expected_params={"InstanceTypes": ["t3.micro"]})
    with pytest.raises(Exception, match="UnauthorizedOperation"):
        class_memory_bytes(client, "db.t3.micro")
