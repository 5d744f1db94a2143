# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters of the db_users role, over plugins/module_utils/db_users.py (unit-tested).

  {{ db_users_list | dbfleet.aws.db_users_specs(default_database, default_schemas, secret_prefix) }}
  {{ db_users_specs | dbfleet.aws.db_users_grant_plan }}
  {{ db_users_rls_policies | dbfleet.aws.db_users_policy_specs(default_database) }}
  {{ db_users_rls_state.results | dbfleet.aws.db_users_rls_plan(db_users_policy_specs) }}
  {{ db_users_specs | dbfleet.aws.db_users_passwords(db_users_stored, db_users_rotate, db_users_password_length) }}
  {{ db_users_specs | dbfleet.aws.db_users_iam_connect_policy(instance_arn, dbi_resource_id) }}
  {{ db_users_specs | dbfleet.aws.db_users_secrets(passwords, login, instance, url_ssl_mode, kms_key_id, tags) }}
"""

from ansible_collections.dbfleet.aws.plugins.module_utils.db_users import choose_passwords
from ansible_collections.dbfleet.aws.plugins.module_utils.db_users import grant_plan
from ansible_collections.dbfleet.aws.plugins.module_utils.db_users import iam_connect_policy
from ansible_collections.dbfleet.aws.plugins.module_utils.db_users import policy_specs
from ansible_collections.dbfleet.aws.plugins.module_utils.db_users import rls_plan
from ansible_collections.dbfleet.aws.plugins.module_utils.db_users import user_secrets
from ansible_collections.dbfleet.aws.plugins.module_utils.db_users import user_specs


def _iam_connect_policy(specs, instance_arn, dbi_resource_id):
    return iam_connect_policy(instance_arn, dbi_resource_id, specs)


class FilterModule:
    def filters(self):
        return {
            "db_users_specs": user_specs,
            "db_users_grant_plan": grant_plan,
            "db_users_policy_specs": policy_specs,
            "db_users_rls_plan": rls_plan,
            "db_users_passwords": choose_passwords,
            "db_users_iam_connect_policy": _iam_connect_policy,
            "db_users_secrets": user_secrets,
        }
