"""Secrets scheduled for deletion answer as on AWS.

moto 5.2.5 refuses GetSecretValue, RotateSecret, CancelRotateSecret and DeleteSecret on a
secret scheduled for deletion with its own message ("... currently marked deleted"), and
GetSecretValue's message repeats botocore's prefix. AWS says "You can't perform this
operation on the secret because it was marked for deletion.", which clients match:
amazon.aws's secretsmanager_secret lookup (``on_deleted``) looks for "marked for deletion"
and fails the play otherwise. This extension gives those refusals AWS's message.
"""

from moto.secretsmanager.exceptions import InvalidRequestException
from moto.secretsmanager.models import SecretsManagerBackend

from .patching import wrap

AWS_MESSAGE = "You can't perform this operation on the secret because it was marked for deletion."
MOTO_MARK = "currently marked deleted"
REFUSING = ("get_secret_value", "rotate_secret", "cancel_rotate_secret", "delete_secret")


def _aws_message(original):
    def refuse_as_aws(self, *args, **kwargs):
        try:
            return original(self, *args, **kwargs)
        except InvalidRequestException as error:
            if MOTO_MARK in error.message:
                raise InvalidRequestException(AWS_MESSAGE) from error
            raise
    return refuse_as_aws


def install():
    for name in REFUSING:
        wrap(SecretsManagerBackend, name, _aws_message)
