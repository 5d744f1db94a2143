"""The snapshot retention engine: rules, their union, max_age_days, protection, edge cases."""

import datetime

import pytest

from ansible_collections.dbfleet.aws.plugins.module_utils.snapshot_retention import plan
from ansible_collections.dbfleet.aws.plugins.module_utils.snapshot_retention import render_name
from ansible_collections.dbfleet.aws.plugins.module_utils.snapshot_retention import validate_identifier
from ansible_collections.dbfleet.aws.plugins.module_utils.snapshot_retention import validate_name_template
from ansible_collections.dbfleet.aws.plugins.module_utils.snapshot_retention import validate_policy

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 3, 15, 12, 0, tzinfo=UTC)  # a Sunday, ISO week 2026-W11


def snap(name, created, source="db", tags=None, kind="manual"):
    return {"id": name, "source": source, "created": created, "tags": tags or {}, "type": kind}


def daily_series(days, hour=3, source="db"):
    """One snapshot per day at `hour` UTC, today first: db-d0 (today), db-d1, ..."""
    return [snap("%s-d%d" % (source, age), NOW.replace(hour=hour) - datetime.timedelta(days=age), source)
            for age in range(days)]


def ids(entries):
    return [entry["id"] for entry in entries]


def reasons(entries):
    return dict((entry["id"], entry["reasons"]) for entry in entries)


def test_empty_policy_keeps_everything():
    keep, delete = plan(daily_series(3), {}, NOW)
    assert ids(keep) == ["db-d0", "db-d1", "db-d2"] and delete == []
    assert keep[0]["reasons"] == ["no retention policy"]


def test_no_snapshots():
    assert plan([], {"keep_last": 3}, NOW) == ([], [])


def test_keep_last_keeps_the_newest_and_explains_the_rest():
    keep, delete = plan(daily_series(5), {"keep_last": 2}, NOW)
    assert ids(keep) == ["db-d0", "db-d1"]
    assert ids(delete) == ["db-d2", "db-d3", "db-d4"]
    assert reasons(keep)["db-d1"] == ["keep_last: 2 of the 2 newest"]
    assert reasons(delete)["db-d4"] == ["selected by no rule of keep_last=2"]


def test_daily_keeps_newest_of_each_day():
    snapshots = [
        snap("morning", NOW.replace(hour=6)),
        snap("noon", NOW.replace(hour=11)),
        snap("yesterday-early", NOW.replace(hour=1) - datetime.timedelta(days=1)),
        snap("yesterday-late", NOW.replace(hour=23) - datetime.timedelta(days=1)),
        snap("two-days", NOW - datetime.timedelta(days=2)),
    ]
    keep, delete = plan(snapshots, {"daily": 2}, NOW)
    assert ids(keep) == ["noon", "yesterday-late"]
    assert reasons(keep)["noon"] == ["daily: newest of 2026-03-15"]
    assert set(ids(delete)) == {"morning", "yesterday-early", "two-days"}


def test_days_are_utc_days_whatever_the_timezone_of_the_input():
    plus_two = datetime.timezone(datetime.timedelta(hours=2))
    # 01:30 at UTC+2 on the 15th is 23:30 UTC on the 14th.
    snapshots = [snap("late-14th-utc", datetime.datetime(2026, 3, 15, 1, 30, tzinfo=plus_two)),
                 snap("early-14th-utc", datetime.datetime(2026, 3, 14, 1, 0, tzinfo=UTC))]
    keep, delete = plan(snapshots, {"daily": 5}, NOW)
    assert ids(keep) == ["late-14th-utc"]
    assert reasons(keep)["late-14th-utc"] == ["daily: newest of 2026-03-14"]
    assert ids(delete) == ["early-14th-utc"]


def test_naive_times_are_utc():
    keep, delete = plan([snap("naive", datetime.datetime(2026, 3, 15, 0, 30))], {"daily": 1}, NOW)
    assert keep[0]["created"] == "2026-03-15T00:30:00+00:00" and delete == []


