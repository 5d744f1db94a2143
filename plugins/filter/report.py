# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The fleet report's figures and chart, over plugins/plugin_utils/fleet_report.py.

  {{ node_info | dbfleet.aws.redis_figures }}
  {{ rows | dbfleet.aws.bar_chart_svg('RPO of the automated backups') }}
"""

from ansible_collections.dbfleet.aws.plugins.plugin_utils.fleet_report import bar_chart_svg
from ansible_collections.dbfleet.aws.plugins.plugin_utils.fleet_report import redis_figures


class FilterModule:
    def filters(self):
        return {"redis_figures": redis_figures, "bar_chart_svg": bar_chart_svg}
