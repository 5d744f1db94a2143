"""The secretsmanager_secrets module's rules and plan (plugins/module_utils/secrets.py) and the
db_users role's per-user secrets (plugins/module_utils/db_users.py user_secrets)."""

import json
from urllib.parse import quote

import pytest

from ansible_collections.dbfleet.aws.plugins.module_utils.db_users import user_secrets
from ansible_collections.dbfleet.aws.plugins.module_utils.db_users import user_specs
from ansible_collections.dbfleet.aws.plugins.module_utils.secrets import changes
from ansible_collections.dbfleet.aws.plugins.module_utils.secrets import secret_plan
from ansible_collections.dbfleet.aws.plugins.module_utils.secrets import secret_problems

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
WANTED = {"name": "app/prod/users/app_user", "description": "PostgreSQL user app_user",
          "secret_string": '{"username": "app_user", "password": "pw"}', "tags": {"Project": "app", "Port": 5432}}


def stored(**changes_):
    current = {"deleted": False, "description": "PostgreSQL user app_user", "kms_key_id": None,
               "tags": {"Project": "app", "Port": "5432", "aws:cloudformation:stack-name": "x"},
               "value": '{"password":"pw","username":"app_user"}'}
    return dict(current, **changes_)


def test_a_missing_secret_is_created():
    expected = {"create": True, "restore": False, "value": False, "update": {}, "tag": {}, "untag": []}
    assert secret_plan(WANTED, None, True) == expected


def test_the_same_json_in_another_order_and_aws_tags_are_no_change():
    plan = secret_plan(WANTED, stored(), True)
    assert not changes(plan), plan


def test_a_new_value_description_key_and_tags():
    wanted = dict(WANTED, secret_string='{"username": "app_user", "password": "new"}', description="changed",
                  kms_key_id="alias/secrets", tags={"Project": "app", "Owner": "db"})
    plan = secret_plan(wanted, stored(), True)
    assert plan == {"create": False, "restore": False, "value": True,
                    "update": {"Description": "changed", "KmsKeyId": "alias/secrets"},
                    "tag": {"Owner": "db"}, "untag": ["Port"]}
    assert secret_plan(wanted, stored(), False)["untag"] == []


def test_a_key_given_by_id_matches_its_arn_and_omitted_settings_are_not_compared():
    wanted = dict(WANTED, kms_key_id="1234abcd-12ab-34cd-56ef-1234567890ab")
    assert not changes(secret_plan(wanted, stored(kms_key_id=KEY_ARN), True))
    bare = {"name": WANTED["name"], "secret_string": WANTED["secret_string"]}
    assert not changes(secret_plan(bare, stored(description="other", tags={"Any": "thing"}), True))


def test_a_secret_scheduled_for_deletion_is_restored_and_written_again():
    plan = secret_plan(WANTED, stored(deleted=True, value=None), True)
    assert (plan["restore"], plan["value"]) == (True, True)


def test_plain_strings_compare_exactly():
    wanted = dict(WANTED, secret_string="token ")
    assert secret_plan(wanted, stored(value="token"), True)["value"] is True
    assert secret_plan(wanted, stored(value="token "), True)["value"] is False


@pytest.mark.parametrize("secrets, expected", [
    ([{"name": "a"}], ["secrets[0]: give exactly one of secret_string and json_secret"]),
    ([{"name": "a", "secret_string": "x", "json_secret": {}}], ["secrets[0]: give exactly one of secret_string and json_secret"]),
    ([{"name": "", "secret_string": "x"}], ["secrets[0].name: required"]),
    ([{"name": "a", "secret_string": "x"}, {"name": "a", "json_secret": {"k": 1}}],
     ["secrets: names must be unique (a more than once)"]),
])
def test_each_problem_names_the_field(secrets, expected):
    assert secret_problems(secrets) == expected


def test_user_secrets_hold_what_applications_read():
    specs = user_specs([{"name": "app_user", "profile": "readwrite"}], "app", ["public"], "dbfleet/local/rds/users")
    password = "pa/ss~word-_."
    (secret,) = user_secrets(specs, {"app_user": password}, {"host": "db.internal", "port": 5432}, "app-prod",
                             "require", "", {"Project": "app"})
    assert set(secret) == {"name", "secret_string", "description", "tags"}
    assert (secret["name"], secret["tags"]) == ("dbfleet/local/rds/users/app_user", {"Project": "app", "DbUser": "app_user"})
    value = json.loads(secret["secret_string"])
    assert value == {"engine": "postgres", "host": "db.internal", "port": 5432, "dbname": "app",
                     "username": "app_user", "password": password,
                     "url": "postgresql://app_user:%s@db.internal:5432/app?sslmode=require" % quote(password, safe="/"),
                     "profile": "readwrite", "dbInstanceIdentifier": "app-prod"}
    assert user_secrets(specs, {"app_user": password}, {"host": "h", "port": 1}, "i", "require", "alias/k",
                        {})[0]["kms_key_id"] == "alias/k"
