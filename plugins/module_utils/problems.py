# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One error listing every validation problem, the way every dbfleet.aws module reports bad input."""


def fail_with_problems(module, problems, outcome=" with the arguments, nothing was changed"):
    """`outcome` follows "<n> problem(s)" in the message, e.g. ", no failover was made"."""
    module.fail_json(msg="%d problem(s)%s: %s" % (len(problems), outcome, "; ".join(problems)), problems=problems)