def test_grandfather_father_son_over_a_year_of_dailies():
    snapshots = daily_series(400)
    keep, delete = plan(snapshots, {"daily": 7, "weekly": 4, "monthly": 12}, NOW)
    kept = set(ids(keep))
    # 7 dailies: today and the 6 days before.
    assert set("db-d%d" % age for age in range(7)) <= kept
    # Weekly: newest of the current ISO week (today, Sunday) and the 3 weeks before (Sundays).
    weekly = [entry for entry in keep if any(reason.startswith("weekly") for reason in entry["reasons"])]
    assert ids(weekly) == ["db-d0", "db-d7", "db-d14", "db-d21"]
    # Monthly: newest of March 2026 (today) back to April 2025, i.e. the last day of each month.
    monthly = [entry for entry in keep if any(reason.startswith("monthly") for reason in entry["reasons"])]
    assert len(monthly) == 12
    assert [entry["created"][:10] for entry in monthly][:3] == ["2026-03-15", "2026-02-28", "2026-01-31"]
    assert monthly[-1]["created"][:10] == "2025-04-30"
    # The union: 7 dailies, 3 more weeklies (db-d0 is shared), 11 more monthlies (March is shared).
    assert len(keep) == 7 + 3 + 11
    assert len(keep) + len(delete) == 400
    assert reasons(keep)["db-d0"] == ["daily: newest of 2026-03-15", "weekly: newest of 2026-W11",
                                      "monthly: newest of 2026-03"]


def test_periods_without_snapshots_do_not_count():
    # Backups stopped 40 days ago: daily=3 still keeps the last three days that have a snapshot.
    snapshots = [snap("old-%d" % age, NOW - datetime.timedelta(days=age)) for age in (40, 41, 42, 43)]
    keep, delete = plan(snapshots, {"daily": 3}, NOW)
    assert ids(keep) == ["old-40", "old-41", "old-42"] and ids(delete) == ["old-43"]


def test_iso_weeks_span_year_boundaries():
    # 2026-01-01 (Thursday) belongs to ISO week 2026-W01, as does 2025-12-29 (Monday);
    # 2025-12-28 (Sunday) is 2025-W52.
    snapshots = [snap("jan1", datetime.datetime(2026, 1, 1, tzinfo=UTC)),
                 snap("dec29", datetime.datetime(2025, 12, 29, tzinfo=UTC)),
                 snap("dec28", datetime.datetime(2025, 12, 28, tzinfo=UTC))]
    keep, delete = plan(snapshots, {"weekly": 2}, NOW)
    assert reasons(keep) == {"jan1": ["weekly: newest of 2026-W01"], "dec28": ["weekly: newest of 2025-W52"]}
    assert ids(delete) == ["dec29"]


def test_yearly():
    snapshots = [snap("y%d" % year, datetime.datetime(year, 6, 1, tzinfo=UTC)) for year in (2026, 2025, 2024)]
    keep, delete = plan(snapshots, {"yearly": 2}, NOW)
    assert ids(keep) == ["y2026", "y2025"] and ids(delete) == ["y2024"]


def test_ties_are_broken_by_identifier():
    same = NOW - datetime.timedelta(hours=1)
    keep, delete = plan([snap("b", same), snap("a", same), snap("c", same)], {"keep_last": 1}, NOW)
    assert ids(keep) == ["c"] and ids(delete) == ["b", "a"]
    keep, delete = plan([snap("a", same), snap("c", same), snap("b", same)], {"daily": 1}, NOW)
    assert ids(keep) == ["c"]


def test_max_age_alone_keeps_the_younger_ones():
    # Taken at 03:00, now is 12:00: db-d4 is 4.4 days old, db-d5 5.4 days.
    keep, delete = plan(daily_series(10), {"max_age_days": 5}, NOW)
    assert ids(keep) == ["db-d%d" % age for age in range(5)]
    assert reasons(keep)["db-d0"] == ["no keep rule given"]
    assert ids(delete) == ["db-d5", "db-d6", "db-d7", "db-d8", "db-d9"]
    assert reasons(delete)["db-d5"] == ["older than max_age_days 5 (5.4 days)"]


def test_max_age_is_a_hard_cap_over_keep_rules():
    keep, delete = plan(daily_series(10), {"keep_last": 8, "max_age_days": 3}, NOW)
    assert ids(keep) == ["db-d0", "db-d1", "db-d2"]
    assert reasons(delete)["db-d5"] == ["older than max_age_days 3 (5.4 days)", "overrides keep_last: 6 of the 8 newest"]
    assert reasons(delete)["db-d9"] == ["older than max_age_days 3 (9.4 days)"]
    assert ids(delete) == ["db-d3", "db-d4", "db-d5", "db-d6", "db-d7", "db-d8", "db-d9"]


def test_protected_snapshots_survive_max_age_and_take_no_slot():
    snapshots = daily_series(5)
    snapshots[1]["tags"] = {"retain": "true"}
    snapshots.append(snap("ancient", NOW - datetime.timedelta(days=3000), tags={"retain": "TRUE"}))
    keep, delete = plan(snapshots, {"keep_last": 2, "max_age_days": 30}, NOW, "retain", "true")
    assert reasons(keep) == {
        "db-d0": ["keep_last: 1 of the 2 newest"],
        "db-d1": ["protected by tag retain=true"],
        "db-d2": ["keep_last: 2 of the 2 newest"],
        "ancient": ["protected by tag retain=true"],
    }
    assert ids(delete) == ["db-d3", "db-d4"]


