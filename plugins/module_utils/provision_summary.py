# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The short summary of one target that playbooks/provision.yml ends with, from the results
the roles record (rds_result, elasticache_result, db_users_result, alarms_result, dr_result;
names, endpoints and statuses, never a secret value). A role that did not run is left out."""


def _rds(result):
    statuses = sorted(set((result.get("parameter_apply_status") or {}).values()))
    return {
        "writer": "%s %s:%s" % (result["identifier"], result.get("address") or "-", result.get("port")),
        "replicas": dict(result.get("replicas") or {}),
        "secrets": [result["master_secret_name"], result["connection_secret_name"]],
        "parameter_group": "%s (%s)" % (result["parameter_group_name"], ", ".join(statuses) or "not attached"),
        "pending_reboot": list(result.get("pending_reboot") or []),
    }


def _elasticache(result):
    return {
        "group": "%s %s %s, %s" % (result["replication_group_id"], result["engine"], result["engine_version"],
                                   result.get("status") or "-"),
        "primary": "%s:%s" % (result.get("primary_endpoint") or "-", result.get("port")),
        "reader": "%s:%s" % (result.get("reader_endpoint") or "-", result.get("reader_port")),
        "secrets": [name for name in (result.get("auth_secret_name"), result["connection_secret_name"]) if name],
        "parameter_group": result["parameter_group_name"],
        "pending_reboot": list(result.get("pending_reboot") or []),
    }


def changes(rds=None, elasticache=None, db_users=None, alarms=None, dr=None):
    """What this run changed, as the roles report it: one line per kind of change."""
    changes = []
    for label, names in (
            ("RDS writer settings", (rds or {}).get("corrected_settings")),
            ("RDS parameters", (rds or {}).get("changed_parameters")),
            ("ElastiCache parameters", (elasticache or {}).get("changed_parameters")),
            ("database users", (db_users or {}).get("changed_users")),
            ("user secrets", (db_users or {}).get("changed_secrets")),
            ("alarms created", (alarms or {}).get("created")),
            ("alarms updated", (alarms or {}).get("updated")),
            ("alarms deleted", (alarms or {}).get("deleted")),
            ("RDS snapshots deleted", (dr or {}).get("rds_snapshots_deleted")),
            ("Redis snapshots deleted", (dr or {}).get("elasticache_snapshots_deleted"))):
        if names:
            changes.append("%s: %s" % (label, ", ".join(sorted(names))))
    return changes


def provision_summary(rds=None, elasticache=None, db_users=None, alarms=None, dr=None):
    summary = {}
    if rds:
        summary["rds"] = _rds(rds)
    if elasticache:
        summary["elasticache"] = _elasticache(elasticache)
    if db_users:
        summary["users"] = sorted(db_users.get("users") or {})
    if alarms:
        summary["alarms"] = "%d alarms, %s%s" % (
            len(alarms.get("alarms") or []),
            "topic %s" % alarms["topic_arn"] if alarms.get("topic_arn") else "no topic",
            ", dashboard %s" % alarms["dashboard"] if alarms.get("dashboard") else "")
    if dr:
        summary["dr"] = "RPO now %s s (target %s min)%s" % (
            dr.get("rpo_seconds_now"), dr.get("rpo_minutes"),
            ", replica %s" % dr["replica"] if dr.get("replica") else "")
    summary["changed"] = changes(rds, elasticache, db_users, alarms, dr) or ["nothing reported by the roles"]
    return summary
