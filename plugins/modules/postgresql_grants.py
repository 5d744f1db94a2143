#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: postgresql_grants
version_added: 0.1.0
short_description: Every grant and default privilege of a PostgreSQL database in one task
description:
  - Brings the privileges of roles on a database, its schemas, the tables, sequences and
    functions of given owners, and the owners' default privileges to what O(grants) lists.
    Privileges with O(grants[].state=present) are granted, those with V(absent) revoked.
  - Reads the catalog once (C(aclexplode) over C(pg_database), C(pg_namespace),
    C(pg_class), C(pg_proc) and C(pg_default_acl)), plans in Python, and runs only the
    statements that change something, in one transaction. A converged database costs
    four catalog queries and no statement, where a loop of
    M(community.postgresql.postgresql_privs) costs a connection and several queries per
    item.
  - Tables, sequences and functions are granted by name, those of O(owners) only, and
    never members of an extension (C(ALL ... IN SCHEMA) would also reach objects of
    extensions and of other roles, which an RDS master user cannot grant on).
  - Every problem of O(grants) is reported in one error before any statement; a role or a
    schema that does not exist fails before any statement too (in check mode a missing
    schema is warned about, as it may be created by an earlier task of the same run).
  - Check mode reports the statements without running them; diff mode shows, for each
    role, the privileges it holds in the scope of O(grants) before and after.
author:
  - dbfleet maintainers (@dbfleet)
options:
  login_db:
    description: The database to connect to; the grants are made in it.
    required: true
    type: str
  grants:
    description:
      - The privileges wanted, as M(community.postgresql.postgresql_privs) items.
      - The db_users role's plan (C(db_users_grant_plan)) has this shape.
    required: true
    type: list
    elements: dict
    suboptions:
      type:
        description: What the privileges are on.
        type: str
        required: true
        choices: [database, schema, table, sequence, function, default_privs]
      objs:
        description:
          - The database (it must be O(login_db)) or schema name; for V(default_privs) the
            object class, V(TABLES), V(SEQUENCES) or V(FUNCTIONS).
          - Ignored for V(table), V(sequence) and V(function), which reach every object of
            O(owners) in O(grants[].schema).
        type: str
      schema:
        description: The schema of the objects; required for every type but V(database) and V(schema).
        type: str
      privs:
        description: Comma-separated privileges or a list, or V(ALL) for every privilege of the type.
        type: raw
        required: true
      roles:
        description: The roles the privileges are granted to or revoked from (V(PUBLIC) for everyone).
        type: list
        elements: str
        required: true
      state:
        description: V(present) grants the privileges, V(absent) revokes them.
        type: str
        default: present
        choices: [present, absent]
      database:
        description: The database of the item, as the db_users role's plan gives it; must be O(login_db).
        type: str
  owners:
    description:
      - The roles whose tables, sequences and functions are granted on, and the target roles
        of the default privileges (C(ALTER DEFAULT PRIVILEGES FOR ROLE ...)).
      - Defaults to the login user.
    type: list
    elements: str
  fail_on_role:
    description:
      - Fail when a role of O(grants) or O(owners) does not exist. With V(false) the missing
        role is warned about and its grants are planned as for a role that holds nothing
        (useful in check mode, before the users exist).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
extends_documentation_fragment:
  - community.postgresql.postgres
notes:
  - Supports check mode and diff mode.
seealso:
  - module: community.postgresql.postgresql_privs
"""

EXAMPLES = r"""
- name: Read-only access to the app database for reporting, and to the tables created later
  dbfleet.aws.postgresql_grants:
    login_host: db.example.internal
    login_user: dbadmin
    login_password: "{{ master_password }}"
    login_db: app
    owners: [dbadmin]
    grants:
      - {type: database, objs: app, privs: CONNECT, roles: [reporting]}
      - {type: schema, objs: public, privs: USAGE, roles: [reporting]}
      - {type: table, schema: public, privs: SELECT, roles: [reporting]}
      - {type: table, schema: public, privs: "INSERT,UPDATE,DELETE,TRUNCATE", roles: [reporting], state: absent}
      - {type: default_privs, schema: public, objs: TABLES, privs: SELECT, roles: [reporting]}
