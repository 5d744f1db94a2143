#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: postgresql_migration
version_added: 0.1.0
short_description: Move a database from an external PostgreSQL into an RDS instance, and prove it
description:
  - Copies the schemas of a database of an external PostgreSQL (Supabase, a self-managed
    server, another cloud) into a database of an RDS for PostgreSQL instance with
    C(pg_dump) and C(pg_restore) in the directory format, with parallel jobs, in three
    steps the migrate runbook times one by one.
  - O(step=precheck) reads both sides and changes nothing. It fails, listing every
    problem, when an extension of the source is neither allowed on the target (its
    C(rds.extensions), the list RDS allows) nor named in O(skip_extensions), when the target
    database already holds tables in the schemas to copy (unless
    O(allow_non_empty_target=true)), when the target runs an older major version than the
    source, or when the C(pg_dump) at hand is older than the source server.
  - O(step=copy) runs the pre-checks again, creates the target database if it does not
    exist, creates the allowed extensions in the schemas they have in the source, then
    dumps the source (C(pg_dump --format=directory --jobs --no-owner --no-acl)) and restores
    it (C(pg_restore --jobs --exit-on-error)) without the extension entries. Roles are
    mapped to what RDS allows, every object owned by O(owner) and no privilege of the
    source's roles is copied (grants are the db_users role's). With
    O(allow_non_empty_target=true) the objects of the dump are dropped first and restored
    (C(--clean --if-exists)).
  - O(step=verify) counts the rows of every table in both databases (C(count(*)), not the
    statistics), compares every sequence's last value and the extensions, and fails
    naming each mismatch.
  - Passwords reach C(pg_dump) and C(pg_restore) through their environment, never their
    command line, and no output of this module holds one.
author:
  - dbfleet maintainers (@dbfleet)
options:
  step:
    description: C(precheck), C(copy) or C(verify), see above.
    type: str
    required: true
    choices: [precheck, copy, verify]
  login_db:
    description: The target database, in the RDS instance O(login_host) points at.
    type: str
    required: true
  source_host:
    description: The external server.
    type: str
    required: true
  source_port:
    description: Its port.
    type: int
    default: 5432
  source_user:
    description: A user of the source that can read every object to copy.
    type: str
    required: true
  source_password:
    description: Its password.
    type: str
    default: ""
  source_database:
    description: The database to copy.
    type: str
    required: true
  source_ssl_mode:
    description: C(sslmode) of the connections to the source.
    type: str
    default: prefer
    choices: [disable, allow, prefer, require, verify-ca, verify-full]
  schemas:
    description: The schemas to copy; empty for every schema but the system ones.
    type: list
    elements: str
    default: []
  exclude_schemas:
    description: Schemas not to copy when O(schemas) is empty (for example the platform schemas of Supabase, C(auth), C(storage)).
    type: list
    elements: str
    default: []
  skip_extensions:
    description: Extensions of the source the target does not get (RDS does not allow them, or they are not needed).
    type: list
    elements: str
    default: []
  owner:
    description: The role that owns every object copied; defaults to O(login_user).
    type: str
  jobs:
    description: Parallel jobs of C(pg_dump) and C(pg_restore), from 1 to 32.
    type: int
    default: 4
  allow_non_empty_target:
    description: Copy into a target that already holds tables in the schemas to copy, replacing the objects of the dump.
    type: bool
    default: false
  work_dir:
    description: Where the dump is written (a directory of its own, removed afterwards); the system's temporary directory by default.
    type: path
  pg_bin_dir:
    description: The directory of C(pg_dump) and C(pg_restore); the PATH by default. They must be as new as the source server.
    type: path
attributes:
  check_mode:
    support: full
extends_documentation_fragment:
  - community.postgresql.postgres
notes:
  - Supports check mode (O(step=copy) reports what it would do).
  - The control node needs C(pg_dump) and C(pg_restore) of the source's major version or newer (Debian's C(postgresql-client)).
seealso:
  - module: community.postgresql.postgresql_db
"""

EXAMPLES = r"""
- name: Check that the Supabase database can move
  dbfleet.aws.postgresql_migration:
    step: precheck
    login_host: "{{ writer.endpoint.address }}"
    login_user: dbadmin
    login_password: "{{ master_password }}"
    login_db: app
    source_host: db.abcd.supabase.co
    source_user: postgres
    source_password: "{{ supabase_password }}"
    source_database: postgres
    source_ssl_mode: require
    schemas: [public]
    skip_extensions: [pg_graphql, pgsodium, supabase_vault]
"""

RETURN = r"""
source:
  description: The source as read (server version, schemas copied, tables with their row estimate, the roles owning objects).
  returned: always
  type: dict
