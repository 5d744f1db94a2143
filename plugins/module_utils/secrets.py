# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The secretsmanager_secrets module's rules and plan, without an AWS call: what to do with
each wanted secret given what ListSecrets and BatchGetSecretValue report for it."""

import json

# Tags AWS sets itself; never compared or removed.
AWS_TAG_PREFIX = "aws:"


def secret_problems(secrets):
    """Every problem of the module's `secrets` option."""
    found = []
    names = [secret.get("name") for secret in secrets]
    for index, secret in enumerate(secrets):
        where = "secrets[%d]" % index
        if not secret.get("name"):
            found.append("%s.name: required" % where)
        if (secret.get("secret_string") is None) == (secret.get("json_secret") is None):
            found.append("%s: give exactly one of secret_string and json_secret" % where)
    duplicates = sorted(set(name for name in names if name and names.count(name) > 1))
    if duplicates:
        found.append("secrets: names must be unique (%s more than once)" % ", ".join(duplicates))
    return found


def secret_string(secret):
    """The SecretString to store: secret_string as given, json_secret as JSON."""
    if secret.get("secret_string") is not None:
        return secret["secret_string"]
    return json.dumps(secret["json_secret"])


def _parsed(value):
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return None


def same_value(wanted, stored):
    """Whether the stored SecretString holds the wanted one: equal strings, or the same JSON
    object written with another key order or spacing."""
    if wanted == stored:
        return True
    parsed = _parsed(wanted)
    return isinstance(parsed, dict) and parsed == _parsed(stored)


def same_key(wanted, current):
    """Whether the KMS key `wanted` (id, ARN or alias) is the one ListSecrets reports."""
    if not wanted:
        return True
    if not current:
        return False
    return wanted == current or current.endswith(("/" + wanted, ":" + wanted))


def secret_plan(wanted, current, purge_tags):
    """What to do with one secret.

    `wanted`: an item of the module's `secrets`; `current`: None when the secret does not
    exist, else {"deleted": bool, "description", "kms_key_id", "tags": {}, "value": the
    stored SecretString or None when it could not be read (scheduled for deletion)}.
    Returns {"create", "restore", "value", "update": {Description, KmsKeyId}, "tag": {},
    "untag": []}; nothing to do when every entry is false or empty."""
    plan = {"create": current is None, "restore": False, "value": False, "update": {}, "tag": {}, "untag": []}
    if current is None:
        return plan
    plan["restore"] = current["deleted"]
    plan["value"] = current["value"] is None or not same_value(secret_string(wanted), current["value"])
    if wanted.get("description") is not None and wanted["description"] != (current.get("description") or ""):
        plan["update"]["Description"] = wanted["description"]
    if not same_key(wanted.get("kms_key_id"), current.get("kms_key_id")):
        plan["update"]["KmsKeyId"] = wanted["kms_key_id"]
    if wanted.get("tags") is not None:
        have = dict((key, value) for key, value in current["tags"].items() if not key.startswith(AWS_TAG_PREFIX))
        plan["tag"] = dict((key, str(value)) for key, value in wanted["tags"].items() if have.get(key) != str(value))
        if purge_tags:
            plan["untag"] = sorted(key for key in have if key not in wanted["tags"])
    return plan


def changes(plan):
    """Whether a plan changes anything."""
    return any(plan.values())
