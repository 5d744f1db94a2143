"""playbooks/migrate.yml (reference document 001 moves from Supabase to RDS): a database of
an external PostgreSQL, a real cluster of the data plane that no RDS API knows, moved into
aldeia prod's writer (the environment test_fleet_aldeia.py provisions) and read back on
both sides: every row, every sequence's last value, the extensions, the owner. The source
has two schemas, identity and serial sequences moved past their rows, extensions RDS
allows (citext, pgcrypto, uuid-ossp) and one it does not (adminpack), and privileges for a
role the target does not have (Supabase's anon).
"""

import json
from contextlib import closing

import pytest

from conftest import ansible_environment, assert_no_secret, pg_connect, read_secret, run_playbook
from tools.local_aws.dataplane import postgres

XDIST_GROUP = "aldeia_prod"
REGION = "us-east-1"
WRITER = "aldeia-prod-db"
TARGET_DATABASE = "aldeia_production"
MASTER_SECRET = "aldeia/prod/rds/master"
SOURCE_SECRET = "aldeia/prod/supabase"
SOURCE_USER, SOURCE_PASSWORD, SOURCE_DATABASE = "supabase_owner", "source-pw-4u8Kq2", "postgres"
SOURCE_SCHEMA = [
    "CREATE EXTENSION citext", "CREATE EXTENSION pgcrypto", 'CREATE EXTENSION "uuid-ossp"',
    "CREATE EXTENSION adminpack",
    "CREATE ROLE anon NOLOGIN",
    "CREATE SCHEMA billing",
    "CREATE TABLE public.users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email citext UNIQUE NOT NULL,"
    " token uuid NOT NULL DEFAULT uuid_generate_v4(), secret_hash text NOT NULL)",
    "INSERT INTO public.users (email, secret_hash) SELECT 'user' || i || '@example.com', crypt('pw' || i, gen_salt('md5'))"
    " FROM generate_series(1, 3000) i",
    "CREATE TABLE billing.invoices (id serial PRIMARY KEY, user_id bigint NOT NULL REFERENCES public.users,"
    " amount numeric(10, 2) NOT NULL)",
    "INSERT INTO billing.invoices (user_id, amount) SELECT 1 + i % 3000, i / 7.0 FROM generate_series(1, 2000) i",
    "SELECT setval('billing.invoices_id_seq', 5000)",
    "CREATE SEQUENCE public.order_numbers START 100",
    "SELECT nextval('public.order_numbers') FROM generate_series(1, 42)",
    "CREATE VIEW billing.totals AS SELECT user_id, sum(amount) AS total FROM billing.invoices GROUP BY user_id",
    "GRANT SELECT ON public.users TO anon",
]
TABLES = ("public.users", "billing.invoices")


@pytest.fixture(scope="module")
def prod(example_fleet):
    return example_fleet("aldeia", "prod")


@pytest.fixture(scope="module")
def source(prod, local_aws):
    """The external PostgreSQL, on a loopback address of its own, with the schema above
    written by its owner (the admin creates the extensions, as on Supabase)."""
    port = 6543
    address = postgres.create(local_aws.state_dir, "external", "supabase", port, SOURCE_USER, SOURCE_PASSWORD,
                              db_name=SOURCE_DATABASE)
    admin = postgres.admin_connect(local_aws.state_dir, "external", "supabase", SOURCE_DATABASE)
    admin.autocommit = True
    with closing(admin):
        cursor = admin.cursor()
        for statement in SOURCE_SCHEMA[:5]:
            cursor.execute(statement)
        cursor.execute(f"GRANT CREATE ON DATABASE {SOURCE_DATABASE} TO {SOURCE_USER}")
        cursor.execute(f"GRANT CREATE ON SCHEMA public TO {SOURCE_USER}")
    with closing(pg_connect(address, port, SOURCE_USER, SOURCE_PASSWORD, SOURCE_DATABASE)) as owner:
        for statement in SOURCE_SCHEMA[5:]:
            owner.cursor().execute(statement)
    local_aws.client("secretsmanager", REGION).create_secret(Name=SOURCE_SECRET, SecretString=json.dumps(dict(
        username=SOURCE_USER, password=SOURCE_PASSWORD, host=address, port=port, dbname=SOURCE_DATABASE)))
    yield dict(host=address, port=port)
    postgres.delete(local_aws.state_dir, "external", "supabase")


def migrate(local_aws, tmp_path, expect_rc=0, check=False, **extra):
    result = run_playbook("playbooks/migrate.yml", "examples/aldeia/prod", overlay=True, expect_rc=expect_rc, check=check,
                          extra_vars={"runbook_report_dir": str(tmp_path), "confirm": "prod", **extra},
                          env=ansible_environment(local_aws))
    result.output = " ".join((result.stdout + result.stderr).split())
    reports = sorted(tmp_path.glob("migrate-*.json"))
    result.report = json.loads(reports[-1].read_text()) if reports else None
    return result


