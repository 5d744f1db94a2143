# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The db_users role's plans, without a database call: every user with its defaults filled
in, the grants and revokes for dbfleet.aws.postgresql_grants, and the row-level
security policies with the digest that tells whether one changed. Used by
plugins/filter/db_users.py and the role's input rules."""

import hashlib
import json
import secrets
import string

from urllib.parse import quote

# Characters of a generated password: none that a connection URL or a shell treats specially.
PASSWORD_ALPHABET = string.ascii_letters + string.digits + "-_.~"
# Policies whose comment starts so were made by the role (the comment is their digest).
POLICY_DIGEST_PREFIX = "dbfleet:"

# Privileges of each profile, per object type.
PROFILES = {
    "readwrite": {"tables": ["SELECT", "INSERT", "UPDATE", "DELETE"], "sequences": ["USAGE", "SELECT", "UPDATE"],
                  "functions": []},
    "readonly": {"tables": ["SELECT"], "sequences": ["SELECT"], "functions": []},
    "analytics": {"tables": ["SELECT"], "sequences": ["SELECT"], "functions": ["EXECUTE"]},
}
CUSTOM = "custom"
# Every privilege of each object type; what a user's profile leaves out is revoked.
ALL_PRIVILEGES = {
    "tables": ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"],
    "sequences": ["USAGE", "SELECT", "UPDATE"],
    "functions": ["EXECUTE"],
}
# Grant type and default-privileges object class of each object type.
OBJECT_TYPES = {
    "tables": {"type": "table", "default": "TABLES"},
    "sequences": {"type": "sequence", "default": "SEQUENCES"},
    "functions": {"type": "function", "default": "FUNCTIONS"},
}


def user_specs(users, default_database, default_schemas, secret_prefix):
    """db_users_list with every default filled in."""
    specs = []
    for user in users:
        profile = user.get("profile") or ""
        privileges = (user.get("privileges") or {}) if profile == CUSTOM else PROFILES.get(profile, {})
        specs.append({
            "name": user["name"],
            "profile": profile,
            "privileges": dict((kind, [privilege.upper() for privilege in privileges.get(kind) or []])
                               for kind in ("tables", "sequences", "functions")),
            "databases": user.get("databases") or [default_database],
            "schemas": user.get("schemas") or list(default_schemas),
            "connection_limit": int(user.get("connection_limit") if user.get("connection_limit") not in (None, "")
                                    else -1),
            "iam_auth": bool(user.get("iam_auth", False)),
            "secret_name": user.get("secret_name") or "%s/%s" % (secret_prefix, user["name"]),
        })
    return specs


def _items(user, database):
    """What one user needs in one database: CONNECT, USAGE on each schema, the profile's
    privileges on each object type and as default privileges, what it leaves out revoked
    from both."""
    items = [{"database": database, "type": "database", "objs": database, "privs": "CONNECT", "state": "present"}]
    for schema in user["schemas"]:
        items.append({"database": database, "type": "schema", "objs": schema, "privs": "USAGE", "state": "present"})
        for kind, names in OBJECT_TYPES.items():
            granted = user["privileges"][kind]
            revoked = [privilege for privilege in ALL_PRIVILEGES[kind] if privilege not in granted]
            for state, privileges in (("present", granted), ("absent", revoked)):
                if privileges:
                    items.append({"database": database, "type": names["type"], "schema": schema,
                                  "privs": ",".join(privileges), "state": state})
                    items.append({"database": database, "type": "default_privs", "schema": schema,
                                  "objs": names["default"], "privs": ",".join(privileges), "state": state})
    return items


def grant_plan(specs):
    """Grants and revokes for postgresql_grants, users with the same grant on the same objects
    merged into one item with their names in `roles`, in the order first needed."""
    merged = {}
    for user in specs:
        for database in user["databases"]:
            for item in _items(user, database):
                key = json.dumps(item, sort_keys=True)
                merged.setdefault(key, (item, []))[1].append(user["name"])
    return [dict(item, roles=roles) for item, roles in merged.values()]


