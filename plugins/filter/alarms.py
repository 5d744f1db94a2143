# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters of the alarms role: the alarm set and the dashboard body, computed in Python.

  {{ instances | dbfleet.aws.rds_alarms(prefix, settings, common) }}
  {{ member_clusters | dbfleet.aws.redis_alarms(prefix, settings, common) }}
  {{ region | dbfleet.aws.alarms_dashboard_body(db_instances, replicas, cache_clusters) }}

The logic lives in plugins/module_utils/alarm_specs.py and dashboards.py (unit-tested).
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.dbfleet.aws.plugins.module_utils.alarm_specs import rds_alarms
from ansible_collections.dbfleet.aws.plugins.module_utils.alarm_specs import redis_alarms
from ansible_collections.dbfleet.aws.plugins.module_utils.dashboards import dashboard_body


def _rds_alarms(instances, prefix, settings, common):
    try:
        return rds_alarms(prefix, instances, settings, common)
    except (KeyError, TypeError, ValueError) as e:
        raise AnsibleFilterError("rds_alarms: %s" % e)


def _redis_alarms(clusters, prefix, settings, common):
    try:
        return redis_alarms(prefix, clusters, settings, common)
    except (KeyError, TypeError, ValueError) as e:
        raise AnsibleFilterError("redis_alarms: %s" % e)


def _dashboard_body(region, db_instances, replicas, cache_clusters):
    return dashboard_body(region, list(db_instances), list(replicas), list(cache_clusters))


class FilterModule(object):
    def filters(self):
        return {
            "rds_alarms": _rds_alarms,
            "redis_alarms": _redis_alarms,
            "alarms_dashboard_body": _dashboard_body,
        }