def test_protect_tag_needs_the_value():
    snapshots = [snap("a", NOW, tags={"retain": "false"}), snap("b", NOW - datetime.timedelta(days=1))]
    keep, delete = plan(snapshots, {"keep_last": 1}, NOW, "retain", "true")
    assert ids(keep) == ["a"] and ids(delete) == ["b"]


def test_automated_snapshots_are_never_deleted_nor_counted():
    snapshots = daily_series(3) + [snap("rds:db-2026-03-15-03-00", NOW, kind="automated"),
                                   snap("rds:db-2020-01-01-03-00", NOW.replace(year=2020), kind="automated")]
    keep, delete = plan(snapshots, {"keep_last": 1, "max_age_days": 1}, NOW)
    assert set(ids(keep)) == {"rds:db-2026-03-15-03-00", "rds:db-2020-01-01-03-00", "db-d0"}
    assert reasons(keep)["rds:db-2020-01-01-03-00"] == ["automated snapshot: managed by the service"]
    assert ids(delete) == ["db-d1", "db-d2"]


def test_policy_is_applied_per_source():
    snapshots = daily_series(3, source="a") + daily_series(3, source="b")
    keep, delete = plan(snapshots, {"keep_last": 1}, NOW)
    assert ids(keep) == ["a-d0", "b-d0"]
    assert ids(delete) == ["a-d1", "a-d2", "b-d1", "b-d2"]


def test_zero_rules_select_nothing():
    keep, delete = plan(daily_series(2), {"keep_last": 0, "daily": 1}, NOW)
    assert ids(keep) == ["db-d0"] and ids(delete) == ["db-d1"]


def test_future_snapshots_count_as_newest():
    keep, delete = plan([snap("future", NOW + datetime.timedelta(minutes=5)), snap("now", NOW)],
                        {"keep_last": 1, "max_age_days": 1}, NOW)
    assert ids(keep) == ["future"] and ids(delete) == ["now"]


@pytest.mark.parametrize("policy, problems", [
    ({"keep_last": 3, "daily": 7}, []),
    ({"keep_last": None}, []),
    ({"keep_last": -1}, ["retention.keep_last: must be at least 0, got -1"]),
    ({"hourly": 3}, ["retention.hourly: unknown rule; use keep_last, daily, weekly, monthly, yearly, max_age_days"]),
    ({"daily": "7"}, ["retention.daily: must be a whole number, got '7'"]),
    ({"daily": True}, ["retention.daily: must be a whole number, got True"]),
    ({"max_age_days": 0}, ["retention.max_age_days: 0 would delete every unprotected snapshot; use at least 1 "
                           "or leave it out"]),
    ("keep 3", ["retention: must be a dict with keys among keep_last, daily, weekly, monthly, yearly, "
                "max_age_days"]),
])
def test_validate_policy(policy, problems):
    assert validate_policy(policy, "retention") == problems


def test_render_name_in_utc():
    local = datetime.datetime(2026, 1, 31, 12, 15, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    assert render_name("{source}-{purpose}-{timestamp}", "app-db", "pre-deploy", local) == \
        "app-db-pre-deploy-20260131-101530"
    assert render_name("{source}-{date}-{time}", "app-db", "x", local) == "app-db-20260131-1015"


def test_validate_name_template():
    assert validate_name_template("{source}-{purpose}-{timestamp}", "snapshot_name") == []
    problems = validate_name_template("{source}-{when}", "snapshot_name")
    assert len(problems) == 1 and problems[0].startswith("snapshot_name: '{source}-{when}' is not a valid template")
    assert validate_name_template("{source", "snapshot_name")[0].startswith("snapshot_name: ")


@pytest.mark.parametrize("name, problems", [
    ("app-db-manual-20260131", []),
    ("1app", ["f: '1app' must start with a letter and contain only letters, digits and hyphens"]),
    ("app_db", ["f: 'app_db' must start with a letter and contain only letters, digits and hyphens"]),
    ("app--db", ["f: 'app--db' must not end with a hyphen or contain two consecutive hyphens"]),
    ("app-", ["f: 'app-' must not end with a hyphen or contain two consecutive hyphens"]),
    ("", ["f: must not be empty"]),
    ("a" * 6, ["f: 'aaaaaa' is 6 characters long; at most 5"]),
])
def test_validate_identifier(name, problems):
    assert validate_identifier(name, "f", 5 if name == "a" * 6 else 255) == problems