target:
  description: The target as read (server version, whether the database exists, tables already in the schemas to copy, the extensions RDS allows).
  returned: always
  type: dict
extensions:
  description: What happens to each extension of the source, C(create), C(skip) or C(refused), each with its reason.
  returned: always
  type: dict
commands:
  description: The commands run (O(step=copy)), without any password.
  returned: always
  type: list
  elements: str
verification:
  description: With O(step=verify), the rows of each table and the last value of each sequence on both sides, and the mismatches.
  returned: when step is verify
  type: dict
seconds:
  description: How long the dump and the restore took (O(step=copy)).
  returned: always
  type: dict
"""

import os
import re
import shutil
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.community.postgresql.plugins.module_utils.postgres import connect_to_db
from ansible_collections.community.postgresql.plugins.module_utils.postgres import ensure_required_libs
from ansible_collections.community.postgresql.plugins.module_utils.postgres import get_conn_params
from ansible_collections.community.postgresql.plugins.module_utils.postgres import pg_cursor_args
from ansible_collections.community.postgresql.plugins.module_utils.postgres import postgres_common_argument_spec

from ansible_collections.dbfleet.aws.plugins.module_utils import postgresql_migration as rules
from ansible_collections.dbfleet.aws.plugins.module_utils.problems import fail_with_problems

SCHEMAS = "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%%' AND nspname <> 'information_schema' ORDER BY 1"
EXTENSIONS = """SELECT e.extname AS name, n.nspname AS schema, e.extversion AS version
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace ORDER BY 1"""
# Tables (not partitioned parents: their partitions hold the rows) and their owners,
# leaving out those that belong to an extension.
TABLES = """SELECT format('%%I.%%I', n.nspname, c.relname) AS name, pg_get_userbyid(c.relowner) AS owner,
       greatest(c.reltuples, 0)::bigint AS estimate
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname = ANY(%(schemas)s)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1"""
SEQUENCES = """SELECT format('%%I.%%I', schemaname, sequencename) AS name, last_value
FROM pg_sequences WHERE schemaname = ANY(%(schemas)s) ORDER BY 1"""


def _identifier(name):
    """A name as a quoted SQL identifier."""
    return '"%s"' % name.replace('"', '""')


def _rows(cursor, query, args=None):
    cursor.execute(query, args or {})
    return [dict(row) for row in cursor.fetchall()]


def _connect(module, params, database, autocommit=True):
    connection, _error = connect_to_db(module, get_conn_params(module, dict(params, login_db=database)),
                                       autocommit=autocommit)
    return connection


def _source_params(params):
    return dict(params, login_host=params["source_host"], login_port=params["source_port"],
                login_user=params["source_user"], login_password=params["source_password"],
                login_unix_socket="", ssl_mode=params["source_ssl_mode"], ca_cert=None, ssl_cert=None,
                ssl_key=None, session_role=None)


def _tool(params, name):
    path = os.path.join(params["pg_bin_dir"], name) if params["pg_bin_dir"] else shutil.which(name)
    return path if path and os.access(path, os.X_OK) else None


def _tool_major(module, path):
    rc, out, err = module.run_command([path, "--version"])
    match = re.search(r"\(PostgreSQL\) (\d+)", out)
    return int(match.group(1)) if rc == 0 and match else None


def read_source(module, params):
    connection = _connect(module, _source_params(params), params["source_database"])
    cursor = connection.cursor(**pg_cursor_args)
    all_schemas = [row["nspname"] for row in _rows(cursor, SCHEMAS)]
    schemas = rules.schemas_to_copy(all_schemas, params["schemas"], params["exclude_schemas"])
    tables = _rows(cursor, TABLES, dict(schemas=schemas))
    found = dict(version=connection.server_version, schemas=schemas,
                 missing_schemas=[name for name in params["schemas"] if name not in all_schemas],
                 extensions=_rows(cursor, EXTENSIONS), tables=tables,
                 owners=sorted(set(table["owner"] for table in tables)))
    connection.close()
    return found


def read_target(module, params, schemas):
    """The target server, and the target database if it exists (else what a new one would hold)."""
    connection = _connect(module, params, "postgres")
    cursor = connection.cursor(**pg_cursor_args)
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %(name)s", dict(name=params["login_db"]))
    exists = bool(cursor.fetchall())
    try:
        cursor.execute("SHOW rds.extensions")
        allowed = sorted(name.strip() for name in cursor.fetchone()["rds.extensions"].split(",") if name.strip())
    except Exception:  # not an RDS instance (autocommit: nothing to roll back): what the server has counts
        allowed = None
    available = [row["name"] for row in _rows(cursor, "SELECT name FROM pg_available_extensions")]
    found = dict(version=connection.server_version, database_exists=exists, allowed_extensions=allowed,
                 available_extensions=available, tables=[], extensions=[], schemas=[])
    connection.close()
    if exists:
        connection = _connect(module, params, params["login_db"])
        cursor = connection.cursor(**pg_cursor_args)
        found["tables"] = [row["name"] for row in _rows(cursor, TABLES, dict(schemas=schemas))]
        found["extensions"] = [row["name"] for row in _rows(cursor, EXTENSIONS)]
        found["schemas"] = [row["nspname"] for row in _rows(cursor, SCHEMAS)]
        connection.close()
    return found


def precheck(module, params):
    source = read_source(module, params)
    target = read_target(module, params, source["schemas"])
    plan = rules.extension_plan(source["extensions"], target["allowed_extensions"],
                                target["available_extensions"], params["skip_extensions"])
    problems = ["skip_extensions: %s of the source %s; name it in skip_extensions to copy without it"
                % (extension["name"], extension["reason"]) for extension in plan["refused"]]
    if source["missing_schemas"]:
        problems.append("schemas: %s not in the source database" % ", ".join(source["missing_schemas"]))
    if not source["schemas"]:
        problems.append("schemas: nothing to copy, the source has no schema left to copy")
    if target["tables"] and not params["allow_non_empty_target"]:
        problems.append("allow_non_empty_target: the target database %s already holds %d table(s) in the schemas to "
                        "copy (%s); it is refused unless allow_non_empty_target=true, which replaces the objects of "
                        "the dump" % (params["login_db"], len(target["tables"]), ", ".join(target["tables"][:5])))
    if target["version"] // 10000 < source["version"] // 10000:
        problems.append("login_host: the target runs PostgreSQL %d, older than the source's %d"
                        % (target["version"] // 10000, source["version"] // 10000))
    tools = dict((name, _tool(params, name)) for name in ("pg_dump", "pg_restore"))
    for name, path in sorted(tools.items()):
        major = _tool_major(module, path) if path else None
        if path is None:
            problems.append("pg_bin_dir: %s not found (install postgresql-client or set pg_bin_dir)" % name)
        elif major is None or major < source["version"] // 10000:
            problems.append("pg_bin_dir: %s is PostgreSQL %s, older than the source's %d; use one as new as the "
                            "source" % (name, major, source["version"] // 10000))
    return source, target, plan, tools, problems


def _environment(password, ssl_mode, ca_cert=None):
    environment = dict(PGPASSWORD=password or "", PGSSLMODE=ssl_mode or "prefer", PGCONNECT_TIMEOUT="10")
    if ca_cert:
        environment["PGSSLROOTCERT"] = ca_cert
    return environment


def _run(module, command, environment, commands):
    commands.append(" ".join(command))
    rc, out, err = module.run_command(command, environ_update=environment)
    if rc != 0:
        raise RuntimeError("%s failed (rc %d): %s" % (command[0].split("/")[-1], rc, (err or out).strip()[-2000:]))
    return out


def copy(module, params, source, target, plan, tools, result):
    owner = params["owner"] or params["login_user"]
    if not target["database_exists"]:
        connection = _connect(module, params, "postgres")
        connection.cursor().execute("CREATE DATABASE %s" % _identifier(params["login_db"]))
        connection.close()
        result["created_database"] = True
    connection = _connect(module, params, params["login_db"])
    cursor = connection.cursor()
    for extension in plan["create"]:
        schema = _identifier(extension["schema"])
        cursor.execute("CREATE SCHEMA IF NOT EXISTS %s" % schema)
        cursor.execute("CREATE EXTENSION IF NOT EXISTS %s SCHEMA %s" % (_identifier(extension["name"]), schema))
    cursor.execute(SCHEMAS)
    existing_schemas = [row[0] for row in cursor.fetchall()]
    connection.close()

    work = tempfile.mkdtemp(prefix="dbfleet-migration-", dir=params["work_dir"])
    try:
        dump = os.path.join(work, "dump")
        started = time.monotonic()
        _run(module, [tools["pg_dump"], "--format=directory", "--jobs=%d" % params["jobs"], "--file=%s" % dump,
                      "--no-owner", "--no-acl", "--host=%s" % params["source_host"],
                      "--port=%d" % params["source_port"], "--username=%s" % params["source_user"],
                      "--dbname=%s" % params["source_database"]]
             + ["--schema=%s" % name for name in source["schemas"]],
             _environment(params["source_password"], params["source_ssl_mode"]), result["commands"])
        result["seconds"]["dump"] = round(time.monotonic() - started, 2)
        target_environment = _environment(params["login_password"], params["ssl_mode"], params["ca_cert"])
        toc = _run(module, [tools["pg_restore"], "--list", dump], target_environment, result["commands"])
        listing = os.path.join(work, "restore.list")
        with open(listing, "w") as handle:
            handle.write("\n".join(rules.restore_list(toc.splitlines(), existing_schemas)) + "\n")
        started = time.monotonic()
        host = params["login_host"] or params["login_unix_socket"]
        _run(module, [tools["pg_restore"], "--jobs=%d" % params["jobs"], "--use-list=%s" % listing,
                      "--no-owner", "--no-acl", "--exit-on-error", "--host=%s" % host,
                      "--port=%d" % params["login_port"], "--username=%s" % params["login_user"],
                      "--dbname=%s" % params["login_db"]]
             + (["--role=%s" % owner] if owner != params["login_user"] else [])
             + (["--clean", "--if-exists"] if params["allow_non_empty_target"] and target["tables"] else [])
             + [dump], target_environment, result["commands"])
        result["seconds"]["restore"] = round(time.monotonic() - started, 2)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _holdings(cursor, schemas):
    tables = dict()
    for row in _rows(cursor, TABLES, dict(schemas=schemas)):
        cursor.execute("SELECT count(*) AS rows FROM %s" % row["name"])
        tables[row["name"]] = cursor.fetchone()["rows"]
    sequences = dict((row["name"], row["last_value"]) for row in _rows(cursor, SEQUENCES, dict(schemas=schemas)))
    return dict(tables=tables, sequences=sequences, extensions=[row["name"] for row in _rows(cursor, EXTENSIONS)])


def verify(module, params, source, plan):
    connection = _connect(module, _source_params(params), params["source_database"])
    held = _holdings(connection.cursor(**pg_cursor_args), source["schemas"])
    connection.close()
    held["extensions"] = [extension["name"] for extension in plan["create"]]
    connection = _connect(module, params, params["login_db"])
    copied = _holdings(connection.cursor(**pg_cursor_args), source["schemas"])
    connection.close()
    return dict(source=held, target=copied, mismatches=rules.compare(
        dict(held, sequences=dict((name, [value]) for name, value in held["sequences"].items())),
        dict(copied, sequences=dict((name, [value]) for name, value in copied["sequences"].items()))))


def main():
    argument_spec = postgres_common_argument_spec()
    argument_spec.update(
        step=dict(type="str", required=True, choices=["precheck", "copy", "verify"]),
        login_db=dict(type="str", required=True),
        source_host=dict(type="str", required=True),
        source_port=dict(type="int", default=5432),
        source_user=dict(type="str", required=True),
        source_password=dict(type="str", default="", no_log=True),
        source_database=dict(type="str", required=True),
        source_ssl_mode=dict(type="str", default="prefer", choices=list(rules.SSL_MODES)),
        schemas=dict(type="list", elements="str", default=[]),
        exclude_schemas=dict(type="list", elements="str", default=[]),
        skip_extensions=dict(type="list", elements="str", default=[]),
        owner=dict(type="str"),
        jobs=dict(type="int", default=4),
        allow_non_empty_target=dict(type="bool", default=False),
        work_dir=dict(type="path"),
        pg_bin_dir=dict(type="path"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    problems = rules.input_problems(dict(
        (name, params[name]) for name in ("source_host", "source_port", "source_user", "source_database",
                                          "source_ssl_mode", "jobs", "schemas", "exclude_schemas",
                                          "skip_extensions", "owner", "login_db")), target_name="login_db")
    if problems:
        fail_with_problems(module, problems, outcome=", nothing was read or copied")
    ensure_required_libs(module)

    result = dict(changed=False, commands=[], seconds={})
    try:
        source, target, plan, tools, problems = precheck(module, params)
    except Exception as e:  # psycopg2 and psycopg 3 raise different classes
        module.fail_json(msg="reading the source and the target failed, nothing was copied: %s" % to_native(e).strip())
    result.update(source=source, target=target, extensions=plan)
    if problems and params["step"] != "verify":
        fail_with_problems(module, problems, outcome=", nothing was copied")
    if params["step"] == "copy":
        result["changed"] = True
        if not module.check_mode:
            try:
                copy(module, params, source, target, plan, tools, result)
            except Exception as e:  # a tool or psycopg2 error
                module.fail_json(msg="the copy failed: %s" % to_native(e).strip(), **result)
    elif params["step"] == "verify":
        try:
            result["verification"] = verify(module, params, source, plan)
        except Exception as e:  # psycopg2 and psycopg 3 raise different classes
            module.fail_json(msg="the verification could not read both sides: %s" % to_native(e).strip(), **result)
        mismatches = result["verification"]["mismatches"]
        if mismatches:
            module.fail_json(msg="%d mismatch(es) between the source and the target: %s"
                             % (len(mismatches), "; ".join(mismatches)), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
