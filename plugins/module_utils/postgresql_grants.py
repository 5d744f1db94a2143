# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The postgresql_grants module's rules and plan, without a database call.

`grant_problems` checks the wanted grants; `plan` compares them with the privileges the
catalog holds (read by the module in one pass) and returns the GRANT, REVOKE and ALTER
DEFAULT PRIVILEGES statements that close the difference, grouped so that one statement
covers every object with the same change for a role, with what each role held before and
holds after in the scope of the grants (the module's diff)."""

from ansible_collections.dbfleet.aws.plugins.module_utils.db_users import ALL_PRIVILEGES

# Privileges of each grant type, as the catalog (aclexplode) names them.
PRIVILEGES = {
    "database": ["CREATE", "CONNECT", "TEMPORARY"],
    "schema": ["USAGE", "CREATE"],
    "table": ALL_PRIVILEGES["tables"],
    "sequence": ALL_PRIVILEGES["sequences"],
    "function": ALL_PRIVILEGES["functions"],
}
# Object class of default privileges: the grant type it stands for and pg_default_acl's code.
DEFAULT_CLASSES = {"TABLES": ("table", "r"), "SEQUENCES": ("sequence", "S"), "FUNCTIONS": ("function", "f")}
BY_NAME = ("table", "sequence", "function")
TYPES = ("database", "schema") + BY_NAME + ("default_privs",)
ALIASES = {"TEMP": "TEMPORARY"}
# Order of the statements, by what they are on.
SCOPES = ("DATABASE", "SCHEMA", "TABLE", "SEQUENCE", "FUNCTION", "DEFAULT")


def quote(identifier):
    """An SQL identifier, always quoted."""
    return '"%s"' % identifier.replace('"', '""')


def privileges_of(grant):
    """The privileges of one grant, upper case, ALL expanded, in the catalog's spelling."""
    given = grant["privs"] if isinstance(grant["privs"], list) else str(grant["privs"]).split(",")
    names = [ALIASES.get(name.strip().upper(), name.strip().upper()) for name in given if name.strip()]
    kind = DEFAULT_CLASSES[grant["objs"].upper()][0] if grant["type"] == "default_privs" else grant["type"]
    return PRIVILEGES[kind] if names == ["ALL"] else names


def grant_problems(grants, database):
    """Every problem of `grants` (the module's option) for a connection to `database`."""
    found = []
    for index, grant in enumerate(grants):
        where = "grants[%d]" % index
        kind = grant.get("type")
        if kind not in TYPES:
            found.append("%s.type: must be one of %s (got %r)" % (where, ", ".join(TYPES), kind))
            continue
        if grant.get("database") not in (None, database):
            found.append("%s.database: must be the database connected to, %s (got %s)" % (where, database, grant["database"]))
        if not grant.get("roles"):
            found.append("%s.roles: must name at least one role" % where)
        if kind in BY_NAME + ("default_privs",) and not grant.get("schema"):
            found.append("%s.schema: required for type %s" % (where, kind))
        if kind in ("database", "schema") and not grant.get("objs"):
            found.append("%s.objs: required for type %s (the %s's name)" % (where, kind, kind))
        if kind == "database" and grant.get("objs") not in (None, database):
            found.append("%s.objs: must be the database connected to, %s (got %s)" % (where, database, grant["objs"]))
        if kind == "default_privs" and str(grant.get("objs") or "").upper() not in DEFAULT_CLASSES:
            found.append("%s.objs: must be one of %s for default_privs (got %r)"
                         % (where, ", ".join(DEFAULT_CLASSES), grant.get("objs")))
            continue
        allowed = PRIVILEGES[DEFAULT_CLASSES[grant["objs"].upper()][0] if kind == "default_privs" else kind]
        privileges = privileges_of(grant)
        unknown = [name for name in privileges if name not in allowed]
        if not privileges or unknown:
            found.append("%s.privs: %s on %s must be among ALL, %s"
                         % (where, ", ".join(unknown) or "nothing", kind, ", ".join(allowed)))
    return found


def schemas_of(grants):
    """The schemas the grants reach, sorted."""
    return sorted(set(grant["objs"] if grant["type"] == "schema" else grant["schema"]
                      for grant in grants if grant["type"] != "database"))


def _targets(grant, catalog, owners):
    """(statement target, diff label, held {role: set}) of each object one grant reaches."""
    kind = grant["type"]
    if kind == "database":
        name = grant["objs"]
        return [("DATABASE %s" % quote(name), "database %s" % name, catalog["databases"].get(name, {}))]
    if kind == "schema":
        name = grant["objs"]
        return [("SCHEMA %s" % quote(name), "schema %s" % name, catalog["schemas"].get(name, {}))]
    if kind in BY_NAME:
        return [("%s %s" % (kind.upper(), obj["name"]), "%s %s" % (kind, obj["name"]), obj["held"])
                for obj in catalog["objects"] if obj["kind"] == kind and obj["schema"] == grant["schema"]]
    objects = grant["objs"].upper()
    return [("DEFAULT %s %s %s" % (quote(owner), quote(grant["schema"]), objects),
             "%s created by %s in schema %s (default)" % (objects.lower(), owner, grant["schema"]),
             catalog["defaults"].get((owner, grant["schema"], objects), {}))
            for owner in owners]


def _statement(verb, target, privileges, roles):
    """GRANT or REVOKE of `privileges` on `target` (see _targets) for `roles`."""
    grantees = ", ".join("PUBLIC" if role == "PUBLIC" else quote(role) for role in roles)
    direction = "TO" if verb == "GRANT" else "FROM"
    if target.startswith("DEFAULT "):
        _default, owner, schema, objects = target.split(" ", 3)
        return "ALTER DEFAULT PRIVILEGES FOR ROLE %s IN SCHEMA %s %s %s ON %s %s %s" % (
            owner, schema, verb, ", ".join(privileges), objects, direction, grantees)
    return "%s %s ON %s %s %s" % (verb, ", ".join(privileges), target, direction, grantees)


def plan(grants, catalog, owners):
    """What to run so that the catalog holds `grants`.

    `catalog`: {"databases": {name: {role: set}}, "schemas": {name: {role: set}}, "objects":
    [{kind, schema, name (quoted, with a function's argument types), held: {role: set}}],
    "defaults": {(owner, schema, TABLES|SEQUENCES|FUNCTIONS): {role: set}}}; `owners`: the
    roles whose objects and default privileges the grants reach.
    Returns (statements, before, after): before and after map each role to the sorted
    "PRIVILEGE on <object>" it holds, in the grants' scope only."""
    wanted = {}
    for grant in grants:
        privileges = privileges_of(grant)
        for target, label, held in _targets(grant, catalog, owners):
            for role in grant["roles"]:
                for privilege in privileges:
                    had = privilege in held.get(role, ())
                    wanted[(role, target, privilege)] = (label, had, grant["state"] == "present")

    before, after, changes = {}, {}, {}
    for (role, target, privilege), (label, had, want) in wanted.items():
        for side, holds in ((before, had), (after, want)):
            if holds:
                side.setdefault(role, []).append("%s on %s" % (privilege, label))
        if had != want:
            changes.setdefault(("GRANT" if want else "REVOKE", role, target), []).append(privilege)

    # One statement per change: the same privileges of a role on many objects go together.
    # Database first, then schemas, objects and default privileges.
    grouped = {}
    for (verb, role, target), privileges in sorted(changes.items()):
        scope = target.split(" ", 1)[0]
        key = (SCOPES.index(scope), target if scope == "DEFAULT" else scope, verb, role, tuple(sorted(privileges)))
        grouped.setdefault(key, []).append(target)
    statements = []
    for (_rank, scope, verb, role, privileges), targets in sorted(grouped.items()):
        if scope in ("TABLE", "SEQUENCE", "FUNCTION"):
            target = "%s %s" % (scope, ", ".join(name.split(" ", 1)[1] for name in targets))
            statements.append(_statement(verb, target, privileges, [role]))
        else:
            statements += [_statement(verb, target, privileges, [role]) for target in targets]
    return (statements, dict((role, sorted(held)) for role, held in before.items()),
            dict((role, sorted(held)) for role, held in after.items()))