def policy_specs(policies, default_database):
    """db_users_rls_policies with defaults filled in and a digest of each definition, kept
    as the policy's comment to tell whether it changed."""
    specs = []
    for policy in policies:
        spec = {
            "name": policy["name"],
            "table": policy["table"] if "." in policy["table"] else "public." + policy["table"],
            "database": policy.get("database") or default_database,
            "command": (policy.get("command") or "ALL").upper(),
            "roles": policy.get("roles") or ["PUBLIC"],
            "permissive": bool(policy.get("permissive", True)),
            "using": policy.get("using") or "",
            "with_check": policy.get("with_check") or "",
        }
        digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode("utf-8")).hexdigest()[:16]
        specs.append(dict(spec, digest=POLICY_DIGEST_PREFIX + digest))
    return specs


def rls_plan(states, specs):
    """What to do with the row-level security policies.

    `states`: one result per database of the role's query (`item` the database,
    `query_result` rows of table, rls, policy, comment); `specs`: policy_specs().
    Returns {apply: [spec with exists, enable], missing_table: [spec], unlisted: [{database,
    table, name}]}: a policy is applied when its digest differs or row-level security is off
    on its table, waits when its table does not exist, and one the role made that the
    inventory no longer lists is unlisted."""
    plan = {"apply": [], "missing_table": [], "unlisted": []}
    for state in states:
        database, rows = state["item"], state.get("query_result") or []
        wanted = [spec for spec in specs if spec["database"] == database]
        for spec in wanted:
            table_rows = [row for row in rows if row["table"] == spec["table"]]
            if not table_rows:
                plan["missing_table"].append(spec)
                continue
            named = [row for row in table_rows if row["policy"] == spec["name"]]
            current = any(row["comment"] == spec["digest"] for row in named)
            if not current or not table_rows[0]["rls"]:
                plan["apply"].append(dict(spec, exists=bool(named), enable=not table_rows[0]["rls"]))
        listed = set((spec["table"], spec["name"]) for spec in wanted)
        plan["unlisted"] += [{"database": database, "table": row["table"], "name": row["policy"]}
                             for row in rows
                             if row["comment"].startswith(POLICY_DIGEST_PREFIX) and (row["table"], row["policy"]) not in listed]
    return plan


def choose_passwords(specs, stored, rotate, length):
    """{user: password}: the one its secret holds (`stored`), or a new one of `length`
    characters of PASSWORD_ALPHABET for a user without a secret and for every user when
    `rotate`."""
    generator = secrets.SystemRandom()
    return dict((user["name"], stored[user["name"]] if user["name"] in stored and not rotate
                 else "".join(generator.choices(PASSWORD_ALPHABET, k=int(length))))
                for user in specs)


def user_secrets(specs, passwords, login, instance_identifier, url_ssl_mode, kms_key_id, tags):
    """The secrets of the users for dbfleet.aws.secretsmanager_secrets, one per user, each
    value the JSON applications read: engine, host, port, dbname, username, password, url
    (the password URL-quoted as Jinja's urlencode does), profile and dbInstanceIdentifier."""
    items = []
    for user in specs:
        password, database = passwords[user["name"]], user["databases"][0]
        url = "postgresql://%s:%s@%s:%s/%s?sslmode=%s" % (
            user["name"], quote(password, safe="/"), login["host"], login["port"], database, url_ssl_mode)
        value = {
            "engine": "postgres", "host": login["host"], "port": login["port"], "dbname": database,
            "username": user["name"], "password": password, "url": url,
            "profile": user["profile"], "dbInstanceIdentifier": instance_identifier,
        }
        item = {"name": user["secret_name"], "secret_string": json.dumps(value),
                "description": "PostgreSQL user %s of RDS instance %s" % (user["name"], instance_identifier),
                "tags": dict(tags, DbUser=user["name"])}
        if kms_key_id:
            item["kms_key_id"] = kms_key_id
        items.append(item)
    return items


def iam_connect_policy(instance_arn, dbi_resource_id, specs):
    """The IAM policy that lets a principal log in as each user with iam_auth
    (rds-db:connect), or None when no user has it. The resource names the instance by its
    DbiResourceId (db-...), which stays when the instance is renamed, not by its name."""
    users = sorted(spec["name"] for spec in specs if spec.get("iam_auth"))
    if not users or not instance_arn or not dbi_resource_id:
        return None
    partition, _service, region, account = instance_arn.split(":")[1:5]
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "rds-db:connect",
        "Resource": ["arn:%s:rds-db:%s:%s:dbuser:%s/%s" % (partition, region, account, dbi_resource_id, user)
                     for user in users]}]}
