"""The db_users role's plans (plugins/module_utils/db_users.py) and input rules
(plugins/module_utils/inputs/db_users.py)."""

import hashlib
import json

import pytest

from ansible_collections.dbfleet.aws.plugins.module_utils.db_users import PASSWORD_ALPHABET
from ansible_collections.dbfleet.aws.plugins.module_utils.db_users import choose_passwords
from ansible_collections.dbfleet.aws.plugins.module_utils.db_users import grant_plan
from ansible_collections.dbfleet.aws.plugins.module_utils.db_users import iam_connect_policy
from ansible_collections.dbfleet.aws.plugins.module_utils.db_users import policy_specs
from ansible_collections.dbfleet.aws.plugins.module_utils.db_users import rls_plan
from ansible_collections.dbfleet.aws.plugins.module_utils.db_users import user_specs
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import Values
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.db_users import problems

USERS = [{"name": "app_user", "profile": "readwrite", "connection_limit": 100, "iam_auth": True},
         {"name": "readonly_user", "profile": "readonly"},
         {"name": "etl", "profile": "custom", "privileges": {"tables": ["select", "truncate"]},
          "databases": ["warehouse"], "schemas": ["staging"], "secret_name": "x/etl"}]


def specs():
    return user_specs(USERS, "app", ["public"], "dbfleet/local/rds/users")


def test_specs_fill_every_default():
    app, readonly, etl = specs()
    assert app == {"name": "app_user", "profile": "readwrite",
                   "privileges": {"tables": ["SELECT", "INSERT", "UPDATE", "DELETE"],
                                  "sequences": ["USAGE", "SELECT", "UPDATE"], "functions": []},
                   "databases": ["app"], "schemas": ["public"], "connection_limit": 100, "iam_auth": True,
                   "secret_name": "dbfleet/local/rds/users/app_user"}
    assert (readonly["connection_limit"], readonly["iam_auth"]) == (-1, False)
    assert etl["privileges"] == {"tables": ["SELECT", "TRUNCATE"], "sequences": [], "functions": []}
    assert (etl["databases"], etl["schemas"], etl["secret_name"]) == (["warehouse"], ["staging"], "x/etl")


def test_grant_plan_merges_users_with_the_same_grant_and_revokes_the_rest():
    plan = grant_plan(specs())
    connect = [item for item in plan if item["type"] == "database" and item["objs"] == "app"]
    assert connect == [{"database": "app", "type": "database", "objs": "app", "privs": "CONNECT", "state": "present",
                        "roles": ["app_user", "readonly_user"]}]
    table_revokes = {tuple(item["roles"]): item["privs"] for item in plan
                     if item["type"] == "table" and item["state"] == "absent"}
    assert table_revokes == {("app_user",): "TRUNCATE,REFERENCES,TRIGGER",
                             ("readonly_user",): "INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER",
                             ("etl",): "INSERT,UPDATE,DELETE,REFERENCES,TRIGGER"}
    # No profile here grants EXECUTE: it is revoked from the functions and their default privileges.
    functions = [(item["type"], item["state"]) for item in plan if "EXECUTE" in item["privs"]]
    assert sorted(set(functions)) == [("default_privs", "absent"), ("function", "absent")]
    table_defaults = {tuple(item["roles"]): item["privs"] for item in plan
                      if item["type"] == "default_privs" and item["objs"] == "TABLES" and item["state"] == "absent"}
    assert table_defaults == table_revokes
    assert {item["database"] for item in plan if "etl" in item["roles"]} == {"warehouse"}


def test_policy_digest_is_the_sha256_of_the_sorted_definition():
    (spec,) = policy_specs([{"name": "own_rows", "table": "orders", "using": "owner = current_user"}], "app")
    definition = {key: value for key, value in spec.items() if key != "digest"}
    assert definition == {"name": "own_rows", "table": "public.orders", "database": "app", "command": "ALL",
                          "roles": ["PUBLIC"], "permissive": True, "using": "owner = current_user", "with_check": ""}
    expected = hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()[:16]
    assert spec["digest"] == "dbfleet:" + expected


def values(**changes):
    return Values({"db_users_list": USERS, "db_users_password_length": 32, "db_users_secret_recovery_window": 7,
                   "db_users_default_database": "app", "db_users_default_schemas": ["public"],
                   "db_users_extensions": [{"name": "pg_stat_statements"}], "db_users_rls_policies": [],
                   "rds_master_username": "dbadmin", **changes})


def test_good_users_pass():
    assert problems(values()) == []


