# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Rules of the runbooks' inputs (the -e variables of playbooks/<runbook>.yml). Each function
takes the inputs as given and returns every problem as "<input>: <rule>"; the
dbfleet.aws.runbook_problems filter applies them, the runbook role's start tasks refuse."""

import re

from ansible.module_utils.parsing.convert_bool import BOOLEANS
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import command_line_number
from ansible_collections.dbfleet.aws.plugins.module_utils.postgresql_maintenance import THRESHOLDS
from ansible_collections.dbfleet.aws.plugins.module_utils.postgresql_migration import input_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.postgresql_maintenance import threshold_problems

RESTORE_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"
TABLE = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$"
PURPOSE = r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$"
IDENTIFIER_LENGTH = {"rds": 63, "redis": 40}
ROTATE_TARGETS = ("master", "users", "redis")
ROTATE_REDIS_PHASES = ("both", "rotate", "set")


def _one_of(name, value, choices):
    if value in choices:
        return []
    rule = "%s or %s" % choices if len(choices) == 2 else "one of " + ", ".join(choices)
    return ["%s: must be %s (got %r)" % (name, rule, value)]


def boolean_problems(name, value):
    """A boolean given on the command line: true/false, yes/no, on/off, 1/0, nothing else."""
    if isinstance(value, bool) or (isinstance(value, str) and value.lower() in BOOLEANS) or value in (0, 1):
        return []
    return ["%s: must be true or false (got %r)" % (name, value)]


def failover_problems(inputs):
    """target; once the dr variables are known, target=region needs a DR replica on one of
    the run's targets (inputs["dr_replica_hosts"]: the hosts with rds_enabled, dr_enabled and
    dr_replica_enabled)."""
    target = inputs.get("target")
    found = _one_of("target", target, ("rds", "redis", "region"))
    if target == "region" and "dr_replica_hosts" in inputs and not inputs["dr_replica_hosts"]:
        found.append("target: region fails over to the DR replica of the dr role, and no target of this run has one "
                     "(dr_enabled and dr_replica_enabled); there is nothing to fail over to")
    return found


def snapshot_problems(inputs):
    found = _one_of("target", inputs.get("target"), ("all", "rds", "redis"))
    purpose = inputs.get("purpose")
    if not re.match(PURPOSE, str(purpose)):
        found.append("purpose: must be 1-64 letters, digits or hyphens, starting with a letter or digit (got %r)"
                     % purpose)
    return found


def _restore_identifier_problems(target, identifier):
    length = IDENTIFIER_LENGTH.get(target, 63)
    if (re.match(r"^[a-z][a-z0-9-]{0,%d}$" % (length - 1), identifier) and "--" not in identifier
            and not identifier.endswith("-")):
        return []
    return ["restore_identifier: must be 1-%d lowercase letters, digits or single hyphens, starting with a letter "
            "(got %r)" % (length, identifier)]


def restore_problems(inputs):
    target, mode = inputs.get("target"), inputs.get("mode")
    found = _one_of("target", target, ("rds", "redis"))
    found += _one_of("mode", mode, ("pitr", "snapshot"))
    if target == "redis" and mode == "pitr":
        found.append("mode: redis restores a snapshot only (mode=snapshot)")
    if mode == "snapshot" and not inputs.get("snapshot"):
        found.append("snapshot: required with mode=snapshot")
    restore_time = inputs.get("restore_time")
    if restore_time and mode != "pitr":
        found.append("restore_time: only with mode=pitr")
    elif restore_time and not re.match(RESTORE_TIME, restore_time):
        found.append("restore_time: must be UTC ISO 8601, YYYY-MM-DDTHH:MM:SSZ (got %r)" % restore_time)
    if inputs.get("restore_identifier"):
        found += _restore_identifier_problems(target, inputs["restore_identifier"])
    switch = inputs.get("switch", False)
    switch_problems = boolean_problems("switch", switch)
    found += switch_problems
    if not switch_problems and boolean(switch) and target != "rds":
        found.append("switch: only with target=rds")
    tables = inputs.get("tables") or []
    for table in tables:
        if not isinstance(table, str) or not re.match(TABLE, table):
            found.append("tables: %s must be table or schema.table (letters, digits, underscores)" % (table,))
    for table in inputs.get("expect_rows") or {}:
        if table not in tables:
            found.append("expect_rows: %s is not in tables" % table)
    return found


def rotate_credentials_problems(inputs):
    found = ["rotate_targets: must list master, users or redis (got %r)" % target
             for target in inputs.get("targets") or [] if target not in ROTATE_TARGETS]
    found += _one_of("rotate_redis_phase", inputs.get("redis_phase"), ROTATE_REDIS_PHASES)
    return found


def maintenance_problems(inputs):
    """apply, terminate_idle_in_transaction and terminate_idle, booleans; the thresholds, as the module
    dbfleet.aws.postgresql_maintenance checks them, named maintenance_<threshold>; databases,
    a list of names."""
    found = boolean_problems("apply", inputs.get("apply", False))
    found += boolean_problems("terminate_idle_in_transaction", inputs.get("terminate_idle_in_transaction", False))
    found += boolean_problems("terminate_idle", inputs.get("terminate_idle", False))
    thresholds = dict((key, command_line_number(inputs.get(key))) for key in THRESHOLDS)
    thresholds["table_thresholds"] = inputs.get("table_thresholds")
    found += threshold_problems(thresholds, prefix="maintenance_")
    databases = inputs.get("databases") or []
    if not isinstance(databases, list) or not all(isinstance(name, str) and name for name in databases):
        found.append("maintenance_databases: must be a list of database names (got %r)" % (databases,))
    return found


SECRET_NAME = r"^[A-Za-z0-9/_+=.@-]{1,512}$"


def migrate_problems(inputs):
    """The source: host, user and database given, or a source_secret to read them from; every
    input as dbfleet.aws.postgresql_migration checks it; allow_non_empty_target a boolean."""
    secret = inputs.get("source_secret") or ""
    found = []
    if secret and not re.match(SECRET_NAME, secret):
        found.append("source_secret: must be a Secrets Manager name (letters, digits, /_+=.@-) (got %r)" % secret)
    if not secret:
        found += ["%s: required without source_secret" % name
                  for name in ("source_host", "source_user", "source_database") if not inputs.get(name)]
        if not boolean(inputs.get("source_password_given", False)):
            found.append("source_password: required without source_secret (-e @vault.yml, or the survey's password)")
    given = dict((name, command_line_number(value) if name in ("source_port", "jobs") else value)
                 for name, value in inputs.items() if value not in (None, ""))
    found += input_problems(given)
    found += boolean_problems("allow_non_empty_target", inputs.get("allow_non_empty_target", False))
    return found


def report_problems(inputs):
    """drift, a boolean (report.yml and its AWX survey)."""
    return boolean_problems("drift", inputs.get("drift", False))


RULES = {
    "report": report_problems,
    "failover": failover_problems,
    "snapshot": snapshot_problems,
    "restore": restore_problems,
    "rotate_credentials": rotate_credentials_problems,
    "maintenance": maintenance_problems,
    "migrate": migrate_problems,
}


def problems(runbook, inputs):
    return RULES[runbook](inputs)
