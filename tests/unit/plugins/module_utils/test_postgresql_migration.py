"""What the migration decides without a connection (plugins/module_utils/postgresql_migration.py)."""

import pytest

from ansible_collections.dbfleet.aws.plugins.module_utils import postgresql_migration as rules


def test_good_inputs_pass():
    assert rules.input_problems(dict(source_host="db.abcd.supabase.co", source_port=6543, source_user="postgres",
                                     source_database="postgres", source_ssl_mode="require", jobs=8,
                                     exclude_schemas=["auth", "storage"], skip_extensions=["pg_graphql", "uuid-ossp"],
                                     owner="app_owner", target_database="app")) == []


@pytest.mark.parametrize("values, problem", [
    (dict(source_host="db host"), "source_host: must be a host name or an IP address (got 'db host')"),
    (dict(source_port=70000), "source_port: must be a port from 1 to 65535 (got 70000)"),
    (dict(source_user="drop table"), "source_user: must be a PostgreSQL name"),
    (dict(source_ssl_mode="always"), "source_ssl_mode: must be one of disable, allow, prefer"),
    (dict(jobs=0), "jobs: must be from 1 to 32 parallel jobs (got 0)"),
    (dict(schemas="public"), "schemas: must be a list (got 'public')"),
    (dict(exclude_schemas=["pg_catalog"]), "exclude_schemas: system schemas are never copied (got ['pg_catalog'])"),
    (dict(skip_extensions=["bad name"]), "skip_extensions: each must be a PostgreSQL name (got ['bad name'])"),
    (dict(schemas=["public"], exclude_schemas=["auth"]), "schemas, exclude_schemas: give one or the other"),
])
def test_each_broken_input_names_its_variable(values, problem):
    (found,) = rules.input_problems(values)
    assert found.startswith(problem)


def test_the_schemas_to_copy():
    source = ["auth", "billing", "information_schema", "pg_toast", "public", "storage"]
    assert rules.schemas_to_copy(source, [], []) == ["auth", "billing", "public", "storage"]
    assert rules.schemas_to_copy(source, [], ["auth", "storage"]) == ["billing", "public"]
    assert rules.schemas_to_copy(source, ["public", "missing"], []) == ["public"]


def test_extensions_are_created_skipped_or_refused_with_the_reason():
    source = [dict(name=name, schema="extensions", version="1") for name in
              ("plpgsql", "pgcrypto", "pg_graphql", "adminpack", "vector")]
    plan = rules.extension_plan(source, allowed=["pgcrypto", "vector", "plpgsql"], available=["pgcrypto", "adminpack"],
                                skip=["pg_graphql"])
    assert [entry["name"] for entry in plan["create"]] == ["pgcrypto"]
    assert [entry["name"] for entry in plan["skip"]] == ["pg_graphql"]
    assert [(entry["name"], entry["reason"]) for entry in plan["refused"]] == [
        ("adminpack", "is not in the target's rds.extensions (RDS does not allow it)"),
        ("vector", "is not available on the target server")]
    # Not an RDS instance: what the server has decides.
    assert [entry["name"] for entry in rules.extension_plan(source, None, ["adminpack", "pgcrypto"], [])["refused"]] \
        == ["pg_graphql", "vector"]


def test_the_restore_list_leaves_out_extensions_and_existing_schemas():
    toc = ["; Archive created at 2026-12-07 09:00:00 UTC",
           "6; 2615 2200 SCHEMA - public pg_database_owner",
           "7; 2615 16390 SCHEMA - billing supabase_owner",
           "2; 3079 16384 EXTENSION - citext ",
           "4571; 0 0 COMMENT - EXTENSION citext ",
           "218; 1259 16400 TABLE public users supabase_owner",
           "4560; 0 16400 TABLE DATA public users supabase_owner"]
    assert rules.restore_list(toc, ["public"]) == [
        "; Archive created at 2026-12-07 09:00:00 UTC",
        ";6; 2615 2200 SCHEMA - public pg_database_owner",
        "7; 2615 16390 SCHEMA - billing supabase_owner",
        ";2; 3079 16384 EXTENSION - citext ",
        ";4571; 0 0 COMMENT - EXTENSION citext ",
        "218; 1259 16400 TABLE public users supabase_owner",
        "4560; 0 16400 TABLE DATA public users supabase_owner"]


def test_the_copy_is_compared_table_by_table_and_sequence_by_sequence():
    source = dict(tables={"public.a": 3000, "public.b": 2, "public.c": 1}, sequences={"public.s": [141], "public.t": [7]},
                  extensions=["citext", "pgcrypto"])
    target = dict(tables={"public.a": 3000, "public.b": 1}, sequences={"public.s": [141], "public.t": [None]},
                  extensions=["citext", "plpgsql"])
    assert rules.compare(source, target) == [
        "table public.b: 2 rows in the source, 1 in the target",
        "table public.c: missing in the target",
        "sequence public.t: [7] in the source, [None] in the target",
        "extensions missing in the target: pgcrypto"]
    assert rules.compare(source, source) == []
