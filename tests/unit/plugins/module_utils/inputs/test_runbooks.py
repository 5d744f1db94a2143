"""The runbooks' input rules (plugins/module_utils/inputs/runbooks.py)."""

import pytest

from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.runbooks import boolean_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.inputs.runbooks import problems


@pytest.mark.parametrize("value", [True, False, "true", "False", "yes", "no", "on", "off", "1", "0", 1, 0])
def test_booleans_the_command_line_gives(value):
    assert boolean_problems("switch", value) == []


@pytest.mark.parametrize("value", ["maybe", "", "2", 2, None, []])
def test_anything_else_is_not_a_boolean(value):
    assert boolean_problems("switch", value) == ["switch: must be true or false (got %r)" % (value,)]


def test_failover_target_and_region_without_a_replica():
    assert problems("failover", {"target": "rds"}) == []
    assert problems("failover", {"target": "zone"}) == ["target: must be one of rds, redis, region (got 'zone')"]
    # Before the dr variables are known, region is only a valid target.
    assert problems("failover", {"target": "region"}) == []
    assert problems("failover", {"target": "region", "dr_replica_hosts": ["prod-us-east-1"]}) == []
    (problem,) = problems("failover", {"target": "region", "dr_replica_hosts": []})
    assert problem.startswith("target: region fails over to the DR replica") and "nothing to fail over to" in problem


def test_report_drift_is_a_boolean():
    assert problems("report", {"drift": "true"}) == problems("report", {}) == []
    assert problems("report", {"drift": "perhaps"}) == ["drift: must be true or false (got 'perhaps')"]


def test_snapshot_inputs():
    assert problems("snapshot", {"target": "all", "purpose": "pre-deploy"}) == []
    assert problems("snapshot", {"target": "db", "purpose": "-x"}) == [
        "target: must be one of all, rds, redis (got 'db')",
        "purpose: must be 1-64 letters, digits or hyphens, starting with a letter or digit (got '-x')"]


GOOD_RESTORE = {"target": "rds", "mode": "pitr", "restore_time": "2026-01-15T10:00:00Z", "snapshot": "",
                "restore_identifier": "app-restored", "switch": "true", "tables": ["public.orders"],
                "expect_rows": {"public.orders": 10}}


def test_a_good_restore_request_passes():
    assert problems("restore", GOOD_RESTORE) == []


@pytest.mark.parametrize("changes, expected", [
    ({"switch": "maybe"}, ["switch: must be true or false (got 'maybe')"]),
    ({"target": "redis", "mode": "snapshot", "snapshot": "s", "restore_time": "", "tables": [], "expect_rows": {}},
     ["switch: only with target=rds"]),
    ({"target": "redis", "switch": False, "restore_identifier": "a" * 41},
     ["mode: redis restores a snapshot only (mode=snapshot)",
      "restore_identifier: must be 1-40 lowercase letters, digits or single hyphens, starting with a letter "
      "(got '%s')" % ("a" * 41)]),
    ({"mode": "snapshot"}, ["snapshot: required with mode=snapshot", "restore_time: only with mode=pitr"]),
    ({"restore_time": "2026-01-15 10:00"},
     ["restore_time: must be UTC ISO 8601, YYYY-MM-DDTHH:MM:SSZ (got '2026-01-15 10:00')"]),
    ({"restore_identifier": "app--restored"},
     ["restore_identifier: must be 1-63 lowercase letters, digits or single hyphens, starting with a letter "
      "(got 'app--restored')"]),
    ({"tables": ["x; DROP TABLE y"], "expect_rows": {"public.orders": 1}},
     ["tables: x; DROP TABLE y must be table or schema.table (letters, digits, underscores)",
      "expect_rows: public.orders is not in tables"]),
], ids=["switch-maybe", "switch-redis", "redis-pitr-long-id", "snapshot-without-id", "time-format", "double-hyphen",
        "tables"])
def test_each_broken_restore_rule_is_named(changes, expected):
    assert problems("restore", {**GOOD_RESTORE, **changes}) == expected


def test_rotate_credentials_names_only_the_broken_rules():
    assert problems("rotate_credentials", {"targets": ["master", "users", "redis"], "redis_phase": "both"}) == []
    assert problems("rotate_credentials", {"targets": ["master", "keys"], "redis_phase": "both"}) == [
        "rotate_targets: must list master, users or redis (got 'keys')"]
    assert problems("rotate_credentials", {"targets": ["redis"], "redis_phase": "later"}) == [
        "rotate_redis_phase: must be one of both, rotate, set (got 'later')"]


def test_maintenance_inputs_from_the_command_line_are_numbers_and_booleans():
    assert problems("maintenance", {"apply": "true", "terminate_idle_in_transaction": "no",
                                    "long_running_seconds": "60", "bloat_ratio": "0.5",
                                    "table_thresholds": {"public.events": {"vacuum_scale_factor": 0.01}},
                                    "databases": ["app"]}) == []


def test_each_broken_maintenance_rule_names_its_variable():
    assert problems("maintenance", {"apply": "sometimes", "long_running_seconds": "0", "bloat_ratio": 2,
                                    "top_queries": "ten", "table_thresholds": {"events": {"vacuum_limit": 1}},
                                    "databases": "app"}) == [
        "apply: must be true or false (got 'sometimes')",
        "maintenance_bloat_ratio: must be from 0 to 1 (got 2)",
        "maintenance_long_running_seconds: must be from 1 up (got 0)",
        "maintenance_top_queries: must be a whole number (got 'ten')",
        "maintenance_table_thresholds.events: the table must be schema.table",
        "maintenance_table_thresholds.events.vacuum_limit: unknown threshold; a table sets vacuum_threshold, "
        "vacuum_scale_factor, analyze_threshold, analyze_scale_factor",
        "maintenance_databases: must be a list of database names (got 'app')",
    ]


def test_migrate_needs_a_source_or_its_secret():
    assert problems("migrate", {"source_secret": "aldeia/prod/supabase", "jobs": "8",
                                "allow_non_empty_target": "false"}) == []
    assert problems("migrate", {"source_host": "db.abcd.supabase.co", "source_user": "postgres",
                                "source_database": "postgres", "source_password_given": True}) == []
    assert problems("migrate", {"source_host": "db.abcd.supabase.co"}) == [
        "source_user: required without source_secret", "source_database: required without source_secret",
        "source_password: required without source_secret (-e @vault.yml, or the survey's password)"]
    assert problems("migrate", {"source_secret": "not a name!", "source_port": "0",
                                "allow_non_empty_target": "sometimes"}) == [
        "source_secret: must be a Secrets Manager name (letters, digits, /_+=.@-) (got 'not a name!')",
        "source_port: must be a port from 1 to 65535 (got 0)",
        "allow_non_empty_target: must be true or false (got 'sometimes')"]
