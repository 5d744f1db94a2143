"""A module and a client for unit tests of code that calls AWS, without the emulator.

`StubbedModule` stands in for AnsibleAWSModule: exit_json and fail_json raise `Exited` /
`Failed` carrying the result. `stubbed_client` (a fixture's body: `yield from
stubbed_client("rds")`) yields a botocore `Stubber` and the client wrapped as
`module.client()` returns it (amazon.aws's retrying wrapper), so every call the code makes
must be one the test expects, with the parameters it expects, in order; a response left
unused fails the test too.
"""

import boto3
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper


class Exited(Exception):
    """exit_json was called; .result holds its arguments."""

    def __init__(self, result):
        super().__init__(result)
        self.result = result


class Failed(Exception):
    """fail_json (or fail_json_aws) was called; .result holds its arguments."""

    def __init__(self, result):
        super().__init__(result.get("msg"))
        self.result = result


class StubbedModule:
    def __init__(self, params, check_mode=False, region="us-east-1", clients=None):
        self.params = params
        self.check_mode = check_mode
        self.region = region
        self.clients = clients or {}  # {region: client}, what client() returns
        self.warnings = []

    def client(self, service, region=None, retry_decorator=None):  # pylint: disable=unused-argument
        return self.clients[region or self.region]

    def exit_json(self, **result):
        raise Exited(result)

    def fail_json(self, **result):
        raise Failed(result)

    def fail_json_aws(self, exception, msg=None):
        raise Failed({"msg": msg, "exception": str(exception)})

    def warn(self, warning):
        self.warnings.append(warning)


def params_from_spec(argument_spec, **given):
    """Every option of `argument_spec` at its default (None without one), then `given`."""
    params = dict((name, spec.get("default")) for name, spec in argument_spec.items())
    params.update(given)
    return params


def stubbed_client(service, region="us-east-1"):
    client = boto3.client(service, region_name=region, aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield stubber, RetryingBotoClientWrapper(client, AWSRetry.jittered_backoff(retries=1))
        stubber.assert_no_pending_responses()
