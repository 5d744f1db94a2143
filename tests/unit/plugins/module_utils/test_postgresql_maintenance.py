"""What the maintenance statistics call for (plugins/module_utils/postgresql_maintenance.py)."""

from pathlib import Path

import pytest
import yaml

from ansible_collections.dbfleet.aws.plugins.module_utils import postgresql_maintenance as rules

REPO = Path(__file__).resolve().parents[4]
DEFAULTS = rules.thresholds_of({})


def table(name, live, dead, modified=0, size=0, **measured):
    return dict(table=name, live_rows=live, dead_rows=dead, modified_rows=modified, table_bytes=size, **measured)


def test_vacuum_and_analyze_are_due_as_autovacuum_would_decide_with_the_runbooks_thresholds():
    tables = [table("public.events", 10000, 2001), table("public.users", 10000, 2000, modified=1501),
              table("public.quiet", 10000, 2000, modified=1500)]
    assert rules.vacuum_plan(tables, DEFAULTS) == [
        {"table": "public.events", "action": "VACUUM (ANALYZE)",
         "reason": "2001 dead rows > 2000 (1000 + 0.1 x 10000 live)"},
        {"table": "public.users", "action": "ANALYZE",
         "reason": "1501 rows changed since the last ANALYZE > 1500 (1000 + 0.05 x 10000 live)"}]


def test_a_table_threshold_overrides_the_defaults_for_that_table_only():
    tables = [table("public.events", 100000, 1500), table("public.other", 100000, 1500)]
    planned = rules.vacuum_plan(tables, DEFAULTS, {"public.events": {"vacuum_scale_factor": 0.0}})
    assert [entry["table"] for entry in planned] == ["public.events"]


def test_table_bloat_from_pgstattuple_or_estimated_from_dead_rows():
    measured = table("public.a", 1000, 0, size=20 << 20, dead_tuple_bytes=2 << 20, free_bytes=6 << 20)
    assert rules.table_bloat(measured, DEFAULTS) == {
        "table": "public.a", "bytes": 20 << 20, "wasted_bytes": 8 << 20, "ratio": 0.4, "source": "pgstattuple_approx"}
    estimated = table("public.b", 600, 400, size=20 << 20)
    assert rules.table_bloat(estimated, DEFAULTS)["source"] == "statistics (dead rows)"
    assert rules.table_bloat(estimated, DEFAULTS)["ratio"] == 0.4
    # Below the ratio, or too small to matter: nothing.
    assert rules.table_bloat(table("public.c", 900, 100, size=20 << 20), DEFAULTS) is None
    assert rules.table_bloat(table("public.d", 0, 1000, size=1 << 20), DEFAULTS) is None


def test_index_bloat_against_the_density_of_a_fresh_btree():
    row = dict(index="public.i", table="public.t", bytes=40 << 20)
    assert rules.index_bloat(dict(row, avg_leaf_density=90.0), DEFAULTS) is None
    found = rules.index_bloat(dict(row, avg_leaf_density=18.0), DEFAULTS)
    assert (found["ratio"], found["wasted_bytes"]) == (0.8, 32 << 20)
    assert rules.index_bloat(dict(row, avg_leaf_density=float("nan")), DEFAULTS) is None


def test_duplicate_indexes_keep_the_one_behind_a_constraint():
    def index(name, key, unique=False, constraint=False):
        return dict(index=name, table="public.t", key=key, unique=unique, constraint=constraint, bytes=100)
    groups = rules.duplicate_indexes([index("public.t_b", "k1"), index("public.t_pkey", "k1", True, True),
                                      index("public.t_a", "k1"), index("public.t_other", "k2")])
    assert groups == [{"table": "public.t", "indexes": ["public.t_pkey", "public.t_a", "public.t_b"],
                       "drop": ["public.t_a", "public.t_b"], "bytes": 200}]


def test_wraparound_status_against_freeze_max_age_and_the_critical_age():
    found = rules.wraparound([dict(database="a", age=150000000, multixact_age=0),
                              dict(database="b", age=1200000000, multixact_age=0),
                              dict(database="c", age=250000000, multixact_age=0)], 200000000, 1000000000)
    assert [(row["database"], row["status"], row["percent_to_wraparound"]) for row in found] == [
        ("b", "critical", 55.88), ("c", "warning", 11.64), ("a", "ok", 6.98)]


@pytest.mark.parametrize("text, shown", [
    ("ALTER ROLE app PASSWORD 'hunter2'", "ALTER ROLE app PASSWORD '***'"),
    ("CREATE USER MAPPING FOR x SERVER s OPTIONS (user 'u', password 'it''s')",
     "CREATE USER MAPPING FOR x SERVER s OPTIONS (user '***', password '***')"),
    ("ALTER USER app WITH PASSWORD 'cut off by track_activity_query_si", "ALTER USER app WITH PASSWORD '***'"),
    ("SELECT * FROM t WHERE name = 'kept'", "SELECT * FROM t WHERE name = 'kept'"),
])
def test_query_texts_lose_the_literals_that_could_be_secrets(text, shown):
    assert rules.safe_query_text(text) == shown


def test_long_query_texts_are_cut():
    assert len(rules.safe_query_text("SELECT " + "x" * 1000)) == rules.QUERY_TEXT_LIMIT + 3


def test_the_runbook_reads_every_threshold_of_the_module():
    play = yaml.safe_load((REPO / "playbooks/maintenance.yml").read_text())[0]
    assert play["vars"]["maintenance_threshold_variables"] == (
        ["maintenance_" + name for name in rules.THRESHOLDS] + ["maintenance_table_thresholds"])
