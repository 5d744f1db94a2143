# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The database part of the maintenance runbook, without a connection: the rules of its
thresholds (used by dbfleet.aws.postgresql_maintenance and by playbooks/maintenance.yml's
checks), and what the statistics the module reads call for: VACUUM and ANALYZE by
per-table thresholds, bloat, duplicate indexes, the transaction ID age against
wraparound, and query texts made safe to report."""

import math
import re

# Every threshold, with its default: the option of the module, and the variable
# maintenance_<name> of the runbook. VACUUM and ANALYZE are due as autovacuum decides
# it (rows > threshold + scale factor x live rows), with the runbook's own values.
THRESHOLDS = {
    "vacuum_threshold": 1000,
    "vacuum_scale_factor": 0.1,
    "analyze_threshold": 1000,
    "analyze_scale_factor": 0.05,
    "bloat_ratio": 0.3,
    "bloat_min_bytes": 10 * 1024 * 1024,
    "long_running_seconds": 300,
    "idle_in_transaction_seconds": 300,
    "idle_seconds": 3600,
    "wraparound_critical_age": 1000000000,
    "top_queries": 10,
}
# The thresholds a table can set for itself (table_thresholds).
TABLE_THRESHOLDS = ("vacuum_threshold", "vacuum_scale_factor", "analyze_threshold", "analyze_scale_factor")
RATIOS = ("vacuum_scale_factor", "analyze_scale_factor", "bloat_ratio")
# 2^31: past this age PostgreSQL stops assigning transaction IDs.
WRAPAROUND_AGE = 2 ** 31
TABLE = r"^[A-Za-z_][A-Za-z0-9_$]*\.[A-Za-z_][A-Za-z0-9_$]*$"
# B-tree leaf pages are filled to 90 % by default: the density of an index without bloat.
BTREE_FILL = 90.0
QUERY_TEXT_LIMIT = 500
# A string literal, or the start of one cut off by track_activity_query_size.
_LITERAL = re.compile(r"'(?:[^']|'')*(?:'|$)")
_SECRET_WORDS = re.compile(r"password|secret|token|\bkey\b", re.IGNORECASE)


def _number_problem(name, value, key):
    is_ratio = key in RATIOS
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (not is_ratio and value != int(value)):
        return "%s: must be %s (got %r)" % (name, "a number from 0 to 1" if is_ratio else "a whole number", value)
    if is_ratio and not 0 <= value <= 1:
        return "%s: must be from 0 to 1 (got %r)" % (name, value)
    minimum = 1 if key in ("long_running_seconds", "idle_in_transaction_seconds", "idle_seconds",
                           "wraparound_critical_age") else 0
    if value < minimum or (key == "wraparound_critical_age" and value >= WRAPAROUND_AGE):
        return "%s: must be from %d%s (got %r)" % (
            name, minimum, " to %d" % (WRAPAROUND_AGE - 1) if key == "wraparound_critical_age" else " up", value)
    return None


def threshold_problems(values, prefix=""):
    """Every problem of the thresholds given (a key left out keeps its default) and of
    table_thresholds ({schema.table: {threshold: value}}), each "<prefix><name>: <rule>"."""
    found = []
    for key in THRESHOLDS:
        if values.get(key) is not None:
            problem = _number_problem(prefix + key, values[key], key)
            if problem:
                found.append(problem)
    tables = values.get("table_thresholds") or {}
    name = prefix + "table_thresholds"
    if not isinstance(tables, dict):
        return found + ["%s: must map schema.table to thresholds (got %r)" % (name, tables)]
    for table, given in sorted(tables.items(), key=lambda item: str(item[0])):
        where = "%s.%s" % (name, table)
        if not re.match(TABLE, str(table)):
            found.append("%s: the table must be schema.table" % where)
        if not isinstance(given, dict) or not given:
            found.append("%s: must set one or more of %s" % (where, ", ".join(TABLE_THRESHOLDS)))
            continue
        for key, value in sorted(given.items()):
            problem = ("%s.%s: unknown threshold; a table sets %s" % (where, key, ", ".join(TABLE_THRESHOLDS))
                       if key not in TABLE_THRESHOLDS else _number_problem("%s.%s" % (where, key), value, key))
            if problem:
                found.append(problem)
    return found


def thresholds_of(values):
    """The thresholds in force: the defaults under those given."""
    merged = dict(THRESHOLDS)
    merged.update((key, value) for key, value in values.items() if key in THRESHOLDS and value is not None)
    return merged


def vacuum_plan(tables, thresholds, table_thresholds=None):
    """[{table, action, reason}] for the tables (rows of table, live_rows, dead_rows,
    modified_rows) whose dead or changed rows pass their thresholds: VACUUM (ANALYZE) when
    the dead rows do, ANALYZE alone when only the changes since the last ANALYZE do."""
    planned = []
    for row in sorted(tables, key=lambda row: row["table"]):
        limits = dict(thresholds)
        limits.update((table_thresholds or {}).get(row["table"], {}))
        live = row["live_rows"] or 0
        vacuum_at = limits["vacuum_threshold"] + limits["vacuum_scale_factor"] * live
        analyze_at = limits["analyze_threshold"] + limits["analyze_scale_factor"] * live
        if (row["dead_rows"] or 0) > vacuum_at:
            planned.append(dict(table=row["table"], action="VACUUM (ANALYZE)",
                                reason="%d dead rows > %d (%s + %s x %d live)" % (
                                    row["dead_rows"], vacuum_at, limits["vacuum_threshold"],
                                    limits["vacuum_scale_factor"], live)))
        elif (row["modified_rows"] or 0) > analyze_at:
            planned.append(dict(table=row["table"], action="ANALYZE",
                                reason="%d rows changed since the last ANALYZE > %d (%s + %s x %d live)" % (
                                    row["modified_rows"], analyze_at, limits["analyze_threshold"],
                                    limits["analyze_scale_factor"], live)))
    return planned


def table_bloat(row, thresholds):
    """The bloat of a table ({table, table_bytes, live_rows, dead_rows} and, where pgstattuple
    measured it, dead_tuple_bytes and free_bytes), or None below bloat_min_bytes or
    bloat_ratio. Without pgstattuple the dead rows' share of the table is the estimate."""
    size = row["table_bytes"] or 0
    if size < thresholds["bloat_min_bytes"] or size == 0:
        return None
    if row.get("free_bytes") is not None:
        wasted, source = (row["dead_tuple_bytes"] or 0) + row["free_bytes"], "pgstattuple_approx"
    else:
        rows = (row["live_rows"] or 0) + (row["dead_rows"] or 0)
        wasted, source = (size * (row["dead_rows"] or 0) // rows if rows else 0), "statistics (dead rows)"
    ratio = float(wasted) / size
    if ratio < thresholds["bloat_ratio"]:
        return None
    return dict(table=row["table"], bytes=size, wasted_bytes=int(wasted), ratio=round(ratio, 3), source=source)


def index_bloat(row, thresholds):
    """The bloat of a B-tree index ({index, table, bytes, avg_leaf_density} from pgstatindex),
    against the density of a freshly built one, or None below the thresholds."""
    size, density = row["bytes"] or 0, row["avg_leaf_density"]
    if size < thresholds["bloat_min_bytes"] or density is None or math.isnan(density):  # NaN: no leaf pages
        return None
    ratio = max(0.0, 1 - density / BTREE_FILL)
    if ratio < thresholds["bloat_ratio"]:
        return None
    return dict(index=row["index"], table=row["table"], bytes=size, wasted_bytes=int(size * ratio),
                ratio=round(ratio, 3), avg_leaf_density=density, source="pgstatindex")


def duplicate_indexes(indexes):
    """Groups of indexes ({index, table, key, unique, constraint, bytes}) with the same key
    (table, columns, operator classes, expressions, predicate): [{table, indexes, drop}],
    where drop names those that can go, keeping one that backs a constraint or is unique."""
    groups = {}
    for index in indexes:
        groups.setdefault(index["key"], []).append(index)
    found = []
    for members in groups.values():
        if len(members) < 2:
            continue
        members = sorted(members, key=lambda index: (not index["constraint"], not index["unique"], index["index"]))
        found.append(dict(table=members[0]["table"], indexes=[index["index"] for index in members],
                          drop=[index["index"] for index in members[1:] if not index["constraint"]],
                          bytes=sum(index["bytes"] for index in members[1:])))
    return sorted(found, key=lambda group: group["indexes"])


def wraparound(databases, freeze_max_age, critical_age):
    """Each database's transaction ID age ({database, age, multixact_age}) with its share of the
    2^31 limit and a status: ok, warning past autovacuum_freeze_max_age (autovacuum must
    freeze, and has not caught up), critical past critical_age."""
    found = []
    for row in databases:
        age = row["age"]
        status = "critical" if age >= critical_age else "warning" if age >= freeze_max_age else "ok"
        found.append(dict(row, percent_to_wraparound=round(100.0 * age / WRAPAROUND_AGE, 2), status=status))
    return sorted(found, key=lambda row: -row["age"])


def safe_query_text(text):
    """A statement as a report may show it: at most QUERY_TEXT_LIMIT characters, and with its
    string literals masked where it could carry a secret (ALTER ROLE ... PASSWORD '...' is kept
    verbatim by pg_stat_statements and pg_stat_activity)."""
    if text is None:
        return None
    if _SECRET_WORDS.search(text):
        text = _LITERAL.sub("'***'", text)
    return text if len(text) <= QUERY_TEXT_LIMIT else text[:QUERY_TEXT_LIMIT] + "..."
