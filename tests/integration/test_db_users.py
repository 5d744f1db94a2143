"""The db_users role on the local inventory, asserted in the real PostgreSQL with the
passwords read from Secrets Manager.

One provisioning (provision.yml, a project of its own and small sizes) is shared by the
tests, which run in file order: the last ones remove a user.
"""

from contextlib import closing
from urllib.parse import quote

import psycopg2
import pytest
import yaml

from conftest import REPO_ROOT, ansible_environment, pg_connect, read_secret as secret, run_playbook

INVENTORY = "inventories/local"
HOST = "local-us-east-1"
REGION = "us-east-1"
PROJECT = "dbutest"
USERS_VARS = yaml.safe_load((REPO_ROOT / INVENTORY / "group_vars/local/db_users.yml").read_text())
# Small and separate from the demo's resources, so the run stays short.
EXTRA_VARS = {
    "dbfleet_project": PROJECT, "rds_read_replica_count": 0,
    "rds_monitoring_interval": 0, "elasticache_enabled": False, "alarms_enabled": False,
    "dr_enabled": False,
}
USERS_PLAYBOOK = "tests/integration/playbooks/db_users.yml"


def user_secret(local_aws, name):
    return secret(local_aws, f"{PROJECT}/local/rds/users/{name}")


def connect_as(local_aws, name):
    creds = user_secret(local_aws, name)
    return pg_connect(creds["host"], creds["port"], creds["username"], creds["password"], creds["dbname"])


def master(local_aws):
    creds = secret(local_aws, f"{PROJECT}/local/rds/credentials")
    return pg_connect(creds["host"], creds["port"], creds["username"], creds["password"], creds["dbname"])


def query(connection, sql, *args):
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        return cursor.fetchall() if cursor.description else None


def catalog(local_aws):
    """Roles, their comments, ACLs, default ACLs and policies: what the role may change."""
    with closing(master(local_aws)) as connection:
        return {
            "roles": query(connection, "SELECT rolname, rolconnlimit, rolcanlogin FROM pg_roles ORDER BY 1"),
            "acl": query(connection, "SELECT relname, relacl::text FROM pg_class "
                                     "WHERE relnamespace = 'public'::regnamespace ORDER BY 1"),
            "default_acl": query(connection, "SELECT defaclobjtype, defaclacl::text FROM pg_default_acl ORDER BY 1"),
            "policies": query(connection, "SELECT polname, polcmd FROM pg_policy ORDER BY 1"),
        }


@pytest.fixture(scope="module")
def provisioned(local_aws):
    """The first run, at -vvv so that its whole output can be searched for passwords."""
    env = {**ansible_environment(local_aws), "ANSIBLE_VERBOSITY": "3"}
    return run_playbook("playbooks/provision.yml", INVENTORY, extra_vars=EXTRA_VARS, env=env)


def run_users(local_aws, expect_rc=0, check=False, **extra):
    return run_playbook(USERS_PLAYBOOK, INVENTORY, extra_vars={**EXTRA_VARS, **extra}, check=check,
                        diff=check, env=ansible_environment(local_aws), expect_rc=expect_rc)


def test_secrets_hold_working_credentials(provisioned, local_aws):
    for user in USERS_VARS["db_users_list"]:
        creds = user_secret(local_aws, user["name"])
        assert len(creds["password"]) == 32
        assert creds["username"] == user["name"] and creds["dbname"] == "dbfleet"
        assert creds["url"] == (f"postgresql://{user['name']}:{quote(creds['password'], safe='')}"
                                f"@{creds['host']}:{creds['port']}/dbfleet?sslmode=disable")
        with closing(connect_as(local_aws, user["name"])) as connection:
            assert query(connection, "SELECT current_user") == [(user["name"],)]
    with closing(master(local_aws)) as connection:
        names = [u["name"] for u in USERS_VARS["db_users_list"]]
        limits = dict(query(connection, "SELECT rolname, rolconnlimit FROM pg_roles WHERE rolname = ANY(%s)", names))
        extensions = {row[0] for row in query(connection, "SELECT extname FROM pg_extension")}
    assert limits == {u["name"]: u["connection_limit"] for u in USERS_VARS["db_users_list"]}
    assert {"pg_stat_statements", "pgcrypto"} <= extensions


