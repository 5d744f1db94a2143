# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The summary playbooks/provision.yml ends with, over plugins/module_utils/provision_summary.py.

  {{ rds_result | default(none) | dbfleet.aws.provision_summary(elasticache_result | default(none), ...) }}
  {{ rds_result | default(none) | dbfleet.aws.provision_changes(elasticache_result | default(none), ...) }}
"""

from ansible_collections.dbfleet.aws.plugins.module_utils.provision_summary import changes
from ansible_collections.dbfleet.aws.plugins.module_utils.provision_summary import provision_summary


def _provision_summary(rds, elasticache=None, db_users=None, alarms=None, dr=None):
    return provision_summary(rds, elasticache, db_users, alarms, dr)


class FilterModule:
    def filters(self):
        return {"provision_summary": _provision_summary, "provision_changes": changes}
