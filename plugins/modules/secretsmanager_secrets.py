#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: secretsmanager_secrets
version_added: 0.1.0
short_description: Several AWS Secrets Manager secrets in one task, read in two calls
description:
  - Creates or updates every secret of O(secrets). A secret scheduled for deletion is
    restored.
  - Reads them all at once, C(ListSecrets) filtered by name for the description, KMS key
    and tags, and C(BatchGetSecretValue) for the values (20 secrets per call). A converged
    task costs these two calls whatever the number of secrets, where
    M(community.aws.secretsmanager_secret) makes four per secret.
  - Writes only what differs, C(CreateSecret), C(RestoreSecret), C(PutSecretValue) (a new
    version), C(UpdateSecret) for the description or the KMS key, C(TagResource) and
    C(UntagResource). A JSON value is compared as JSON, so that another key order or
    spacing is no change.
  - The values never appear in the output. Give a JSON secret as O(secrets[].secret_string)
    with the C(to_json) filter rather than as O(secrets[].json_secret) when its fields
    (host, port, user name) may appear in the output, since Ansible masks every field of a
    no_log dictionary wherever it appears, file names and error messages included.
  - Deletion stays with M(community.aws.secretsmanager_secret) (C(state=absent), with its
    recovery window).
  - Check mode reports what would change; diff mode shows each secret's description, KMS
    key and tags before and after, and whether its value changes, never the value.
author:
  - dbfleet maintainers (@dbfleet)
