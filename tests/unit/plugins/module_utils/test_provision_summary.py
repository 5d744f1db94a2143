"""The summary provision.yml ends with (plugins/module_utils/provision_summary.py)."""

from ansible_collections.dbfleet.aws.plugins.module_utils.provision_summary import provision_summary

RDS = {"identifier": "app-prod", "address": "app-prod.x.rds.amazonaws.com", "port": 5432,
       "replicas": {"app-prod-replica-1": "app-prod-replica-1.x.rds.amazonaws.com:5432"},
       "master_secret_name": "app/prod/rds/master", "connection_secret_name": "app/prod/rds/credentials",
       "parameter_group_name": "app-prod-postgres15",
       "parameter_apply_status": {"app-prod": "pending-reboot", "app-prod-replica-1": "in-sync"},
       "pending_reboot": ["app-prod"], "changed_parameters": ["max_connections"],
       "corrected_settings": ["backup_retention_period"]}
ELASTICACHE = {"replication_group_id": "app-prod", "engine": "valkey", "engine_version": "8.0", "status": "available",
               "primary_endpoint": "p.cache", "port": 6379, "reader_endpoint": "r.cache", "reader_port": 6379,
               "auth_secret_name": "", "connection_secret_name": "app/prod/redis/connection",
               "parameter_group_name": "app-prod-valkey8", "pending_reboot": [], "changed_parameters": []}


def test_every_role_in_a_few_lines():
    summary = provision_summary(RDS, ELASTICACHE, {"users": {"app": "s1", "ro": "s2"}, "changed_users": ["ro"]},
                                {"alarms": ["a", "b"], "topic_arn": "arn:t", "dashboard": "", "created": ["b"]},
                                {"rpo_seconds_now": 42, "rpo_minutes": 15, "replica": "app-prod-dr"})
    assert summary["rds"] == {
        "writer": "app-prod app-prod.x.rds.amazonaws.com:5432",
        "replicas": {"app-prod-replica-1": "app-prod-replica-1.x.rds.amazonaws.com:5432"},
        "secrets": ["app/prod/rds/master", "app/prod/rds/credentials"],
        "parameter_group": "app-prod-postgres15 (in-sync, pending-reboot)",
        "pending_reboot": ["app-prod"]}
    assert summary["elasticache"]["group"] == "app-prod valkey 8.0, available"
    assert summary["elasticache"]["secrets"] == ["app/prod/redis/connection"]
    assert summary["users"] == ["app", "ro"]
    assert summary["alarms"] == "2 alarms, topic arn:t"
    assert summary["dr"] == "RPO now 42 s (target 15 min), replica app-prod-dr"
    assert summary["changed"] == ["RDS writer settings: backup_retention_period", "RDS parameters: max_connections",
                                  "database users: ro", "alarms created: b"]


def test_roles_that_did_not_run_are_left_out():
    assert provision_summary(None, ELASTICACHE) == {
        "elasticache": provision_summary(None, ELASTICACHE)["elasticache"], "changed": ["nothing reported by the roles"]}
