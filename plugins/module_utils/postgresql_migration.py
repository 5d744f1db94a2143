# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Moving a database from an external PostgreSQL into an RDS instance, without a
connection: the rules of the inputs (used by dbfleet.aws.postgresql_migration and by
playbooks/migrate.yml's checks), which extensions the target gets, which entries of the
dump's table of contents are restored, and whether the copy matches its source."""

import re

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_$]{0,62}$"
EXTENSION = r"^[A-Za-z][A-Za-z0-9_-]{0,62}$"
HOST = r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:]+\]?$"
MAX_JOBS = 32
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# Schemas of the server itself, never copied.
SYSTEM_SCHEMA = r"^(pg_.*|information_schema)$"
# An entry of `pg_restore --list`: "<dump id>; <catalog oid> <oid> <kind> <schema> <name> [<owner>]".
_TOC_ENTRY = re.compile(r"^\d+; \d+ \d+ (?P<entry>.*)$")


def input_problems(values, target_name="target_database"):
    """Every problem of the migration's inputs, each "<name>: <rule>", the target database named
    target_name (the runbook's target_database, the module's login_db); a value left
    out (None) is not checked."""
    found = []

    def problem(name, rule, value):
        found.append("%s: %s (got %r)" % (name, rule, value))

    host = values.get("source_host")
    if host is not None and not re.match(HOST, str(host)):
        problem("source_host", "must be a host name or an IP address", host)
    port = values.get("source_port")
    if port is not None and (isinstance(port, bool) or not str(port).isdigit() or not 1 <= int(port) <= 65535):
        problem("source_port", "must be a port from 1 to 65535", port)
    for name in ("source_user", "source_database", target_name, "owner"):
        value = values.get(name)
        if value is not None and not re.match(IDENTIFIER, str(value)):
            problem(name, "must be a PostgreSQL name (letters, digits, _ and $, at most 63)", value)
    mode = values.get("source_ssl_mode")
    if mode is not None and mode not in SSL_MODES:
        problem("source_ssl_mode", "must be one of " + ", ".join(SSL_MODES), mode)
    jobs = values.get("jobs")
    if jobs is not None and (isinstance(jobs, bool) or not str(jobs).isdigit() or not 1 <= int(jobs) <= MAX_JOBS):
        problem("jobs", "must be from 1 to %d parallel jobs" % MAX_JOBS, jobs)
    for name, pattern in (("schemas", IDENTIFIER), ("exclude_schemas", IDENTIFIER), ("skip_extensions", EXTENSION)):
        value = values.get(name)
        if value is None:
            continue
        if not isinstance(value, list):
            problem(name, "must be a list", value)
            continue
        wrong = [item for item in value if not isinstance(item, str) or not re.match(pattern, item)]
        if wrong:
            problem(name, "each must be a PostgreSQL name", wrong)
        if name != "skip_extensions":
            system = [item for item in value if isinstance(item, str) and re.match(SYSTEM_SCHEMA, item)]
            if system:
                problem(name, "system schemas are never copied", system)
    if values.get("schemas") and values.get("exclude_schemas"):
        found.append("schemas, exclude_schemas: give one or the other")
    return found


def schemas_to_copy(source_schemas, schemas, exclude_schemas):
    """The source's schemas the copy takes: those named, or all but the excluded and the
    system ones."""
    wanted = [name for name in source_schemas if not re.match(SYSTEM_SCHEMA, name)]
    if schemas:
        return [name for name in schemas if name in source_schemas]
    return [name for name in wanted if name not in (exclude_schemas or [])]


def extension_plan(source_extensions, allowed, available, skip):
    """What happens to each extension of the source ([{name, schema, version}], plpgsql
    aside): `create` on the target (RDS allows it and the server has it), `skip` (named in
    skip_extensions), and `refused`, each with why: the copy cannot start with any refused."""
    plan = dict(create=[], skip=[], refused=[])
    for extension in sorted(source_extensions, key=lambda entry: entry["name"]):
        name = extension["name"]
        if name == "plpgsql":
            continue
        if name in skip:
            plan["skip"].append(dict(extension, reason="in skip_extensions"))
        elif allowed is not None and name not in allowed:
            plan["refused"].append(dict(extension, reason="is not in the target's rds.extensions (RDS does not allow it)"))
        elif name not in available:
            plan["refused"].append(dict(extension, reason="is not available on the target server"))
        else:
            plan["create"].append(extension)
    return plan


def restore_list(toc_lines, existing_schemas):
    """The lines of `pg_restore --list` to restore, the others commented out: the EXTENSION
    entries and their comments (the extensions are created beforehand, as the target allows
    them) and the SCHEMA entries of schemas the target has already (public)."""
    kept = []
    for line in toc_lines:
        match = _TOC_ENTRY.match(line.strip())
        entry = match.group("entry") if match else ""
        schema = re.match(r"^SCHEMA - (\S+)", entry)
        if (entry.startswith("EXTENSION ") or entry.startswith("COMMENT - EXTENSION ")
                or (schema and schema.group(1) in existing_schemas)):
            kept.append(";" + line)
        else:
            kept.append(line)
    return kept


def compare(source, target):
    """Mismatches between what the source and the copy hold: source and target are
    {tables: {name: rows}, sequences: {name: [last_value, is_called]}, extensions: [names]}
    (the extensions the source should have brought, skipped ones aside)."""
    found = []
    for table, rows in sorted(source["tables"].items()):
        copied = target["tables"].get(table)
        if copied is None:
            found.append("table %s: missing in the target" % table)
        elif copied != rows:
            found.append("table %s: %d rows in the source, %d in the target" % (table, rows, copied))
    for sequence, state in sorted(source["sequences"].items()):
        copied = target["sequences"].get(sequence)
        if copied is None:
            found.append("sequence %s: missing in the target" % sequence)
        elif list(copied) != list(state):
            found.append("sequence %s: %s in the source, %s in the target" % (sequence, list(state), list(copied)))
    missing = sorted(set(source["extensions"]) - set(target["extensions"]))
    if missing:
        found.append("extensions missing in the target: %s" % ", ".join(missing))
    return found