"""

RETURN = r"""
queries:
  description: The statements run (or, in check mode, that would be run).
  returned: always
  type: list
  elements: str
  sample: ['GRANT SELECT ON TABLE public.orders, public.users TO "reporting"']
diff:
  description: For each role, the privileges it holds in the scope of O(grants), before and after.
  returned: when diff mode is on
  type: dict
  sample: {before: {reporting: ["SELECT on table public.orders"]},
           after: {reporting: ["SELECT on table public.orders", "SELECT on table public.users"]}}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.community.postgresql.plugins.module_utils.postgres import connect_to_db
from ansible_collections.community.postgresql.plugins.module_utils.postgres import ensure_required_libs
from ansible_collections.community.postgresql.plugins.module_utils.postgres import get_conn_params
from ansible_collections.community.postgresql.plugins.module_utils.postgres import pg_cursor_args
from ansible_collections.community.postgresql.plugins.module_utils.postgres import postgres_common_argument_spec

from ansible_collections.dbfleet.aws.plugins.module_utils.postgresql_grants import DEFAULT_CLASSES
from ansible_collections.dbfleet.aws.plugins.module_utils.postgresql_grants import grant_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.postgresql_grants import plan
from ansible_collections.dbfleet.aws.plugins.module_utils.postgresql_grants import schemas_of
from ansible_collections.dbfleet.aws.plugins.module_utils.problems import fail_with_problems

# The grantee of each privilege, for the roles asked about only (PUBLIC is grantee 0).
GRANTEE = """
LEFT JOIN LATERAL aclexplode({acl}) a
       ON a.grantee IN (SELECT oid FROM pg_roles WHERE rolname = ANY(%(roles)s))
       OR (a.grantee = 0 AND 'PUBLIC' = ANY(%(roles)s))
LEFT JOIN pg_roles r ON r.oid = a.grantee
"""
CATALOG = {
    "databases": "SELECT d.datname AS name, coalesce(r.rolname, 'PUBLIC') AS grantee, a.privilege_type AS privilege"
                 " FROM pg_database d" + GRANTEE.format(acl="coalesce(d.datacl, acldefault('d', d.datdba))")
                 + " WHERE d.datname = current_database()",
    "schemas": "SELECT n.nspname AS name, coalesce(r.rolname, 'PUBLIC') AS grantee, a.privilege_type AS privilege"
               " FROM pg_namespace n" + GRANTEE.format(acl="coalesce(n.nspacl, acldefault('n', n.nspowner))")
               + " WHERE n.nspname = ANY(%(schemas)s)",
    # Objects of the owners, extension members left out, with their ACL or its default.
    "objects": """
WITH owners AS (SELECT oid FROM pg_roles WHERE rolname = ANY(%(owners)s)),
objects AS (
  SELECT CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END AS kind, n.nspname AS schema,
         format('%%I.%%I', n.nspname, c.relname) AS name,
         coalesce(c.relacl, acldefault((CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END)::"char", c.relowner)) AS acl
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = ANY(%(schemas)s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
    AND c.relowner IN (SELECT oid FROM owners)
    AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
  UNION ALL
  SELECT 'function', n.nspname,
         format('%%I.%%I(%%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
         coalesce(p.proacl, acldefault('f', p.proowner))
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname = ANY(%(schemas)s) AND p.prokind = 'f' AND p.proowner IN (SELECT oid FROM owners)
    AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'))
SELECT o.kind, o.schema, o.name, coalesce(r.rolname, 'PUBLIC') AS grantee, a.privilege_type AS privilege
FROM objects o""" + GRANTEE.format(acl="o.acl"),
    "defaults": "SELECT o.rolname AS owner, n.nspname AS schema, d.defaclobjtype AS class,"
                " coalesce(r.rolname, 'PUBLIC') AS grantee, a.privilege_type AS privilege"
                " FROM pg_default_acl d JOIN pg_roles o ON o.oid = d.defaclrole"
                " JOIN pg_namespace n ON n.oid = d.defaclnamespace" + GRANTEE.format(acl="d.defaclacl")
                + " WHERE o.rolname = ANY(%(owners)s) AND n.nspname = ANY(%(schemas)s)",
}
CLASS_NAMES = dict((code, name) for name, (_kind, code) in DEFAULT_CLASSES.items())


