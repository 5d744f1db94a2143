# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The rules of each role's variables that their argument specs cannot express, one
module per role. Each has problems(values) -> ["<variable>: <rule>", ...] over the
variables as the argument spec converted them; a variable left out (unset, or of the
wrong type and reported as such) skips the rules that need it. The preflight action
(plugins/action/preflight.py) runs them for every role before any AWS call."""
