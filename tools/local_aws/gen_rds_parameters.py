"""Generate the RDS for PostgreSQL parameter metadata served by the local endpoint.

Two steps, both written to tools/local_aws/data/:

1. ``--capture`` reads ``pg_settings`` of a throwaway cluster of the installed
   PostgreSQL (``initdb`` into a temporary folder, started on a private Unix socket,
   stopped and removed afterwards) into ``postgres<major>_settings.json``.
   The machine's own PostgreSQL service and data are never touched.
2. Without options, the captured settings are turned into one file per family,
   ``rds_parameters_postgres<NN>.json``, each a list of ``Parameter`` structures in
   the exact shape of the RDS API (DescribeEngineDefaultParameters), sorted by name.

How a ``pg_settings`` row becomes an RDS parameter:

- ApplyType: context ``postmaster`` (and ``internal``) -> ``static``, every other
  context -> ``dynamic``.
- IsModifiable: false for context ``internal``, the "Developer Options" category and
  the settings RDS manages itself (SYSTEM_MANAGED).
- Source: ``system`` for those and for the parameters whose default RDS sets
  (RDS_DEFAULTS), ``engine-default`` for every other one.
- DataType / AllowedValues: bool -> ``boolean`` / ``0,1``; integer -> ``integer`` /
  ``min-max``; real -> ``real`` / ``min-max``; enum -> ``string`` / the comma-joined
  enum values; string -> ``string`` without AllowedValues.
- ParameterValue: the server's built-in default (``boot_val``, booleans as 1/0), in
  the setting's own unit, or the RDS default from RDS_DEFAULTS (which may be a formula
  such as ``{DBInstanceClassMemory/32768}``). No value when the default is empty.
- Description: the server's short description, prefixed with the unit as RDS writes
  it, e.g. ``(8kB) Sets the number of shared memory buffers used by the server.``

RDS_ONLY adds the parameters that exist on RDS only (``rds.*``, and the settings of the
preloadable extensions). Only one PostgreSQL major is installed here (15); the other
families are derived from it with FAMILY_CHANGES, a curated list of the settings
added, removed or changed between majors according to the PostgreSQL release notes.
It is not exhaustive for 14, 16 and 17: extend it when a difference matters.

Run from the repository root:

    .venv/bin/python -m tools.local_aws.gen_rds_parameters --capture   # needs PostgreSQL
    .venv/bin/python -m tools.local_aws.gen_rds_parameters
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
CAPTURED_MAJOR = 15
FAMILIES = ("postgres14", "postgres15", "postgres16", "postgres17")
# The first minor version RDS released for each major (MinimumEngineVersion).
FIRST_MINOR = {"postgres14": "14.1", "postgres15": "15.2", "postgres16": "16.1",
               "postgres17": "17.1"}

SETTINGS_QUERY = """
SELECT json_agg(json_build_object(
    'name', name, 'unit', unit, 'category', category, 'short_desc', short_desc,
    'context', context, 'vartype', vartype, 'min_val', min_val, 'max_val', max_val,
    'enumvals', enumvals, 'boot_val', boot_val) ORDER BY name)
