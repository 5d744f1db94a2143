#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: postgresql_maintenance
version_added: 0.1.0
short_description: What a PostgreSQL server needs from its weekly maintenance, and doing it
description:
  - Reads, in one module run, what the weekly maintenance SQL of an RDS for PostgreSQL
    instance looks at, for every database of O(databases), and returns it as findings.
  - Per database, the tables due a C(VACUUM) or an C(ANALYZE) by per-table thresholds,
    table and index bloat, unused and duplicate indexes, and the top queries of
    C(pg_stat_statements).
  - For the server, the long-running queries, the sessions blocked by a lock and those
    blocking them, the sessions idle in a transaction, and each database's transaction ID
    age against wraparound with the oldest transactions holding it back.
  - Read-only unless O(apply=true). Then it terminates the sessions idle in a transaction
    past O(idle_in_transaction_seconds) (only with O(terminate_idle_in_transaction=true)) and the
    sessions idle past O(idle_seconds) (only with O(terminate_idle=true)),
    and runs C(VACUUM (ANALYZE)) and C(ANALYZE) on the tables due. Each statement runs in
    autocommit under O(lock_timeout_seconds); one that fails is reported and the others
    still run.
  - Table bloat is measured with C(pgstattuple_approx) and index bloat with C(pgstatindex)
    where the C(pgstattuple) extension is installed in the database (RDS supports it).
    Without it the dead rows' share of each table is the estimate and index bloat is not
    reported; the notes of the database's findings say so.
  - Query texts are cut to 500 characters, and their string literals are masked in
    statements that mention a password, a secret, a token or a key.
  - Every problem of the thresholds is reported in one error before connecting.
author:
  - dbfleet maintainers (@dbfleet)
options:
  login_db:
    description: The database to connect to first; the server-wide findings are read from it.
    type: str
    default: postgres
  databases:
    description:
      - The databases to look into. Empty for every database that accepts connections,
        but the templates and C(rdsadmin).
    type: list
    elements: str
    default: []
  apply:
    description:
      - Run the C(VACUUM) and C(ANALYZE) statements due, and the terminations allowed by
        O(terminate_idle_in_transaction). In check mode nothing runs and RV(statements)
        lists what would.
    type: bool
    default: false
  terminate_idle_in_transaction:
    description:
      - With O(apply=true), terminate the sessions idle in a transaction for longer than
        O(idle_in_transaction_seconds) (C(pg_terminate_backend)). They hold locks and keep
        VACUUM from removing dead rows.
    type: bool
    default: false
  terminate_idle:
    description:
      - With O(apply=true), terminate the sessions idle (outside a transaction) for longer than
        O(idle_seconds), as reference 000's "High Connection Count" runbook does. A pool that
        keeps idle connections opens them again; use it against leaks, not as routine.
    type: bool
    default: false
  vacuum_threshold:
    description: A table is due a C(VACUUM) when its dead rows exceed this number plus O(vacuum_scale_factor) times its live rows.
    type: int
    default: 1000
  vacuum_scale_factor:
    description: See O(vacuum_threshold); from 0 to 1.
    type: float
    default: 0.1
  analyze_threshold:
    description: A table is due an C(ANALYZE) when the rows changed since the last one exceed this number plus O(analyze_scale_factor) times its live rows.
    type: int
    default: 1000
  analyze_scale_factor:
    description: See O(analyze_threshold); from 0 to 1.
    type: float
    default: 0.05
  table_thresholds:
    description:
      - Thresholds of single tables, by C(schema.table), over the four above
        (O(vacuum_threshold), O(vacuum_scale_factor), O(analyze_threshold),
        O(analyze_scale_factor)).
    type: dict
    default: {}
  bloat_ratio:
    description: Tables and indexes whose wasted space is at least this share of their size are reported; from 0 to 1.
    type: float
    default: 0.3
  bloat_min_bytes:
    description: Tables and indexes smaller than this are not measured for bloat.
    type: int
    default: 10485760
  long_running_seconds:
    description: Queries active for longer than this are reported.
    type: int
    default: 300
  idle_in_transaction_seconds:
    description: Sessions idle in a transaction for longer than this are reported (and terminated, see O(terminate_idle_in_transaction)).
    type: int
    default: 300
  idle_seconds:
    description: Sessions idle (no transaction open) for longer than this are reported (and terminated, see O(terminate_idle)).
    type: int
    default: 3600
  wraparound_critical_age:
    description:
      - A database whose transaction ID age reaches this is C(critical); past
        C(autovacuum_freeze_max_age) it is a C(warning). AWS recommends acting at one billion.
    type: int
    default: 1000000000
  top_queries:
    description: How many statements of C(pg_stat_statements) to report, by total execution time.
    type: int
    default: 10
  lock_timeout_seconds:
    description: C(lock_timeout) of each statement O(apply) runs, so that maintenance never queues behind the application.
    type: int
    default: 10
