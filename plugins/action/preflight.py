# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""dbfleet.aws.preflight: every variable of the named roles checked on the controller,
before any AWS call, and one failure listing every problem.

Each role's variables are its argument spec's options, taken from the play's variables over
the role's defaults and templated. The argument spec converts and checks their types, then
plugins/module_utils/inputs/<role>.py checks what types cannot express (ranges, formats,
combinations). Only when all of that holds, read-only calls (dbfleet.aws.engine_options_info,
once per role) check instance classes, node types, parameters and the running engine
version against what AWS offers and what runs. A role whose <role>_enabled is false is left out. A
passed role is added to the fact dbfleet_preflight_passed, so that the role's own first task
skips the same check; `offerings: false` (the runbooks) leaves out the reads and marks no
role as passed; `placeholders: true` (playbooks/cost.yml, which makes no AWS call) takes
the inventories' placeholder ids. The AWS connection options (region, endpoint_url, ...) are the task's,
usually from module_defaults for group/dbfleet.aws.aws, and go to the modules it runs.

    - name: Check the variables of every role
      dbfleet.aws.preflight:
        roles: [rds, elasticache]
"""

import re
from pathlib import Path

from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.dict_transformations import snake_dict_to_camel_dict
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.dbfleet.aws.plugins.module_utils.inputs import alarms
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs import db_users
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs import dr
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs import elasticache
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs import rds
from ansible_collections.dbfleet.aws.plugins.module_utils.elasticache_parameters import spec_from_elasticache
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import Values
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_parameters import spec_from_rds

COLLECTION_ROOT = Path(__file__).resolve().parents[2]
# The rules of each role; a module's CONTEXT names the other roles' variables its rules read.
RULES = {"rds": rds, "elasticache": elasticache, "db_users": db_users, "alarms": alarms, "dr": dr}
# The roles whose variables are also checked against what AWS offers.
OFFERINGS = ("rds", "elasticache")
PASSED_FACT = "dbfleet_preflight_passed"
# The variable an argument-spec error is about: quoted ("argument 'rds_port' is of type
# str ...") or not ("value of rds_state must be one of: ...").
_NAME = re.compile(r"\b([a-z][a-z0-9_]*)\b")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        connection_args = dict(self._task.args)
        roles = connection_args.pop("roles", None) or list(RULES)
        offerings = boolean(connection_args.pop("offerings", True), strict=True)
        placeholders = boolean(connection_args.pop("placeholders", False), strict=True)
        unknown = [role for role in roles if role not in RULES]
        if unknown:
            raise AnsibleError("dbfleet.aws.preflight: roles: unknown role(s) %s; known: %s"
                               % (", ".join(unknown), ", ".join(RULES)))
        problems, passed, checked = [], list(task_vars.get(PASSED_FACT) or []), {}
        for role in roles:
            options = self._argument_spec(role)
            values, role_problems = self._role_values(role, options, task_vars)
            if values.get(role + "_enabled") is False:
                continue
            role_problems += self._checked(role, options, values, placeholders)
            problems += role_problems
            checked[role] = values
        if problems:
            result.update(failed=True, problems=problems,
                          msg="%d problem(s) with the variables, before any AWS call: %s"
                              % (len(problems), "; ".join(problems)))
            return result
        # Without the reads (the runbooks), no role counts as passed for the roles' own check.
        for role, values in checked.items() if offerings else ():
            role_problems = self._offering_problems(role, values, connection_args, task_vars) if role in OFFERINGS else []
            problems += role_problems
            if not role_problems and role not in passed:
                passed.append(role)
        if problems:
            result.update(failed=True, problems=problems,
                          msg="%d problem(s) with the variables against what AWS offers, before any change: %s"
                              % (len(problems), "; ".join(problems)))
        else:
            result.update(changed=False, ansible_facts={PASSED_FACT: passed},
                          msg="the variables of %s pass every rule%s"
                              % (", ".join(checked), "" if offerings else " that needs no AWS call"))
        return result

    def _offering_problems(self, role, values, connection_args, task_vars):
        """The role's rules over what AWS offers, read with read-only modules."""
        if role == "rds":
            if values.get("rds_state") == "absent":
                return []
            options = self._module("dbfleet.aws.engine_options_info", connection_args, task_vars, engine="postgres",
                                   engine_version=values["rds_engine_version"],
                                   parameter_group_family=values["rds_parameter_group_family"],
                                   instance_classes=rds.instance_classes_used(values),
                                   db_instance_identifier=values["rds_identifier"])
            running = options["db_instance"]
            return rds.offering_problems(values, options["instance_classes"], _specs(options, spec_from_rds),
                                         running["engine_version"] if running else None)
        options = self._module("dbfleet.aws.engine_options_info", connection_args, task_vars,
                               engine=values["elasticache_engine"],
                               parameter_group_family=values["elasticache_parameter_group_family"],
                               replication_group_id=values["elasticache_replication_group_id"])
        return elasticache.offering_problems(values, options["instance_classes"],
                                             _specs(options, spec_from_elasticache), options["replication_group"])

    def _module(self, name, connection_args, task_vars, **args):
        result = self._execute_module(module_name=name, module_args=dict(connection_args, **args),
                                      task_vars=task_vars)
        if result.get("failed"):
            # A module that crashed has no msg: its traceback or output says why.
            reason = result.get("msg") or result.get("exception") or result.get("module_stderr")
            raise AnsibleError("dbfleet.aws.preflight: %s failed: %s" % (name, reason))
        return result

    def _argument_spec(self, role):
        spec = self._loader.load_from_file(str(COLLECTION_ROOT / "roles" / role / "meta" / "argument_specs.yml"))
        return spec["argument_specs"]["main"]["options"]

    def _role_values(self, role, options, task_vars):
        """The role's variables as a play of the role sees them: the play's over the role's
        defaults, templated. A variable that cannot be templated is a problem of its own."""
        defaults = self._loader.load_from_file(str(COLLECTION_ROOT / "roles" / role / "defaults" / "main.yml"),
                                               trusted_as_template=True) or {}
        available = {**defaults, **task_vars}
        templar = self._templar.copy_with_new_env(available_variables=available)
        values, problems = {}, []
        for name in list(options) + list(getattr(RULES[role], "CONTEXT", ())):
            if name not in available:
                continue
            try:
                values[name] = templar.template(available[name])
            except AnsibleError as error:
                problems.append("%s: cannot be evaluated: %s" % (name, error.message))
        return values, problems

    @staticmethod
    def _checked(role, options, values, placeholders=False):
        """Type problems from the argument spec, then the role's rules over the variables
        whose types were right."""
        validated = ArgumentSpecValidator(options).validate(dict((name, value) for name, value in values.items()
                                                                 if name in options))
        problems, wrong = [], set()
        for error in validated.errors:
            message = str(error)
            names = [name for name in _NAME.findall(message) if name in options]
            wrong.update(names)
            problems.append("%s: %s" % (names[0], message) if names else message)
        right = Values((name, value) for name, value in validated.validated_parameters.items()
                       if name not in wrong and name in values)
        right.update((name, values[name]) for name in getattr(RULES[role], "CONTEXT", ()) if name in values)
        right.placeholders_allowed = placeholders
        return problems + RULES[role].problems(right)


def _specs(options, spec_from_aws):
    """{name: ParameterSpec} from engine_options_info's parameters (snake case)."""
    return dict((parameter["parameter_name"], spec_from_aws(snake_dict_to_camel_dict(parameter, capitalize_first=True)))
                for parameter in options["parameters"])
