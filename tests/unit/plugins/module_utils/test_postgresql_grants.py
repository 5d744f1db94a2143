"""The postgresql_grants module's rules and plan (plugins/module_utils/postgresql_grants.py)."""

import pytest

from ansible_collections.dbfleet.aws.plugins.module_utils.db_users import grant_plan
from ansible_collections.dbfleet.aws.plugins.module_utils.db_users import user_specs
from ansible_collections.dbfleet.aws.plugins.module_utils.postgresql_grants import grant_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.postgresql_grants import plan
from ansible_collections.dbfleet.aws.plugins.module_utils.postgresql_grants import schemas_of


def catalog(**changes):
    empty = {"databases": {"app": {}}, "schemas": {"public": {}}, "defaults": {}, "objects": [
        {"kind": "table", "schema": "public", "name": "public.orders", "held": {}},
        {"kind": "table", "schema": "public", "name": 'public."Order Lines"', "held": {}},
        {"kind": "sequence", "schema": "public", "name": "public.orders_id_seq", "held": {}},
        {"kind": "function", "schema": "public", "name": "public.total(org integer)", "held": {}}]}
    return dict(empty, **changes)


def readonly_plan():
    return grant_plan(user_specs([{"name": "reporting", "profile": "readonly"}], "app", ["public"], "x"))


def test_a_new_user_gets_one_statement_per_change_with_every_object_in_it():
    statements, before, after = plan(readonly_plan(), catalog(), ["dbadmin"])
    assert statements == [
        'GRANT CONNECT ON DATABASE "app" TO "reporting"',
        'GRANT USAGE ON SCHEMA "public" TO "reporting"',
        'GRANT SELECT ON TABLE public."Order Lines", public.orders TO "reporting"',
        'GRANT SELECT ON SEQUENCE public.orders_id_seq TO "reporting"',
        'ALTER DEFAULT PRIVILEGES FOR ROLE "dbadmin" IN SCHEMA "public" GRANT SELECT ON SEQUENCES TO "reporting"',
        'ALTER DEFAULT PRIVILEGES FOR ROLE "dbadmin" IN SCHEMA "public" GRANT SELECT ON TABLES TO "reporting"']
    assert before == {}
    assert after["reporting"] == sorted([
        "CONNECT on database app", "USAGE on schema public", "SELECT on table public.orders",
        'SELECT on table public."Order Lines"', "SELECT on sequence public.orders_id_seq",
        "SELECT on tables created by dbadmin in schema public (default)",
        "SELECT on sequences created by dbadmin in schema public (default)"])


def test_a_converged_catalog_needs_nothing_and_what_is_not_asked_about_is_left():
    held = {"reporting": {"SELECT"}, "app_user": {"SELECT", "INSERT", "TRUNCATE"}}
    converged = catalog(
        databases={"app": {"reporting": {"CONNECT"}}}, schemas={"public": {"reporting": {"USAGE"}}},
        objects=[{"kind": "table", "schema": "public", "name": "public.orders", "held": held},
                 {"kind": "sequence", "schema": "public", "name": "public.orders_id_seq", "held": {"reporting": {"SELECT"}}}],
        defaults={("dbadmin", "public", "TABLES"): {"reporting": {"SELECT"}},
                  ("dbadmin", "public", "SEQUENCES"): {"reporting": {"SELECT"}}})
    statements, before, after = plan(readonly_plan(), converged, ["dbadmin"])
    assert statements == []
    assert before == after and "app_user" not in after


