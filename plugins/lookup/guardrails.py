# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: guardrails
author:
  - dbfleet maintainers (@dbfleet)
short_description: Evaluate an environment's guardrail policy over the role variables
description:
  - Checks the effective value of every variable a policy rule names, that is the inventory
    value or the default of the collection role the variable belongs to (C(rds_*) from the
    C(rds) role, C(elasticache_*) from the C(elasticache) role, and so on).
  - Reports every violation at once, each naming its rule and its variable, and accepts a
    violation only through a waiver that names the rule and gives a reason.
  - Rules on the variables of a role that is disabled on the host (C(rds_enabled=false),
    C(elasticache_enabled=false)) are skipped.
  - Makes no AWS call; C(playbooks/provision.yml) runs it first, in its preflight.
options:
  policy:
    description:
      - The rules, usually O(policy=dbfleet_guardrails) from the inventory.
      - Each rule has C(rule) (its name), C(variable), optionally C(key) (for a dict variable
        such as C(rds_parameters)) and C(description), and at least one check
        C(equals), C(min), C(max), C(one_of) or C(private=true) (a list of CIDRs holding
        private networks only).
    type: list
    elements: dict
    required: true
  waivers:
    description:
      - Accepted violations, usually O(waivers=dbfleet_guardrail_waivers), each
        C({rule, reason}). A waiver of an unknown rule or without a reason is an error.
    type: list
    elements: dict
    default: []
"""

EXAMPLES = r"""
- name: Enforce the guardrails of this environment
  ansible.builtin.assert:
    that: report.ok
    fail_msg: "{{ report.message }}"
    success_msg: "{{ report.message }}"
  vars:
    report: "{{ lookup('dbfleet.aws.guardrails', policy=dbfleet_guardrails, waivers=dbfleet_guardrail_waivers | default([])) }}"
"""

RETURN = r"""
_raw:
  description: One report.
  type: list
  elements: dict
  contains:
    ok:
      description: No violation and no error.
      type: bool
    environment:
      description: The value of C(dbfleet_environment).
      type: str
    rules:
      description: Number of rules in the policy.
      type: int
    passed:
      description: Names of the rules that pass.
      type: list
      elements: str
    skipped:
      description: Names of the rules skipped because their role is disabled on the host.
      type: list
      elements: str
    violations:
      description: Violated rules without a waiver, each with C(rule), C(variable) and C(message).
      type: list
      elements: dict
    waived:
      description: Violated rules accepted by a waiver, as in RV(_raw.violations) plus C(reason).
      type: list
      elements: dict
    unused_waivers:
      description: Waived rules that pass anyway.
      type: list
      elements: str
    errors:
      description: Problems of the policy or the waivers themselves.
      type: list
      elements: str
    message:
      description: The report as lines for the operator.
      type: str
"""

import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.dbfleet.aws.plugins.plugin_utils.guardrails import evaluate

ROLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "roles")


class LookupModule(LookupBase):

    def _role_defaults(self):
        """{role name: its defaults/main.yml} for every role of this collection."""
        defaults = {}
        for role in sorted(os.listdir(ROLES_DIR)) if os.path.isdir(ROLES_DIR) else []:
            path = os.path.join(ROLES_DIR, role, "defaults", "main.yml")
            if os.path.isfile(path):
                defaults[role] = self._loader.load_from_file(path) or {}
        return defaults

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        policy = self.get_option("policy")
        variables = variables or {}
        role_defaults = self._role_defaults()
        # Role defaults sit below every inventory and play variable, as in the roles.
        scope = {}
        for values in role_defaults.values():
            scope.update(values)
        scope.update(variables)
        templar = self._templar.copy_with_new_env(available_variables=scope)
        names = set(rule.get("variable") for rule in policy if isinstance(rule, dict))
        names.update("%s_enabled" % role for role in role_defaults)
        values = {}
        for name in names:
            if isinstance(name, str) and name in scope:
                try:
                    values[name] = templar.template(scope[name])
                except Exception as error:  # an undefined variable inside the value
                    raise AnsibleLookupError("guardrails: cannot evaluate %s: %s" % (name, error)) from error
        disabled = ["%s_" % role for role in role_defaults
                    if values.get("%s_enabled" % role, True) in (False, "false", "False")]
        environment = templar.template(scope.get("dbfleet_environment", ""))
        return [evaluate(policy, self.get_option("waivers"), values, environment, disabled)]