def target(local_aws):
    master = read_secret(local_aws, MASTER_SECRET, REGION)
    endpoint = local_aws.client("rds", REGION).describe_db_instances(
        DBInstanceIdentifier=WRITER)["DBInstances"][0]["Endpoint"]
    return pg_connect(endpoint["Address"], endpoint["Port"], master["username"], master["password"], TARGET_DATABASE)


def rows(connection, statement):
    cursor = connection.cursor()
    cursor.execute(statement)
    return cursor.fetchall()


def holdings(connection):
    return dict(
        counts={table: rows(connection, f"SELECT count(*) FROM {table}")[0][0] for table in TABLES},
        sequences=dict(rows(connection, "SELECT format('%I.%I', schemaname, sequencename), last_value "
                                        "FROM pg_sequences WHERE schemaname IN ('public', 'billing')")),
        totals=rows(connection, "SELECT sum(total) FROM billing.totals")[0][0],
        extensions={name for (name,) in rows(connection, "SELECT extname FROM pg_extension")})


def test_an_extension_rds_does_not_allow_is_refused_before_anything_changes(source, local_aws, tmp_path):
    since = local_aws.recorder.mark()
    result = migrate(local_aws, tmp_path, expect_rc=2, source_host=source["host"], source_port=source["port"],
                     source_user=SOURCE_USER, source_password=SOURCE_PASSWORD, source_database=SOURCE_DATABASE)
    assert ("skip_extensions: adminpack of the source is not in the target's rds.extensions (RDS does not allow "
            "it); name it in skip_extensions to copy without it") in result.output
    assert local_aws.recorder.mutating(since) == [] and result.report["outcome"] == "failed"
    with closing(target(local_aws)) as connection:
        assert rows(connection, "SELECT count(*) FROM pg_tables WHERE schemaname IN ('public', 'billing')") == [(0,)]
    assert_no_secret({SOURCE_PASSWORD}, result.output, json.dumps(result.report))
    # Skipped, it passes the pre-checks; in check mode the copy only says what it would do.
    result = migrate(local_aws, tmp_path / "check", check=True, source_secret=SOURCE_SECRET,
                     skip_extensions=["adminpack"])
    assert [entry["step"] for entry in result.report["timeline"]] == [
        "pre-checks", "copy with pg_dump and pg_restore, 4 jobs"]
    assert local_aws.recorder.mutating(since) == [] and result.report["details"]["copy"]["commands"] == []
    with closing(target(local_aws)) as connection:
        assert rows(connection, "SELECT count(*) FROM pg_tables WHERE schemaname IN ('public', 'billing')") == [(0,)]


def test_every_row_sequence_and_extension_arrives_owned_by_the_master(source, local_aws, tmp_path):
    since = local_aws.recorder.mark()
    result = migrate(local_aws, tmp_path, source_secret=SOURCE_SECRET, skip_extensions=["adminpack"], jobs=2)
    assert local_aws.recorder.mutating(since) == []   # the copy is all SQL: no AWS write
    report = result.report
    assert [(check["name"], check["passed"]) for check in report["checks"][-4:]] == [
        ("both sides read", True), ("rows of every table", True), ("last value of every sequence", True),
        ("extensions", True)]
    assert report["details"]["extensions"]["skip"][0]["name"] == "adminpack"
    with closing(pg_connect(source["host"], source["port"], SOURCE_USER, SOURCE_PASSWORD, SOURCE_DATABASE)) as origin:
        expected = holdings(origin)
    with closing(target(local_aws)) as connection:
        copied = holdings(connection)
        owners = {owner for (owner,) in rows(connection, "SELECT DISTINCT tableowner FROM pg_tables "
                                                         "WHERE schemaname IN ('public', 'billing')")}
        acl = rows(connection, "SELECT relacl IS NULL FROM pg_class WHERE oid = 'public.users'::regclass")
        # The sequences go on from the source's last values.
        next_invoice = rows(connection, "INSERT INTO billing.invoices (user_id, amount) VALUES (1, 1) RETURNING id")
    assert expected["counts"] == {"public.users": 3000, "billing.invoices": 2000}
    assert copied["counts"] == expected["counts"] and copied["totals"] == expected["totals"]
    assert copied["sequences"] == expected["sequences"] and expected["sequences"]["public.order_numbers"] == 141
    assert next_invoice == [(5001,)]
    assert {"citext", "pgcrypto", "uuid-ossp"} <= copied["extensions"] and "adminpack" not in copied["extensions"]
    assert owners == {read_secret(local_aws, MASTER_SECRET, REGION)["username"]} and acl == [(True,)]
    master_password = read_secret(local_aws, MASTER_SECRET, REGION)["password"]
    assert_no_secret({SOURCE_PASSWORD, master_password}, result.output,
                     *(path.read_text() for path in tmp_path.glob("migrate-*")))


def test_a_second_copy_into_the_now_full_target_is_refused(source, local_aws, tmp_path):
    result = migrate(local_aws, tmp_path, expect_rc=2, source_secret=SOURCE_SECRET, skip_extensions=["adminpack"])
    assert "allow_non_empty_target: the target database aldeia_production already holds 2 table(s)" in result.output
    with closing(target(local_aws)) as connection:
        assert rows(connection, "SELECT count(*) FROM public.users") == [(3000,)]
