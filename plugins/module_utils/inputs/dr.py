# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Rules of the dr role's variables (roles/dr/meta/argument_specs.yml has their types).
The retention policies follow the snapshot lifecycle modules' rule."""

from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.common import aws_name
from ansible_collections.dbfleet.aws.plugins.module_utils.snapshot_retention import validate_policy

POLICIES = ("dr_rds_snapshot_retention", "dr_elasticache_snapshot_retention", "dr_copy_retention")


def problems(values):
    """Every rule of the dr role's variables that values break."""
    found = []
    for name in POLICIES:
        if values.get(name) is not None:
            found += validate_policy(values[name], name)
    for name in ("dr_rto_minutes", "dr_rpo_minutes"):
        if values.get(name) is not None and values[name] < 1:
            found.append("%s: must be at least 1 (got %d)" % (name, values[name]))
    region, copy_region = values.get("dbfleet_region"), values.get("dr_copy_region")
    if copy_region and copy_region == region:
        found.append("dr_copy_region: must differ from dbfleet_region %s" % region)
    if values.get("dr_copy_retention") and not copy_region:
        found.append("dr_copy_retention: needs dr_copy_region")
    if values.get("dr_replica_enabled"):
        replica_region = values.get("dr_replica_region")
        if not replica_region or replica_region == region:
            found.append("dr_replica_region: dr_replica_enabled needs a region other than dbfleet_region %s (got %r)"
                         % (region, replica_region))
        found += aws_name(values, "dr_replica_identifier", 63)
    return found