FROM pg_settings
"""

# Settings RDS sets itself: file locations, sockets, archiving, replication wiring.
SYSTEM_MANAGED = frozenset({
    "archive_cleanup_command", "archive_command", "archive_library", "archive_mode",
    "bonjour", "bonjour_name", "cluster_name", "config_file", "data_directory",
    "data_sync_retry", "dynamic_library_path", "dynamic_shared_memory_type",
    "event_source", "external_pid_file", "fsync", "full_page_writes", "hba_file",
    "hot_standby", "ident_file", "krb_server_keyfile", "listen_addresses",
    "log_directory", "logging_collector", "port", "primary_conninfo",
    "primary_slot_name", "promote_trigger_file", "recovery_end_command",
    "recovery_init_sync_method", "restore_command", "shared_memory_type",
    "ssl_ca_file", "ssl_cert_file", "ssl_crl_dir", "ssl_crl_file", "ssl_key_file",
    "ssl_passphrase_command", "ssl_passphrase_command_supports_reload",
    "unix_socket_directories", "unix_socket_group", "unix_socket_permissions",
    "wal_level",
})

# Engine defaults RDS sets differently from the PostgreSQL built-in ones.
RDS_DEFAULTS = {
    "autovacuum_max_workers": "GREATEST({DBInstanceClassMemory/64371566592},3)",
    "checkpoint_completion_target": "0.9",
    "effective_cache_size": "{DBInstanceClassMemory/16384}",
    "log_filename": "postgresql.log.%Y-%m-%d-%H",
    "log_line_prefix": "%t:%r:%u@%d:[%p]:",
    "log_rotation_age": "60",
    "log_rotation_size": "100000",
    "maintenance_work_mem": "GREATEST({DBInstanceClassMemory*1024/63963136},65536)",
    "max_connections": "LEAST({DBInstanceClassMemory/9531392},5000)",
    "max_parallel_workers": "GREATEST(${DBInstanceVCPU/2},8)",
    "max_wal_size": "2048",
    "max_worker_processes": "GREATEST(${DBInstanceVCPU*2},8)",
    "min_wal_size": "192",
    "shared_buffers": "{DBInstanceClassMemory/32768}",
    "shared_preload_libraries": "pg_stat_statements",
    "ssl": "1",
    "track_io_timing": "1",
}

# Libraries RDS lets shared_preload_libraries load.
PRELOADABLE_LIBRARIES = (
    "auto_explain", "orafce", "pg_bigm", "pg_cron", "pg_hint_plan", "pg_partman_bgw",
    "pg_prewarm", "pg_similarity", "pg_stat_statements", "pg_tle", "pg_transport",
    "pgaudit", "pglogical", "plprofiler",
)


def _parameter(name, description, apply_type, data_type, value=None, allowed=None,
               modifiable=True, source="engine-default"):
    """A Parameter structure as the RDS API returns it for an engine default."""
    parameter = {"ParameterName": name}
    if value is not None:
        parameter["ParameterValue"] = value
    parameter["Description"] = description
    parameter["Source"] = source if modifiable else "system"
    parameter["ApplyType"] = apply_type
    parameter["DataType"] = data_type
    if allowed is not None:
        parameter["AllowedValues"] = allowed
    parameter["IsModifiable"] = modifiable
    parameter["ApplyMethod"] = "pending-reboot"
    return parameter


# Parameters that exist on RDS only.
RDS_ONLY = [
    _parameter("rds.accepted_password_auth_method",
               "Force authentication for connections with password stored locally.",
               "dynamic", "string", "md5+scram", "md5+scram,scram"),
    _parameter("rds.force_ssl", "Force SSL connections.", "dynamic", "boolean", "0", "0,1"),
    _parameter("rds.log_retention_period",
               "(min) Amazon RDS for PostgreSQL will delete PostgreSQL logs that are older "
               "than N minutes.", "dynamic", "integer", "4320", "1440-10080"),
    _parameter("rds.logical_replication", "Enables logical decoding.", "static", "boolean",
               "0", "0,1"),
    _parameter("rds.rds_superuser_reserved_connections",
               "Sets the number of connection slots reserved for rds_superusers.",
               "static", "integer", "2", "0-8388607"),
    _parameter("rds.restrict_password_commands",
               "Restricts password-related commands to members of rds_password.",
               "static", "boolean", "0", "0,1"),
    _parameter("pg_stat_statements.max",
               "Sets the maximum number of statements tracked by pg_stat_statements.",
               "static", "integer", "5000", "100-2147483647"),
    _parameter("pg_stat_statements.save",
               "Save pg_stat_statements statistics across server shutdowns.",
               "dynamic", "boolean", "1", "0,1"),
    _parameter("pg_stat_statements.track",
               "Selects which statements are tracked by pg_stat_statements.",
               "dynamic", "string", "top", "none,top,all"),
    _parameter("pg_stat_statements.track_planning",
               "Selects whether planning duration is tracked by pg_stat_statements.",
               "dynamic", "boolean", "0", "0,1"),
    _parameter("pg_stat_statements.track_utility",
               "Selects whether utility commands are tracked by pg_stat_statements.",
               "dynamic", "boolean", "1", "0,1"),
    _parameter("auto_explain.log_analyze",
               "Use EXPLAIN ANALYZE for plan logging.", "dynamic", "boolean", "0", "0,1"),
    _parameter("auto_explain.log_min_duration",
               "(ms) Sets the minimum execution time above which plans will be logged.",
               "dynamic", "integer", "-1", "-1-2147483647"),
    _parameter("cron.database_name", "Database in which pg_cron metadata is kept.",
               "static", "string", "postgres"),
    _parameter("cron.max_running_jobs",
               "Maximum number of jobs that can run concurrently.",
               "static", "integer", "5", "0-5000"),
    _parameter("pgaudit.log",
               "Specifies which classes of statements will be logged by session audit "
               "logging.", "dynamic", "list", None,
               "ddl,function,misc,read,role,write,none,all,-ddl,-function,-misc,-read,"
               "-role,-write"),
    _parameter("pgaudit.role", "Specifies the master role to use for object audit logging.",
               "dynamic", "string"),
]


def _setting(name, vartype, context, short_desc, boot_val=None, min_val=None,
             max_val=None, enumvals=None, unit=None, category=""):
    """A settings row in the shape of the captured pg_settings rows."""
    return {"name": name, "vartype": vartype, "context": context, "short_desc": short_desc,
            "boot_val": boot_val, "min_val": min_val, "max_val": max_val,
            "enumvals": enumvals, "unit": unit, "category": category}


_LOG_LEVELS = ["disabled", "debug5", "debug4", "debug3", "debug2", "debug1", "log",
               "notice", "warning", "error"]
_SLRU_BUFFERS = "Sets the size of the dedicated buffer pool used for the {} cache."

# Differences from the captured major, per family, applied in order
# (postgres16 starts from postgres15, postgres17 from postgres16).
FAMILY_CHANGES = {
    "postgres14": {
        "base": "postgres15",
        "remove": ["archive_library", "log_startup_progress_interval",
                   "recovery_prefetch", "shared_memory_size",
                   "shared_memory_size_in_huge_pages", "stats_fetch_consistency",
                   "wal_decode_buffer_size"],
        "add": [
            _setting("stats_temp_directory", "string", "sighup",
                     "Writes temporary statistics files to the specified directory.",
                     "pg_stat_tmp"),
            _setting("wal_compression", "bool", "superuser",
                     "Compresses full-page writes written in WAL file.", "off"),
        ],
        "defaults": {"log_autovacuum_min_duration": "-1", "log_checkpoints": "off"},
        "rds_defaults": {},
    },
    "postgres15": {"base": None, "remove": [], "add": [], "defaults": {},
                   "rds_defaults": {}},
    "postgres16": {
        "base": "postgres15",
        "remove": ["force_parallel_mode", "lc_collate", "lc_ctype", "promote_trigger_file",
                   "vacuum_defer_cleanup_age"],
        "add": [
            _setting("createrole_self_grant", "string", "user",
                     "Sets whether a CREATEROLE user automatically grants the role to "
                     "themselves, and with which options.", ""),
            _setting("debug_io_direct", "string", "postmaster",
                     "Use direct I/O for file access.", "", category="Developer Options"),
            _setting("debug_logical_replication_streaming", "enum", "user",
                     "Forces immediate streaming or serialization of changes in large "
                     "transactions.", "buffered", enumvals=["buffered", "immediate"],
                     category="Developer Options"),
            _setting("debug_parallel_query", "enum", "user",
                     "Forces the planner's use parallel query nodes.", "off",
                     enumvals=["off", "on", "regress"], category="Developer Options"),
            _setting("enable_presorted_aggregate", "bool", "user",
                     "Enables the planner's ability to produce plans that provide presorted "
                     "input for ORDER BY / DISTINCT aggregate functions.", "on"),
            _setting("gss_accept_delegation", "bool", "sighup",
                     "Sets whether GSSAPI delegation should be accepted from the client.",
                     "off"),
            _setting("icu_validation_level", "enum", "user",
                     "Log level for reporting invalid ICU locale strings.", "warning",
                     enumvals=_LOG_LEVELS),
            _setting("max_parallel_apply_workers_per_subscription", "integer", "sighup",
                     "Maximum number of parallel apply workers per subscription.", "2",
                     "0", "1024"),
            _setting("reserved_connections", "integer", "postmaster",
                     "Sets the number of connection slots reserved for roles with "
                     "privileges of pg_use_reserved_connections.", "0", "0", "262143"),
            _setting("scram_iterations", "integer", "user",
                     "Sets the iteration count for SCRAM secret generation.", "4096", "1",
                     "2147483647"),
            _setting("send_abort_for_crash", "bool", "sighup",
                     "Send SIGABRT not SIGQUIT to child processes after backend crash.",
                     "off", category="Developer Options"),
            _setting("send_abort_for_kill", "bool", "sighup",
                     "Send SIGABRT not SIGKILL to stuck child processes.", "off",
                     category="Developer Options"),
            _setting("vacuum_buffer_usage_limit", "integer", "user",
                     "Sets the buffer pool size for VACUUM, ANALYZE, and autovacuum.", "256",
                     "0", "16777216", unit="kB"),
        ],
        "defaults": {},
        "rds_defaults": {"rds.force_ssl": "1"},
    },
    "postgres17": {
        "base": "postgres16",
        "remove": ["db_user_namespace", "old_snapshot_threshold", "trace_recovery_messages"],
        "add": [
            _setting("allow_alter_system", "bool", "sighup", "Allows running the ALTER "
                     "SYSTEM command.", "on"),
            _setting("commit_timestamp_buffers", "integer", "postmaster",
                     _SLRU_BUFFERS.format("commit timestamp"), "0", "0", "131072",
                     unit="8kB"),
            _setting("enable_group_by_reordering", "bool", "user",
                     "Enables reordering of GROUP BY keys.", "on"),
            _setting("event_triggers", "bool", "superuser",
                     "Enables event triggers.", "on"),
            _setting("huge_pages_status", "enum", "internal",
                     "Indicates the status of huge pages.", "off",
                     enumvals=["off", "on", "unknown"]),
            _setting("io_combine_limit", "integer", "user",
                     "Limit on the size of data reads and writes.", "16", "1", "32",
                     unit="8kB"),
            _setting("max_notify_queue_pages", "integer", "postmaster",
                     "Sets the maximum number of allocated pages for NOTIFY / LISTEN "
                     "queue.", "1048576", "64", "2147483647"),
            _setting("multixact_member_buffers", "integer", "postmaster",
                     _SLRU_BUFFERS.format("MultiXact member"), "32", "16", "131072",
                     unit="8kB"),
            _setting("multixact_offset_buffers", "integer", "postmaster",
                     _SLRU_BUFFERS.format("MultiXact offset"), "16", "16", "131072",
                     unit="8kB"),
            _setting("notify_buffers", "integer", "postmaster",
                     _SLRU_BUFFERS.format("LISTEN/NOTIFY message"), "16", "16", "131072",
                     unit="8kB"),
            _setting("serializable_buffers", "integer", "postmaster",
                     _SLRU_BUFFERS.format("serializable transaction"), "32", "16",
                     "131072", unit="8kB"),
            _setting("subtransaction_buffers", "integer", "postmaster",
                     _SLRU_BUFFERS.format("subtransaction"), "0", "0", "131072",
                     unit="8kB"),
            _setting("summarize_wal", "bool", "sighup",
                     "Starts the WAL summarizer process to enable incremental backup.",
                     "off"),
            _setting("sync_replication_slots", "bool", "sighup",
                     "Enables a physical standby to synchronize logical failover "
                     "replication slots from the primary server.", "off"),
            _setting("synchronized_standby_slots", "string", "sighup",
                     "Lists streaming replication standby server replication slot names "
                     "that logical WAL sender processes will wait for.", ""),
            _setting("transaction_buffers", "integer", "postmaster",
                     _SLRU_BUFFERS.format("transaction status"), "0", "0", "131072",
                     unit="8kB"),
            _setting("transaction_timeout", "integer", "user",
                     "Sets the maximum allowed duration of any transaction within a "
                     "session (not a prepared transaction).", "0", "0", "2147483647",
                     unit="ms"),
            _setting("wal_summary_keep_time", "integer", "sighup",
                     "Time for which WAL summary files should be kept.", "14400", "0",
                     "35791394", unit="min"),
        ],
        "defaults": {"vacuum_buffer_usage_limit": "2048"},
        "rds_defaults": {},
    },
}


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_postgres(*command, **kwargs):
    """Run a PostgreSQL binary as the postgres system user (PostgreSQL refuses root)."""
    if os.geteuid() == 0:
        command = ("runuser", "-u", "postgres", "--") + command
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)


def capture_settings():
    """pg_settings of a throwaway cluster of the installed PostgreSQL, as a list of rows."""
    workdir = Path(tempfile.mkdtemp(prefix="rds-params-"))
    cluster = workdir / "cluster"
    port = str(_free_port())
    try:
        if os.geteuid() == 0:
            shutil.chown(workdir, "postgres", "postgres")
        _as_postgres(str(PG_BIN / "initdb"), "-D", str(cluster), "-A", "trust",
                     "-U", "postgres")
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(cluster), "-w", "-l",
                     str(workdir / "server.log"), "-o",
                     f"-c listen_addresses='' -c unix_socket_directories={workdir} -p {port}",
                     "start")
        try:
            answer = _as_postgres(str(PG_BIN / "psql"), "-h", str(workdir), "-p", port,
                                  "-U", "postgres", "-d", "postgres", "-XAtc",
                                  SETTINGS_QUERY)
            version = _as_postgres(str(PG_BIN / "psql"), "-h", str(workdir), "-p", port,
                                   "-U", "postgres", "-d", "postgres", "-XAtc",
                                   "SHOW server_version")
        finally:
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(cluster), "-w", "-m", "fast",
                         "stop")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {"server_version": version.stdout.strip(), "settings": json.loads(answer.stdout)}


def _allowed_values(setting):
    vartype = setting["vartype"]
    if vartype == "bool":
        return "0,1"
    if vartype in ("integer", "real"):
        return f"{setting['min_val']}-{setting['max_val']}"
    if vartype == "enum":
        return ",".join(setting["enumvals"])
    return None


def _engine_value(vartype, boot_val):
    if boot_val in (None, ""):
        return None
    if vartype == "bool":
        return "1" if boot_val == "on" else "0"
    return boot_val


DATA_TYPES = {"bool": "boolean", "integer": "integer", "real": "real", "enum": "string",
              "string": "string"}
LIST_PARAMETERS = {"shared_preload_libraries"}


def to_rds_parameter(setting):
    """One pg_settings row as an RDS engine-default Parameter."""
    name = setting["name"]
    modifiable = not (setting["context"] == "internal"
                      or setting["category"] == "Developer Options"
                      or name in SYSTEM_MANAGED)
    description = setting["short_desc"]
    if setting["unit"]:
        description = f"({setting['unit']}) {description}"
    if name in LIST_PARAMETERS:
        data_type, allowed = "list", ",".join(PRELOADABLE_LIBRARIES)
    else:
        data_type, allowed = DATA_TYPES[setting["vartype"]], _allowed_values(setting)
    return _parameter(
        name, description,
        "static" if setting["context"] in ("postmaster", "internal") else "dynamic",
        data_type,
        RDS_DEFAULTS.get(name, _engine_value(setting["vartype"], setting["boot_val"])),
        allowed, modifiable, "system" if name in RDS_DEFAULTS else "engine-default",
    )


def family_settings(family, captured):
    """The pg_settings rows of `family`, derived from the captured major."""
    changes = FAMILY_CHANGES[family]
    if changes["base"] is None:
        rows = {row["name"]: dict(row) for row in captured}
    else:
        rows = family_settings(changes["base"], captured)
    for name in changes["remove"]:
        rows.pop(name)
    for row in changes["add"]:
        rows[row["name"]] = dict(row)
    for name, value in changes["defaults"].items():
        rows[name]["boot_val"] = value
    return rows


def build_family(family, captured):
    """All engine-default parameters of `family`, sorted by name."""
    parameters = {name: to_rds_parameter(row)
                  for name, row in family_settings(family, captured).items()}
    parameters.update({parameter["ParameterName"]: dict(parameter) for parameter in RDS_ONLY})
    for base in _family_chain(family):
        for name, value in FAMILY_CHANGES[base]["rds_defaults"].items():
            parameters[name]["ParameterValue"] = value
    for parameter in parameters.values():
        parameter["MinimumEngineVersion"] = FIRST_MINOR[family]
    return [parameters[name] for name in sorted(parameters)]


def _family_chain(family):
    """`family` and the families it derives from, oldest first."""
    chain = []
    while family is not None:
        chain.insert(0, family)
        family = FAMILY_CHANGES[family]["base"]
    return chain


def settings_path(major=CAPTURED_MAJOR):
    return DATA_DIR / f"postgres{major}_settings.json"


def family_path(family):
    return DATA_DIR / f"rds_parameters_{family}.json"


def _write_json(path, content):
    path.write_text(json.dumps(content, indent=1, sort_keys=False) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capture", action="store_true",
                        help="re-read pg_settings from the installed PostgreSQL first")
    options = parser.parse_args()
    DATA_DIR.mkdir(exist_ok=True)
    if options.capture:
        _write_json(settings_path(), capture_settings())
    captured = json.loads(settings_path().read_text())["settings"]
    for family in FAMILIES:
        parameters = build_family(family, captured)
        _write_json(family_path(family), parameters)
        print(f"{family_path(family).relative_to(DATA_DIR.parent.parent.parent)}: "
              f"{len(parameters)} parameters")


if __name__ == "__main__":
    main()
