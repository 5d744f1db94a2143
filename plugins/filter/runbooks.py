# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The runbooks' input rules, over plugins/module_utils/inputs/runbooks.py (unit-tested).

  runbook_problems: "{{ {'target': runbook_target, ...} | dbfleet.aws.runbook_problems('failover') }}"
"""

from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.runbooks import problems


def _runbook_problems(inputs, runbook):
    return problems(runbook, dict(inputs))


class FilterModule:
    def filters(self):
        return {"runbook_problems": _runbook_problems}