attributes:
  check_mode:
    support: full
extends_documentation_fragment:
  - community.postgresql.postgres
notes:
  - Supports check mode.
  - The login user needs C(pg_read_all_stats) (the RDS master user has it) to see the
    other users' queries, and C(rds_superuser) to terminate their sessions. Sessions of
    superusers (C(rdsadmin) on RDS) are never listed nor terminated.
  - Usage and bloat figures are as of the last statistics reset (C(stats_reset) of each database's findings).
seealso:
  - module: community.postgresql.postgresql_info
  - module: community.postgresql.postgresql_query
"""

EXAMPLES = r"""
- name: Look, without changing anything
  dbfleet.aws.postgresql_maintenance:
    login_host: "{{ writer.endpoint.address }}"
    login_user: dbadmin
    login_password: "{{ master_password }}"
    login_db: app
  register: maintenance

- name: Vacuum what is due, events more eagerly, and end sessions idle in a transaction for 10 minutes
  dbfleet.aws.postgresql_maintenance:
    login_host: "{{ writer.endpoint.address }}"
    login_user: dbadmin
    login_password: "{{ master_password }}"
    login_db: app
    apply: true
    terminate_idle_in_transaction: true
    idle_in_transaction_seconds: 600
    table_thresholds:
      public.events: {vacuum_scale_factor: 0.01}
"""

RETURN = r"""
findings:
  description: What was found.
  returned: always
  type: dict
  contains:
    databases:
      description: Per database, C(vacuum) (the tables due, with the action and the reason), C(table_bloat),
        C(index_bloat), C(unused_indexes), C(duplicate_indexes), C(top_queries), C(stats_reset) and C(notes).
      type: list
      elements: dict
    long_running:
      description: Active queries past O(long_running_seconds) (pid, user, database, seconds, query).
      type: list
      elements: dict
    idle:
      description: Sessions idle past O(idle_seconds); C(terminated) tells what O(apply) did.
      type: list
      elements: dict
    blocking:
      description: Each session waiting for a lock, with the session holding it.
      type: list
      elements: dict
    idle_in_transaction:
      description: Sessions idle in a transaction past O(idle_in_transaction_seconds); C(terminated) tells what O(apply) did.
      type: list
      elements: dict
    wraparound:
      description: Each database's transaction ID age, its share of 2^31 and a status (ok, warning, critical).
      type: list
      elements: dict
    oldest_transactions:
      description: What holds the oldest transaction ID back, oldest first (sessions, prepared transactions, replication slots).
      type: list
      elements: dict
  sample: {databases: [{database: app, vacuum: [{table: public.events, action: VACUUM (ANALYZE),
           reason: "48000 dead rows > 2200 (1000 + 0.1 x 12000 live)"}]}]}
statements:
  description: The statements run, or with O(apply=false) or in check mode, those that O(apply=true) would run.
  returned: always
  type: list
  elements: str
errors:
  description: The statements O(apply) ran that failed, with the error.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.community.postgresql.plugins.module_utils.postgres import connect_to_db
from ansible_collections.community.postgresql.plugins.module_utils.postgres import ensure_required_libs
from ansible_collections.community.postgresql.plugins.module_utils.postgres import get_conn_params
from ansible_collections.community.postgresql.plugins.module_utils.postgres import pg_cursor_args
from ansible_collections.community.postgresql.plugins.module_utils.postgres import postgres_common_argument_spec

from ansible_collections.dbfleet.aws.plugins.module_utils import postgresql_maintenance as rules
from ansible_collections.dbfleet.aws.plugins.module_utils.problems import fail_with_problems

DATABASES = """SELECT datname FROM pg_database
WHERE datallowconn AND NOT datistemplate AND datname <> 'rdsadmin' ORDER BY datname"""
EXTENSIONS = """SELECT e.extname, quote_ident(n.nspname) AS nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname IN ('pgstattuple', 'pg_stat_statements')"""
# Relation and schema names come quoted as SQL needs them (format's %I, quote_ident), so the
# statements built from them take them as they are.
TABLES = """SELECT format('%%I.%%I', schemaname, relname) AS table, relid, n_live_tup AS live_rows,
       n_dead_tup AS dead_rows, n_mod_since_analyze AS modified_rows, pg_table_size(relid) AS table_bytes
FROM pg_stat_user_tables"""
TABLE_SPACE = "SELECT dead_tuple_len, approx_free_space FROM %s.pgstattuple_approx(%%(relid)s)"
BTREES = """SELECT format('%%I.%%I', n.nspname, c.relname) AS index, format('%%I.%%I', tn.nspname, t.relname) AS table,
       i.indexrelid, pg_relation_size(i.indexrelid) AS bytes
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
JOIN pg_am a ON a.oid = c.relam
WHERE a.amname = 'btree' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND pg_relation_size(i.indexrelid) >= %(min_bytes)s"""
INDEX_DENSITY = "SELECT avg_leaf_density FROM %s.pgstatindex(%%(indexrelid)s::regclass)"
UNUSED_INDEXES = """SELECT format('%%I.%%I', s.schemaname, s.indexrelname) AS index,
       format('%%I.%%I', s.schemaname, s.relname) AS table, pg_relation_size(s.indexrelid) AS bytes
FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = s.indexrelid)
ORDER BY bytes DESC, index"""
INDEX_KEYS = """SELECT format('%%I.%%I', n.nspname, c.relname) AS index, format('%%I.%%I', tn.nspname, t.relname) AS table,
       concat_ws(' ', i.indrelid, c.relam, i.indkey, i.indclass, i.indcollation,
                 pg_get_expr(i.indexprs, i.indrelid), pg_get_expr(i.indpred, i.indrelid)) AS key,
       i.indisunique AS unique,
       EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) AS constraint,
       pg_relation_size(i.indexrelid) AS bytes
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"""
STATS_RESET = "SELECT stats_reset::text FROM pg_stat_database WHERE datname = current_database()"
TOP_QUERIES = """SELECT queryid::text, query, calls, round({total}::numeric, 1) AS total_ms,
       round({mean}::numeric, 1) AS mean_ms, rows,
       round(100.0 * shared_blks_hit / nullif(shared_blks_hit + shared_blks_read, 0), 1) AS hit_percent
FROM {schema}.pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE d.datname = current_database() ORDER BY {total} DESC LIMIT %(limit)s"""
SESSIONS = """SELECT pid, usename AS user, datname AS database, application_name, state,
       extract(epoch FROM now() - query_start)::int AS query_seconds,
       extract(epoch FROM now() - state_change)::int AS state_seconds,
       extract(epoch FROM now() - xact_start)::int AS transaction_seconds, query
FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
  AND NOT coalesce((SELECT rolsuper FROM pg_roles WHERE oid = usesysid), false)"""
BLOCKING = """SELECT a.pid AS blocked_pid, a.usename AS blocked_user, a.datname AS database,
       extract(epoch FROM now() - a.query_start)::int AS waiting_seconds, a.query AS blocked_query,
       b.pid AS blocking_pid, b.usename AS blocking_user, b.state AS blocking_state, b.query AS blocking_query
FROM pg_stat_activity a CROSS JOIN LATERAL unnest(pg_blocking_pids(a.pid)) AS blocker(pid)
JOIN pg_stat_activity b ON b.pid = blocker.pid ORDER BY a.pid, b.pid"""
WRAPAROUND = """SELECT datname AS database, age(datfrozenxid)::bigint AS age, mxid_age(datminmxid)::bigint AS multixact_age
FROM pg_database WHERE datallowconn"""
OLDEST = """SELECT * FROM (
  SELECT 'session' AS kind, pid::text AS name, usename AS user, greatest(age(backend_xid), age(backend_xmin))::bigint AS age
  FROM pg_stat_activity WHERE coalesce(backend_xid, backend_xmin) IS NOT NULL AND pid <> pg_backend_pid()
  UNION ALL SELECT 'prepared transaction', gid, owner::text, age(transaction)::bigint FROM pg_prepared_xacts
  UNION ALL SELECT 'replication slot', slot_name::text, NULL, greatest(age(xmin), age(catalog_xmin))::bigint
  FROM pg_replication_slots WHERE coalesce(xmin, catalog_xmin) IS NOT NULL) holders
ORDER BY age DESC LIMIT 5"""


def _rows(cursor, query, args=None):
    cursor.execute(query, args or {})
    return [dict(row) for row in cursor.fetchall()]


def look_into_database(cursor, database, thresholds, table_thresholds, server_version):
    """The findings of one database, with the connection's cursor in it."""
    found = dict(database=database, notes=[])
    extensions = dict((row["extname"], row["nspname"]) for row in _rows(cursor, EXTENSIONS))
    tables = _rows(cursor, TABLES)
    found["vacuum"] = rules.vacuum_plan(tables, thresholds, table_thresholds)
    stattuple = extensions.get("pgstattuple")
    bloat = []
    for row in tables:
        if stattuple and (row["table_bytes"] or 0) >= thresholds["bloat_min_bytes"]:
            [space] = _rows(cursor, TABLE_SPACE % stattuple, dict(relid=row["relid"]))
            row = dict(row, dead_tuple_bytes=space["dead_tuple_len"], free_bytes=space["approx_free_space"])
        entry = rules.table_bloat(row, thresholds)
        if entry:
            bloat.append(entry)
    found["table_bloat"] = sorted(bloat, key=lambda entry: -entry["wasted_bytes"])
    index_bloat = []
    if stattuple:
        for row in _rows(cursor, BTREES, dict(min_bytes=thresholds["bloat_min_bytes"])):
            [density] = _rows(cursor, INDEX_DENSITY % stattuple, dict(indexrelid=row["indexrelid"]))
            entry = rules.index_bloat(dict(row, avg_leaf_density=density["avg_leaf_density"]), thresholds)
            if entry:
                index_bloat.append(entry)
    else:
        found["notes"].append("pgstattuple is not installed in %s: table bloat is estimated from the dead rows, "
                              "index bloat is not measured (add it to db_users_extensions)" % database)
    found["index_bloat"] = sorted(index_bloat, key=lambda entry: -entry["wasted_bytes"])
    found["unused_indexes"] = _rows(cursor, UNUSED_INDEXES)
    found["duplicate_indexes"] = rules.duplicate_indexes(_rows(cursor, INDEX_KEYS))
    found["stats_reset"] = _rows(cursor, STATS_RESET)[0]["stats_reset"]
    statements = extensions.get("pg_stat_statements")
    found["top_queries"] = []
    if statements:
        total, mean = ("total_exec_time", "mean_exec_time") if server_version >= 130000 else ("total_time", "mean_time")
        try:
            found["top_queries"] = [
                dict(row, query=rules.safe_query_text(row["query"]), total_ms=float(row["total_ms"]),
                     mean_ms=float(row["mean_ms"]),
                     hit_percent=None if row["hit_percent"] is None else float(row["hit_percent"]))
                for row in _rows(cursor, TOP_QUERIES.format(total=total, mean=mean, schema=statements),
                                 dict(limit=thresholds["top_queries"]))]
        except Exception as e:  # not in shared_preload_libraries: the view exists but cannot be read
            found["notes"].append("pg_stat_statements cannot be read in %s: %s" % (database, to_native(e).strip()))
    else:
        found["notes"].append("pg_stat_statements is not installed in %s: no top queries (add it to "
                              "db_users_extensions; RDS preloads its library)" % database)
    return found


def look_into_server(cursor, thresholds):
    sessions = _rows(cursor, SESSIONS)
    for session in sessions:
        session["query"] = rules.safe_query_text(session["query"])
    long_running = [session for session in sessions
                    if session["state"] == "active" and (session["query_seconds"] or 0) > thresholds["long_running_seconds"]]
    idle_in_transaction = [session for session in sessions if (session["state"] or "").startswith("idle in transaction")
                           and (session["state_seconds"] or 0) > thresholds["idle_in_transaction_seconds"]]
    idle = [session for session in sessions
            if session["state"] == "idle" and (session["state_seconds"] or 0) > thresholds["idle_seconds"]]
    blocking = _rows(cursor, BLOCKING)
    for entry in blocking:
        entry["blocked_query"] = rules.safe_query_text(entry["blocked_query"])
        entry["blocking_query"] = rules.safe_query_text(entry["blocking_query"])
    cursor.execute("SELECT current_setting('autovacuum_freeze_max_age')::bigint AS age")
    freeze_max_age = cursor.fetchone()["age"]
    return dict(
        long_running=long_running, idle_in_transaction=idle_in_transaction, idle=idle, blocking=blocking,
        wraparound=rules.wraparound(_rows(cursor, WRAPAROUND), freeze_max_age, thresholds["wraparound_critical_age"]),
        autovacuum_freeze_max_age=freeze_max_age, oldest_transactions=_rows(cursor, OLDEST))


def main():
    argument_spec = postgres_common_argument_spec()
    argument_spec.update(
        login_db=dict(type="str", default="postgres"),
        databases=dict(type="list", elements="str", default=[]),
        apply=dict(type="bool", default=False),
        terminate_idle_in_transaction=dict(type="bool", default=False),
        terminate_idle=dict(type="bool", default=False),
        table_thresholds=dict(type="dict", default={}),
        lock_timeout_seconds=dict(type="int", default=10),
    )
    for key, default in rules.THRESHOLDS.items():
        argument_spec[key] = dict(type="float" if isinstance(default, float) else "int", default=default)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    problems = rules.threshold_problems(params)
    if params["lock_timeout_seconds"] < 1:
        problems.append("lock_timeout_seconds: must be from 1 up (got %r)" % params["lock_timeout_seconds"])
    if problems:
        fail_with_problems(module, problems, outcome=" with the thresholds, nothing was read or changed")
    thresholds = rules.thresholds_of(params)
    apply = params["apply"] and not module.check_mode

    ensure_required_libs(module)
    connection, _error = connect_to_db(module, get_conn_params(module, params), autocommit=True)
    cursor = connection.cursor(**pg_cursor_args)
    step = "reading the server's activity"
    try:
        server_version = connection.server_version
        findings = look_into_server(cursor, thresholds)
        cursor.execute(DATABASES)
        databases = params["databases"] or [row["datname"] for row in cursor.fetchall()]
        findings["databases"] = []
        for database in databases:
            step = "reading database %s" % database
            if database == params["login_db"]:
                findings["databases"].append(look_into_database(
                    cursor, database, thresholds, params["table_thresholds"], server_version))
                continue
            other, _error = connect_to_db(module, get_conn_params(module, dict(params, login_db=database)),
                                          autocommit=True)
            try:
                findings["databases"].append(look_into_database(
                    other.cursor(**pg_cursor_args), database, thresholds, params["table_thresholds"], server_version))
            finally:
                other.close()
    except Exception as e:  # psycopg2 and psycopg 3 raise different classes
        module.fail_json(msg="%s failed, nothing was changed: %s" % (step, to_native(e).strip()))

    planned = []  # (database or None, statement, what it is for)
    for kind in ("idle_in_transaction", "idle"):
        if params["terminate_" + kind]:
            planned += [(None, "SELECT pg_terminate_backend(%d)" % session["pid"], session)
                        for session in findings[kind]]
    for found in findings["databases"]:
        planned += [(found["database"], "%s %s" % (entry["action"], entry["table"]), entry)
                    for entry in found["vacuum"]]
    statements = ["%s%s" % ("" if database is None else "-- in %s\n" % database, statement)
                  for database, statement, _entry in planned]
    errors = []
    if apply:
        errors = run(module, connection, params, planned)
    connection.close()
    result = dict(changed=bool(planned) and params["apply"], findings=findings, statements=statements,
                  errors=errors)
    if errors:
        message = "%d of %d maintenance statement(s) failed: %s" % (len(errors), len(planned), "; ".join(errors))
        module.fail_json(msg=message, **result)
    module.exit_json(**result)


def run(module, connection, params, planned):
    """Runs the planned statements in autocommit, each database's on a connection to it, and
    marks what was done on the findings; returns the failures."""
    errors, connections = [], {params["login_db"]: connection}
    try:
        for database, statement, entry in planned:
            target = connections.get(database or params["login_db"])
            if target is None:
                target, _error = connect_to_db(module, get_conn_params(module, dict(params, login_db=database)),
                                               autocommit=True)
                connections[database] = target
            cursor = target.cursor()
            try:
                cursor.execute("SET lock_timeout = %s", ("%ds" % params["lock_timeout_seconds"],))
                cursor.execute(statement)
                if statement.startswith("SELECT pg_terminate_backend"):
                    entry["terminated"] = bool(cursor.fetchone()[0])
                else:
                    entry["done"] = True
            except Exception as e:  # psycopg2 and psycopg 3 raise different classes
                errors.append("%s%s: %s" % (statement, " in %s" % database if database else "", to_native(e).strip()))
                entry["done"] = False
    finally:
        for database, other in connections.items():
            if database != params["login_db"]:
                other.close()
    return errors


if __name__ == "__main__":
    main()
