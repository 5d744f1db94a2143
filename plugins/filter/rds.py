# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters of the rds role, over plugins/module_utils/rds_instances.py (unit-tested).

  {{ rds_read_replicas | dbfleet.aws.rds_replica_specs(rds_read_replica_count, rds_identifier,
                                                      rds_replica_instance_class) }}
  {{ rds_instances | dbfleet.aws.rds_instances_pending_reboot }}
  {{ rds_writer_before.instances | first | default({}) | dbfleet.aws.rds_instance_drift(rds_instance_desired_settings) }}
  {{ rds_instances | dbfleet.aws.rds_endpoints }}
  {{ rds_instances | dbfleet.aws.rds_parameter_apply_status }}
  {{ {'identifier': ..., 'address': ..., 'port': ...} | dbfleet.aws.rds_connection_secret(credentials, dbname,
                                                                                        key_names, driver) }}
"""

from ansible_collections.dbfleet.aws.plugins.module_utils.rds_instances import connection_secret
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_instances import endpoints
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_instances import instance_drift
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_instances import instances_pending_reboot
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_instances import parameter_apply_status
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_instances import replica_specs


def _replica_specs(read_replicas, read_replica_count, identifier, replica_instance_class):
    return replica_specs({"rds_read_replicas": read_replicas, "rds_read_replica_count": int(read_replica_count),
                          "rds_identifier": identifier, "rds_replica_instance_class": replica_instance_class})


class FilterModule:
    def filters(self):
        return {
            "rds_replica_specs": _replica_specs,
            "rds_instances_pending_reboot": instances_pending_reboot,
            "rds_instance_drift": instance_drift,
            "rds_endpoints": endpoints,
            "rds_parameter_apply_status": parameter_apply_status,
            "rds_connection_secret": connection_secret,
        }