def test_readonly_selects_and_cannot_insert(provisioned, local_aws):
    with closing(connect_as(local_aws, "readonly_user")) as connection:
        assert query(connection, "SELECT count(*) FROM companies") == [(3,)]
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            query(connection, "INSERT INTO companies (organization_id, name) VALUES (1, 'x')")


def test_application_user_inserts_within_its_organisation(provisioned, local_aws):
    with closing(connect_as(local_aws, "app_user")) as connection:
        query(connection, "SET app.current_org_id = '2'")
        query(connection, "INSERT INTO companies (organization_id, name) VALUES (2, 'Umbrella')")
        # RLS: only organisation 2 is visible, and writing another organisation's row is refused.
        assert query(connection, "SELECT name FROM companies ORDER BY name") == [("Initech",), ("Umbrella",)]
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            query(connection, "INSERT INTO companies (organization_id, name) VALUES (1, 'Evil')")
        query(connection, "SET app.current_org_id = '1'")
        assert query(connection, "SELECT count(*) FROM companies") == [(2,)]
    with closing(connect_as(local_aws, "readonly_user")) as connection:
        assert query(connection, "SELECT count(*) FROM companies") == [(4,)]


def test_table_created_later_is_readable(provisioned, local_aws):
    with closing(master(local_aws)) as connection:
        query(connection, "CREATE TABLE invoices (id serial PRIMARY KEY, total numeric)")
        query(connection, "INSERT INTO invoices (total) VALUES (10), (20)")
    with closing(connect_as(local_aws, "readonly_user")) as connection:
        assert query(connection, "SELECT sum(total) FROM invoices") == [(30,)]
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            query(connection, "DELETE FROM invoices")
    with closing(connect_as(local_aws, "app_user")) as connection:
        query(connection, "INSERT INTO invoices (total) VALUES (5)")


def test_only_analytics_executes_the_function(provisioned, local_aws):
    with closing(connect_as(local_aws, "analytics_user")) as connection:
        assert query(connection, "SELECT companies_per_organization(1)") == [(2,)]
    with closing(connect_as(local_aws, "readonly_user")) as connection:
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            query(connection, "SELECT companies_per_organization(1)")


def test_passwords_never_appear_in_verbose_output(provisioned, local_aws):
    output = provisioned.stdout + provisioned.stderr
    assert "Per-user secret" in output
    for user in USERS_VARS["db_users_list"]:
        password = user_secret(local_aws, user["name"])["password"]
        assert password not in output and quote(password, safe="") not in output


def test_second_run_changes_nothing(provisioned, local_aws):
    passwords = {u["name"]: user_secret(local_aws, u["name"])["password"] for u in USERS_VARS["db_users_list"]}
    before = catalog(local_aws)
    since = local_aws.recorder.mark()
    result = run_users(local_aws)
    assert result.recap[HOST]["changed"] == 0
    assert local_aws.recorder.mutating(since) == []
    assert catalog(local_aws) == before
    assert {name: user_secret(local_aws, name)["password"] for name in passwords} == passwords


def test_bad_input_fails_before_any_aws_call(provisioned, local_aws):
    since = local_aws.recorder.mark()
    users = USERS_VARS["db_users_list"] + [{"name": "Bad-Name", "profile": "custom"}]
    result = run_users(local_aws, expect_rc=2, db_users_list=users)
    output = " ".join(result.stdout.split())
    assert "2 problem(s) with the variables, before any AWS call" in output
    assert "db_users_list[3] (Bad-Name).name: must be 1-63 lowercase letters" in output
    assert "db_users_list[3] (Bad-Name).privileges: given only with profile custom, and profile custom needs them" \
        in output
    assert local_aws.recorder.calls(since) == []


