# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Rules of the db_users role's variables (roles/db_users/meta/argument_specs.yml has their
types)."""

import re

from ansible_collections.dbfleet.aws.plugins.module_utils.db_users import ALL_PRIVILEGES
from ansible_collections.dbfleet.aws.plugins.module_utils.db_users import CUSTOM
from ansible_collections.dbfleet.aws.plugins.module_utils.db_users import PROFILES
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import in_range

# Variables of other roles these rules read.
CONTEXT = ("rds_master_username", "rds_iam_database_authentication")
ROLE_NAME = r"^[a-z_][a-z0-9_]{0,62}$"
RESERVED_ROLE = r"^(pg_|rds)|^(postgres|public|rdsadmin|rds_iam|rds_superuser)$"
OBJECT_NAME = r"^[a-z_][a-z0-9_$]{0,62}$"
TABLE = r"^([a-z_][a-z0-9_$]{0,62}\.)?[a-z_][a-z0-9_$]{0,62}$"
EXTENSION = r"^[a-z][a-z0-9_-]{0,62}$"
COMMANDS = ("ALL", "SELECT", "INSERT", "UPDATE", "DELETE")
SPECIAL_ROLES = ("PUBLIC", "CURRENT_USER", "SESSION_USER")


def _not_identifiers(names):
    return [name for name in names if not re.match(OBJECT_NAME, str(name))]


def _privilege_problems(where, privileges):
    if not isinstance(privileges, dict):
        return ["%s.privileges: must map tables, sequences and functions to lists of privileges" % where]
    found = []
    for kind, given in sorted(privileges.items()):
        if kind not in ALL_PRIVILEGES:
            found.append("%s.privileges.%s: unknown object type; use %s" % (where, kind, ", ".join(ALL_PRIVILEGES)))
        elif isinstance(given, str) or not isinstance(given, list):
            found.append("%s.privileges.%s: must be a list such as [SELECT] (got %r)" % (where, kind, given))
        else:
            unknown = [privilege for privilege in given if str(privilege).upper() not in ALL_PRIVILEGES[kind]]
            if unknown:
                found.append("%s.privileges.%s: %s not among %s" % (where, kind, ", ".join(map(str, unknown)),
                                                                    ", ".join(ALL_PRIVILEGES[kind])))
    return found


def _user_problems(index, user, master_username):
    name = user.get("name") or ""
    where = "db_users_list[%d] (%s)" % (index, name or "no name")
    found = []
    if not re.match(ROLE_NAME, name) or re.match(RESERVED_ROLE, name) or name == master_username:
        found.append("%s.name: must be 1-63 lowercase letters, digits or underscores, not a reserved role "
                     "(pg_*, rds*, postgres, public) nor the master user" % where)
    profile = user.get("profile") or ""
    if profile not in list(PROFILES) + [CUSTOM]:
        found.append("%s.profile: must be %s or %s (got %r)" % (where, ", ".join(PROFILES), CUSTOM, profile))
    privileges = user.get("privileges") or {}
    if (profile == CUSTOM) != bool(privileges):
        found.append("%s.privileges: given only with profile custom, and profile custom needs them" % where)
    elif privileges:
        found += _privilege_problems(where, privileges)
    wrong = _not_identifiers((user.get("databases") or []) + (user.get("schemas") or []))
    if wrong:
        found.append("%s: databases and schemas must be lowercase identifiers (got %s)" % (where, ", ".join(wrong)))
    limit = user.get("connection_limit")
    if limit not in (None, "") and int(limit) < -1:
        found.append("%s.connection_limit: must be -1 (no limit) or more (got %s)" % (where, limit))
    return found


def _policy_problems(index, policy):
    where = "db_users_rls_policies[%d] (%s)" % (index, policy.get("name") or "no name")
    command = (policy.get("command") or "ALL").upper()
    using, with_check = policy.get("using") or "", policy.get("with_check") or ""
    found = []
    if not re.match(ROLE_NAME, policy.get("name") or "") or not re.match(TABLE, policy.get("table") or ""):
        found.append("%s: name must be a lowercase identifier and table schema.table of lowercase identifiers" % where)
    if command not in COMMANDS:
        found.append("%s.command: must be one of %s (got %r)" % (where, ", ".join(COMMANDS), command))
    if not (using or with_check) or (command == "INSERT" and using) or (command in ("SELECT", "DELETE") and with_check):
        found.append("%s: needs using or with_check; INSERT takes only with_check, SELECT and DELETE only using" % where)
    roles = [role for role in policy.get("roles") or [] if role not in SPECIAL_ROLES and not re.match(ROLE_NAME, role)]
    if roles:
        found.append("%s.roles: must be role names or PUBLIC (got %s)" % (where, ", ".join(roles)))
    return found


def problems(values):
    """Every rule of the db_users role's variables that values break."""
    users = values.get("db_users_list") or []
    policies = values.get("db_users_rls_policies") or []
    names = [user.get("name") for user in users]
    found = []
    if len(set(names)) != len(names):
        found.append("db_users_list: user names must be unique")
    found += in_range(values, "db_users_password_length", 16, 128)
    found += in_range(values, "db_users_secret_recovery_window", 7, 30, " days")
    wrong = _not_identifiers([name for name in [values.get("db_users_default_database")] if name is not None]
                             + (values.get("db_users_default_schemas") or []))
    if wrong:
        found.append("db_users_default_database, db_users_default_schemas: must be lowercase identifiers (got %s)"
                     % ", ".join(map(str, wrong)))
    keys = [(policy.get("table"), policy.get("name")) for policy in policies]
    if len(set(keys)) != len(keys):
        found.append("db_users_rls_policies: policy names must be unique per table")
    for index, user in enumerate(users):
        found += _user_problems(index, user, values.get("rds_master_username"))
        if user.get("iam_auth") and values.get("rds_iam_database_authentication") is False:
            found.append("db_users_list[%d].iam_auth: needs rds_iam_database_authentication true (%s could not log "
                         "in with an IAM token on an instance without IAM authentication)" % (index, user.get("name")))
    for index, extension in enumerate(values.get("db_users_extensions") or []):
        if not re.match(EXTENSION, extension.get("name") or ""):
            found.append("db_users_extensions[%d].name: must be an extension name such as pg_stat_statements (got %r)"
                         % (index, extension.get("name")))
    for index, policy in enumerate(policies):
        found += _policy_problems(index, policy)
    return found
