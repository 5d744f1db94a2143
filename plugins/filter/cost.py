# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The monthly cost estimate of a target, over plugins/module_utils/cost.py (unit-tested).

  {{ values | dbfleet.aws.cost_estimate(price_table) }}

values: the target's planned variables and cost_<name> assumptions (playbooks/tasks/cost.yml
reads them); the result is {problems: [...]} when an input breaks a rule, else the estimate.
"""

from ansible_collections.dbfleet.aws.plugins.module_utils import cost


def cost_estimate(values, table):
    values = dict(values)
    found = cost.problems(values, table)
    return {"problems": found} if found else cost.estimate(values, table)


class FilterModule:
    def filters(self):
        return {"cost_estimate": cost_estimate}