@pytest.mark.parametrize("changes, expected", [
    ({"db_users_list": USERS + [{"name": "app_user", "profile": "readonly"}]}, "db_users_list: user names must be unique"),
    ({"db_users_list": [{"name": "dbadmin", "profile": "readonly"}]}, "db_users_list[0] (dbadmin).name: must be"),
    ({"db_users_list": [{"name": "pg_reader", "profile": "readonly"}]}, "db_users_list[0] (pg_reader).name: must be"),
    ({"db_users_list": [{"name": "x", "profile": "admin"}]},
     "db_users_list[0] (x).profile: must be readwrite, readonly, analytics or custom (got 'admin')"),
    ({"db_users_list": [{"name": "x", "profile": "readonly", "privileges": {"tables": ["SELECT"]}}]},
     "db_users_list[0] (x).privileges: given only with profile custom"),
    ({"db_users_list": [{"name": "x", "profile": "custom", "privileges": {"tables": ["DROP"]}}]},
     "db_users_list[0] (x).privileges.tables: DROP not among SELECT"),
    ({"db_users_list": [{"name": "x", "profile": "readonly", "connection_limit": -2}]},
     "db_users_list[0] (x).connection_limit: must be -1 (no limit) or more (got -2)"),
    ({"db_users_password_length": 8}, "db_users_password_length: must be between 16 and 128 (got 8)"),
    ({"db_users_default_schemas": ["Public"]}, "db_users_default_database, db_users_default_schemas: must be lowercase"),
    ({"db_users_extensions": [{"name": "Bad Ext"}]}, "db_users_extensions[0].name: must be an extension name"),
    ({"db_users_rls_policies": [{"name": "p", "table": "orders", "command": "INSERT", "using": "true"}]},
     "db_users_rls_policies[0] (p): needs using or with_check; INSERT takes only with_check"),
    ({"db_users_rls_policies": [{"name": "p", "table": "orders", "using": "true", "roles": ["Bad-Role"]}]},
     "db_users_rls_policies[0] (p).roles: must be role names or PUBLIC (got Bad-Role)"),
], ids=["unique", "master-user", "reserved", "profile", "privileges-without-custom", "unknown-privilege",
        "connection-limit", "password-length", "schema", "extension", "insert-using", "policy-roles"])
def test_each_broken_rule_names_its_variable(changes, expected):
    (problem,) = problems(values(**changes))
    assert problem.startswith(expected)


def test_rls_plan_applies_what_differs_waits_for_missing_tables_and_finds_unlisted_policies():
    current, changed, waiting = policy_specs([
        {"name": "own_rows", "table": "orders", "using": "owner = current_user"},
        {"name": "tenant", "table": "invoices", "using": "tenant = 1"},
        {"name": "later", "table": "audit", "using": "true"}], "app")
    rows = [
        {"table": "public.orders", "rls": True, "policy": "own_rows", "comment": current["digest"]},
        {"table": "public.invoices", "rls": False, "policy": "tenant", "comment": "dbfleet:0000000000000000"},
        {"table": "public.invoices", "rls": False, "policy": "old_rule", "comment": "dbfleet:1111111111111111"},
        {"table": "public.customers", "rls": True, "policy": "by_hand", "comment": ""},
    ]
    plan = rls_plan([{"item": "app", "query_result": rows}], [current, changed, waiting])
    assert plan["apply"] == [dict(changed, exists=True, enable=True)]
    assert plan["missing_table"] == [waiting]
    assert plan["unlisted"] == [{"database": "app", "table": "public.invoices", "name": "old_rule"}]


def test_rls_plan_turns_row_level_security_on_for_a_current_policy():
    [spec] = policy_specs([{"name": "own_rows", "table": "orders", "using": "true"}], "app")
    rows = [{"table": "public.orders", "rls": False, "policy": "own_rows", "comment": spec["digest"]}]
    assert rls_plan([{"item": "app", "query_result": rows}], [spec])["apply"] == [
        dict(spec, exists=True, enable=True)]


def test_passwords_are_kept_unless_rotated_and_new_ones_use_the_safe_alphabet():
    specs = [{"name": "app_user"}, {"name": "new_user"}]
    chosen = choose_passwords(specs, {"app_user": "kept-password"}, False, 40)
    assert chosen["app_user"] == "kept-password"
    assert len(chosen["new_user"]) == 40 and set(chosen["new_user"]) <= set(PASSWORD_ALPHABET)
    rotated = choose_passwords(specs, {"app_user": "kept-password"}, True, "24")
    assert rotated["app_user"] != "kept-password" and len(rotated["app_user"]) == 24
    assert choose_passwords(specs, {}, False, 40)["new_user"] != chosen["new_user"]


def test_a_user_with_iam_auth_needs_iam_authentication_on_the_instance():
    users = [{"name": "app_user", "profile": "readwrite", "iam_auth": True}]
    assert problems(Values({"db_users_list": users, "rds_iam_database_authentication": True})) == []
    assert problems(Values({"db_users_list": users, "rds_iam_database_authentication": False})) == [
        "db_users_list[0].iam_auth: needs rds_iam_database_authentication true (app_user could not log in with an "
        "IAM token on an instance without IAM authentication)"]


def test_the_connect_policy_names_each_iam_user_by_the_instance_resource_id():
    specs = user_specs([{"name": "app_user", "profile": "readwrite", "iam_auth": True},
                        {"name": "readonly_user", "profile": "readonly"}], "accunode_prod", ["public"], "p")
    policy = iam_connect_policy("arn:aws:rds:us-east-1:111122223333:db:accunode-db-prod", "db-ABCDEFGHIJKL", specs)
    assert policy == {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "rds-db:connect",
        "Resource": ["arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABCDEFGHIJKL/app_user"]}]}
    assert iam_connect_policy("arn:aws:rds:us-east-1:1:db:x", "db-X", specs[1:]) is None
