# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The security group ingress of the rds and elasticache roles, over
plugins/module_utils/ingress.py (unit-tested).

  {{ rds_port | dbfleet.aws.ingress_rules(rds_allowed_security_group_ids, rds_allowed_cidrs, 'PostgreSQL') }}
"""

from ansible_collections.dbfleet.aws.plugins.module_utils.ingress import ingress_rules


class FilterModule:
    def filters(self):
        return {"ingress_rules": ingress_rules}