def _held(held, row):
    """Adds the row's privilege to `held` ({role: set}); a row without one adds nothing."""
    if row["privilege"]:
        held.setdefault(row["grantee"], set()).add(row["privilege"])
    return held


def read_catalog(cursor, roles, owners, schemas):
    """The privileges the catalog holds for `roles`, in the shape plan() takes."""
    args = dict(roles=roles, owners=owners, schemas=schemas)
    rows = {}
    for name, query in CATALOG.items():
        cursor.execute(query, args)
        rows[name] = cursor.fetchall()
    catalog = {"databases": {}, "schemas": {}, "objects": [], "defaults": {}}
    for name in ("databases", "schemas"):
        for row in rows[name]:
            _held(catalog[name].setdefault(row["name"], {}), row)
    objects = {}
    for row in rows["objects"]:
        found = objects.setdefault((row["kind"], row["schema"], row["name"]), {})
        _held(found, row)
    catalog["objects"] = [dict(kind=kind, schema=schema, name=name, held=held)
                          for (kind, schema, name), held in sorted(objects.items())]
    for row in rows["defaults"]:
        _held(catalog["defaults"].setdefault((row["owner"], row["schema"], CLASS_NAMES[row["class"]]), {}), row)
    return catalog


def main():
    argument_spec = postgres_common_argument_spec()
    argument_spec.update(
        login_db=dict(type="str", required=True),
        grants=dict(type="list", elements="dict", required=True, options=dict(
            type=dict(type="str", required=True,
                      choices=["database", "schema", "table", "sequence", "function", "default_privs"]),
            objs=dict(type="str"),
            schema=dict(type="str"),
            privs=dict(type="raw", required=True),
            roles=dict(type="list", elements="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            database=dict(type="str"),
        )),
        owners=dict(type="list", elements="str"),
        fail_on_role=dict(type="bool", default=True),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    grants, database = params["grants"], params["login_db"]
    problems = grant_problems(grants, database)
    if problems:
        fail_with_problems(module, problems, outcome=" in grants, nothing was changed")

    ensure_required_libs(module)
    connection, _error = connect_to_db(module, get_conn_params(module, params), autocommit=False)
    cursor = connection.cursor(**pg_cursor_args)
    owners = params["owners"] or [params["login_user"]]
    roles = sorted(set(role for grant in grants for role in grant["roles"]))
    schemas = schemas_of(grants)
    try:
        cursor.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%(names)s)", dict(names=roles + owners))
        existing = set(row["rolname"] for row in cursor.fetchall()) | set(["PUBLIC"])
        catalog = read_catalog(cursor, roles, owners, schemas)
    except Exception as e:  # psycopg2 and psycopg 3 raise different classes
        module.fail_json(msg="reading the privileges of %s failed: %s" % (database, to_native(e)))

    missing = [role for role in roles + owners if role not in existing]
    absent_schemas = [schema for schema in schemas if schema not in catalog["schemas"]]
    problems = ["role %s does not exist" % role for role in sorted(set(missing)) if params["fail_on_role"]]
    problems += ["schema %s does not exist in database %s" % (schema, database)
                 for schema in absent_schemas if not module.check_mode]
    if problems:
        fail_with_problems(module, problems, outcome=", nothing was changed")
    for role in sorted(set(missing)):
        module.warn("role %s does not exist; its grants are planned as for a role that holds nothing" % role)
    for schema in absent_schemas:
        module.warn("schema %s does not exist in database %s yet; its grants are planned as for an empty schema"
                    % (schema, database))

    statements, before, after = plan(grants, catalog, [owner for owner in owners if owner in existing])
    result = dict(changed=bool(statements), queries=statements)
    if module._diff:
        result["diff"] = dict(before=before, after=after)
    if statements and not module.check_mode:
        statement = None
        try:
            for statement in statements:
                cursor.execute(statement)
            connection.commit()
        except Exception as e:  # psycopg2 and psycopg 3 raise different classes
            connection.rollback()
            module.fail_json(msg="%s failed, nothing was changed: %s" % (statement, to_native(e)), queries=statements)
    connection.close()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
