"""A secret scheduled for deletion refuses reads with AWS's message, which amazon.aws's lookup
matches (on_deleted), and comes back with RestoreSecret (tools/local_aws/extensions/secretsmanager_deleted.py)."""

import uuid

import pytest
from botocore.exceptions import ClientError


def test_a_deleted_secret_answers_as_on_aws_and_can_be_restored(local_aws):
    secrets = local_aws.client("secretsmanager")
    name = "test/deleted/" + uuid.uuid4().hex[:8]
    secrets.create_secret(Name=name, SecretString='{"password": "x"}')
    secrets.delete_secret(SecretId=name, RecoveryWindowInDays=7)

    with pytest.raises(ClientError) as refused:
        secrets.get_secret_value(SecretId=name)
    assert refused.value.response["Error"] == {
        "Code": "InvalidRequestException",
        "Message": "You can't perform this operation on the secret because it was marked for deletion."}
    listed = secrets.list_secrets(Filters=[{"Key": "name", "Values": [name]}], IncludePlannedDeletion=True)
    assert [secret["Name"] for secret in listed["SecretList"] if "DeletedDate" in secret] == [name]

    secrets.restore_secret(SecretId=name)
    assert secrets.batch_get_secret_value(SecretIdList=[name])["SecretValues"][0]["SecretString"] == '{"password": "x"}'