def test_check_mode_changes_nothing(provisioned, local_aws):
    users = USERS_VARS["db_users_list"] + [{"name": "etl_user", "profile": "readwrite"}]
    before = catalog(local_aws)
    since = local_aws.recorder.mark()
    result = run_users(local_aws, check=True, db_users_list=users)
    assert result.recap[HOST]["changed"] >= 1
    assert local_aws.recorder.mutating(since) == []
    assert catalog(local_aws) == before
    with pytest.raises(local_aws.client("secretsmanager").exceptions.ResourceNotFoundException):
        user_secret(local_aws, "etl_user")


def test_privilege_drift_is_shown_in_check_mode_and_corrected_in_one_task(provisioned, local_aws):
    """Drift made by hand on a table and on the default privileges: the diff lists it, check
    mode leaves it, the next run puts back exactly the profile's privileges."""
    with closing(master(local_aws)) as connection:
        owner = query(connection, "SELECT current_user")[0][0]
        query(connection, "REVOKE SELECT ON companies FROM readonly_user")
        query(connection, "GRANT TRUNCATE ON companies TO readonly_user")
        query(connection, f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA public '
                          "GRANT INSERT ON TABLES TO readonly_user")
    drifted = catalog(local_aws)

    checked = run_users(local_aws, check=True)
    assert catalog(local_aws) == drifted
    diff = " ".join(checked.stdout.split())
    for line in ("- - TRUNCATE on table public.companies", "+ - SELECT on table public.companies",
                 f"- - INSERT on tables created by {owner} in schema public (default)"):
        assert line in diff

    result = run_users(local_aws)
    assert result.recap[HOST]["changed"] >= 1
    with closing(master(local_aws)) as connection:
        query(connection, "CREATE TABLE drift_check (id int)")
    with closing(connect_as(local_aws, "readonly_user")) as connection:
        assert query(connection, "SELECT count(*) FROM drift_check") == [(0,)]
        for statement in ("TRUNCATE companies", "INSERT INTO drift_check VALUES (1)"):
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                query(connection, statement)


def test_unlisted_user_is_kept_without_purge_and_removed_with_it(provisioned, local_aws):
    with closing(master(local_aws)) as connection:
        query(connection, "GRANT CREATE ON SCHEMA public TO analytics_user")
    with closing(connect_as(local_aws, "analytics_user")) as connection:
        query(connection, "CREATE TABLE analytics_report (id int)")
    remaining = [u for u in USERS_VARS["db_users_list"] if u["name"] != "analytics_user"]

    kept = run_users(local_aws, db_users_list=remaining)
    assert "analytics_user no longer in db_users_list and kept" in kept.stdout
    with closing(master(local_aws)) as connection:
        assert query(connection, "SELECT 1 FROM pg_roles WHERE rolname = 'analytics_user'") == [(1,)]

    run_users(local_aws, db_users_list=remaining, db_users_purge=True)
    with closing(master(local_aws)) as connection:
        assert query(connection, "SELECT 1 FROM pg_roles WHERE rolname = 'analytics_user'") == []
        assert query(connection, "SELECT tableowner FROM pg_tables WHERE tablename = 'analytics_report'") == [
            ("dbfleet_admin",)]
    described = local_aws.client("secretsmanager").describe_secret(SecretId=f"{PROJECT}/local/rds/users/analytics_user")
    assert "DeletedDate" in described


def test_a_user_listed_again_gets_its_secret_back_with_a_working_password(provisioned, local_aws):
    """The secret the purge scheduled for deletion is restored and holds the new password."""
    since = local_aws.recorder.mark()
    run_users(local_aws)
    actions = [call["action"] for call in local_aws.recorder.calls(since)]
    assert {"RestoreSecret", "PutSecretValue"} <= set(actions) and "CreateSecret" not in actions
    described = local_aws.client("secretsmanager").describe_secret(SecretId=f"{PROJECT}/local/rds/users/analytics_user")
    assert "DeletedDate" not in described
    with closing(connect_as(local_aws, "analytics_user")) as connection:
        assert query(connection, "SELECT current_user") == [("analytics_user",)]