options:
  secrets:
    description: The secrets.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The secret's name.
        type: str
        required: true
      secret_string:
        description: The value. Exactly one of O(secrets[].secret_string) and O(secrets[].json_secret) is required.
        type: str
      json_secret:
        description: The value as a dictionary, stored as JSON.
        type: dict
      description:
        description: The description; not compared when omitted.
        type: str
      kms_key_id:
        description: The KMS key (id, ARN or alias) that encrypts the secret; the account's default key when omitted.
        type: str
      tags:
        description: Tags; not compared when omitted.
        type: dict
  purge_tags:
    description: Remove the tags that O(secrets[].tags) does not list (AWS's own C(aws:) tags never).
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reads the secrets and reports what would change, without writing.
"""

EXAMPLES = r"""
- name: One secret per database user, each value JSON
  dbfleet.aws.secretsmanager_secrets:
    secrets:
      - name: app/prod/users/app_user
        description: PostgreSQL user app_user
        secret_string: "{{ {'username': 'app_user', 'password': app_password} | to_json }}"
        tags: {Project: app}
      - name: app/prod/users/reporting
        description: PostgreSQL user reporting
        secret_string: "{{ {'username': 'reporting', 'password': reporting_password} | to_json }}"
        tags: {Project: app}
  register: stored

- name: The users whose password was stored anew
  ansible.builtin.debug:
    msg: "{{ stored.secrets | selectattr('value_changed') | map(attribute='name') }}"
"""

RETURN = r"""
secrets:
  description: Each secret, without its value.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The secret's name.
      type: str
    arn:
      description: Its ARN; null for a secret check mode would create.
      type: str
    changed:
      description: Whether anything of it changed (or would, in check mode).
      type: bool
    created:
      description: Whether it was created.
      type: bool
    restored:
      description: Whether it was scheduled for deletion and was restored.
      type: bool
    value_changed:
      description: Whether a new value was stored.
      type: bool
"""

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.dbfleet.aws.plugins.module_utils.problems import fail_with_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.secrets import changes
from ansible_collections.dbfleet.aws.plugins.module_utils.secrets import secret_plan
from ansible_collections.dbfleet.aws.plugins.module_utils.secrets import secret_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.secrets import secret_string

# API limits: values per ListSecrets name filter, secrets per BatchGetSecretValue.
NAMES_PER_FILTER = 10
SECRETS_PER_BATCH = 20


def _chunks(items, size):
    return [items[start:start + size] for start in range(0, len(items), size)]


class SecretReadError(Exception):
    """BatchGetSecretValue could not read a secret ListSecrets listed."""


def read_secrets(client, names):
    """{name: current} as secret_plan() takes it, for the secrets that exist."""
    listed = {}
    paginator = client.get_paginator("list_secrets")
    for chunk in _chunks(names, NAMES_PER_FILTER):
        # The name filter matches prefixes; only exact names are kept.
        pages = paginator.paginate(Filters=[{"Key": "name", "Values": chunk}], IncludePlannedDeletion=True)
        for secret in pages.build_full_result()["SecretList"]:
            if secret["Name"] in chunk:
                listed[secret["Name"]] = secret
    values = {}
    readable = [name for name, secret in listed.items() if not secret.get("DeletedDate")]
    for chunk in _chunks(readable, SECRETS_PER_BATCH):
        answer = client.batch_get_secret_value(SecretIdList=chunk, aws_retry=True)
        errors = answer.get("Errors") or []
        if errors:
            raise SecretReadError("; ".join("%s: %s" % (error.get("SecretId"), error.get("ErrorCode")) for error in errors))
        values.update((entry["Name"], entry.get("SecretString")) for entry in answer["SecretValues"])
    return dict((name, {"arn": secret["ARN"], "deleted": bool(secret.get("DeletedDate")),
                        "description": secret.get("Description"), "kms_key_id": secret.get("KmsKeyId"),
                        "tags": boto3_tag_list_to_ansible_dict(secret.get("Tags") or []),
                        "value": values.get(name)})
                for name, secret in listed.items())


def apply(client, wanted, current, plan):
    """Makes the plan's calls for one secret; returns its ARN."""
    name = wanted["name"]
    if plan["create"]:
        request = dict(Name=name, SecretString=secret_string(wanted))
        if wanted.get("description") is not None:
            request["Description"] = wanted["description"]
        if wanted.get("kms_key_id"):
            request["KmsKeyId"] = wanted["kms_key_id"]
        if wanted.get("tags"):
            request["Tags"] = ansible_dict_to_boto3_tag_list(dict((k, str(v)) for k, v in wanted["tags"].items()))
        return client.create_secret(aws_retry=True, **request)["ARN"]
    if plan["restore"]:
        client.restore_secret(SecretId=name, aws_retry=True)
    if plan["update"]:
        client.update_secret(SecretId=name, aws_retry=True, **plan["update"])
    if plan["value"]:
        client.put_secret_value(SecretId=name, SecretString=secret_string(wanted), aws_retry=True)
    if plan["tag"]:
        client.tag_resource(SecretId=name, Tags=ansible_dict_to_boto3_tag_list(plan["tag"]), aws_retry=True)
    if plan["untag"]:
        client.untag_resource(SecretId=name, TagKeys=plan["untag"], aws_retry=True)
    return current["arn"]


def _before(current):
    """A secret as the diff shows it: never its value."""
    if current is None:
        return {}
    return dict(description=current["description"], kms_key_id=current["kms_key_id"], tags=current["tags"],
                scheduled_for_deletion=current["deleted"])


def _after(current, wanted, plan):
    if plan["create"]:
        shown = dict(description=wanted.get("description"), kms_key_id=wanted.get("kms_key_id"),
                     tags=dict((key, str(value)) for key, value in (wanted.get("tags") or {}).items()))
    else:
        shown = _before(current)
        shown.update(description=plan["update"].get("Description", shown["description"]),
                     kms_key_id=plan["update"].get("KmsKeyId", shown["kms_key_id"]))
        tags = dict((key, value) for key, value in shown["tags"].items() if key not in plan["untag"])
        tags.update(plan["tag"])
        shown["tags"] = tags
    shown.update(scheduled_for_deletion=False, value="changed" if plan["create"] or plan["value"] else "unchanged")
    return shown


def main():
    argument_spec = dict(
        # The values are the suboptions secret_string and json_secret, both no_log.
        secrets=dict(type="list", elements="dict", required=True, no_log=False, options=dict(
            name=dict(type="str", required=True),
            secret_string=dict(type="str", no_log=True),
            json_secret=dict(type="dict", no_log=True),
            description=dict(type="str"),
            kms_key_id=dict(type="str"),
            tags=dict(type="dict"),
        )),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    wanted_secrets = module.params["secrets"]
    problems = secret_problems(wanted_secrets)
    if problems:
        fail_with_problems(module, problems, outcome=" in secrets, no AWS call was made")

    client = module.client("secretsmanager", retry_decorator=AWSRetry.jittered_backoff())
    names = [secret["name"] for secret in wanted_secrets]
    try:
        current = read_secrets(client, names)
    except SecretReadError as e:
        module.fail_json(msg="reading the secrets failed, nothing was changed: %s" % e)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="reading the secrets %s failed, nothing was changed" % ", ".join(names))

    results, before, after = [], {}, {}
    for wanted in wanted_secrets:
        name, existing = wanted["name"], current.get(wanted["name"])
        plan = secret_plan(wanted, existing, module.params["purge_tags"])
        changed = changes(plan)
        arn = existing["arn"] if existing else None
        if changed:
            before[name], after[name] = _before(existing), _after(existing, wanted, plan)
            if not module.check_mode:
                try:
                    arn = apply(client, wanted, existing, plan)
                except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                    module.fail_json_aws(e, msg="writing the secret %s failed" % name,
                                         secrets=results)
        results.append(dict(name=name, arn=arn, changed=changed, created=plan["create"], restored=plan["restore"],
                            value_changed=plan["create"] or plan["value"]))

    result = dict(changed=any(secret["changed"] for secret in results), secrets=results)
    if module._diff:
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