def test_privileges_outside_the_profile_are_revoked_from_objects_and_default_privileges():
    drifted = catalog(
        databases={"app": {"reporting": {"CONNECT"}}}, schemas={"public": {"reporting": {"USAGE"}}},
        objects=[{"kind": "table", "schema": "public", "name": "public.orders",
                  "held": {"reporting": {"SELECT", "INSERT", "TRUNCATE"}}}],
        defaults={("dbadmin", "public", "TABLES"): {"reporting": {"SELECT", "DELETE"}},
                  ("dbadmin", "public", "SEQUENCES"): {"reporting": {"SELECT"}}})
    statements, before, after = plan(readonly_plan(), drifted, ["dbadmin"])
    assert statements == [
        'REVOKE INSERT, TRUNCATE ON TABLE public.orders FROM "reporting"',
        'ALTER DEFAULT PRIVILEGES FOR ROLE "dbadmin" IN SCHEMA "public" REVOKE DELETE ON TABLES FROM "reporting"']
    assert "INSERT on table public.orders" in before["reporting"]
    assert "INSERT on table public.orders" not in after["reporting"]


def test_all_expands_and_each_owner_gets_its_default_privileges():
    grants = [{"type": "default_privs", "schema": "public", "objs": "sequences", "privs": "ALL", "roles": ["etl"],
               "state": "present"}]
    statements, _before, _after = plan(grants, catalog(), ["dbadmin", "migrator"])
    assert statements == [
        'ALTER DEFAULT PRIVILEGES FOR ROLE "%s" IN SCHEMA "public" GRANT SELECT, UPDATE, USAGE ON SEQUENCES TO "etl"'
        % owner for owner in ("dbadmin", "migrator")]


def test_function_signatures_and_quoted_roles():
    grants = [{"type": "function", "schema": "public", "privs": "execute", "roles": ['we"ird'], "state": "present"}]
    assert plan(grants, catalog(), ["dbadmin"])[0] == ['GRANT EXECUTE ON FUNCTION public.total(org integer) TO "we""ird"']


def test_schemas_reached():
    assert schemas_of(readonly_plan() + [{"type": "schema", "objs": "audit"}]) == ["audit", "public"]


def test_good_grants_pass():
    assert grant_problems(readonly_plan(), "app") == []


@pytest.mark.parametrize("grant, expected", [
    ({"type": "view", "privs": "SELECT", "roles": ["r"]}, "grants[0].type: must be one of database, schema, table"),
    ({"type": "table", "privs": "SELECT", "roles": ["r"]}, "grants[0].schema: required for type table"),
    ({"type": "table", "schema": "public", "privs": "SELECT", "roles": []}, "grants[0].roles: must name at least one role"),
    ({"type": "table", "schema": "public", "privs": "SELECT,EXECUTE", "roles": ["r"]},
     "grants[0].privs: EXECUTE on table must be among ALL, SELECT, INSERT"),
    ({"type": "sequence", "schema": "public", "privs": "", "roles": ["r"]}, "grants[0].privs: nothing on sequence"),
    ({"type": "database", "objs": "other", "privs": "CONNECT", "roles": ["r"]},
     "grants[0].objs: must be the database connected to, app (got other)"),
    ({"type": "schema", "privs": "USAGE", "roles": ["r"]}, "grants[0].objs: required for type schema"),
    ({"type": "default_privs", "schema": "public", "objs": "VIEWS", "privs": "SELECT", "roles": ["r"]},
     "grants[0].objs: must be one of TABLES, SEQUENCES, FUNCTIONS for default_privs (got 'VIEWS')"),
    ({"type": "table", "schema": "public", "privs": "SELECT", "roles": ["r"], "database": "other"},
     "grants[0].database: must be the database connected to, app (got other)"),
])
def test_each_problem_names_the_field_and_the_rule(grant, expected):
    found = grant_problems([grant], "app")
    assert len(found) == 1 and found[0].startswith(expected), found


def test_temp_is_temporary():
    grants = [{"type": "database", "objs": "app", "privs": "connect, temp", "roles": ["r"], "state": "present"}]
    assert grant_problems(grants, "app") == []
    assert plan(grants, catalog(), [])[0] == ['GRANT CONNECT, TEMPORARY ON DATABASE "app" TO "r"']
