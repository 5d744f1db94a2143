"""Real PostgreSQL clusters behind RDS DB instances.

One cluster per DB instance in $ROOT/pg/<region>/<DBInstanceIdentifier>, listening on a
loopback address of its own (loopback.py) and on the port the instance was given (5432 by
default), as an RDS instance is a host of its own. $ROOT is the state dir when the `postgres` system user can
enter it; otherwise (a checkout in root's 0700 home or in a `mktemp -d` folder) it is a
directory of the state dir's own under /var/tmp or the temp dir (`pg_root`). The clusters run Debian's PostgreSQL binaries as the
`postgres` system user (when the endpoint runs as root) and never touch the machine's
own PostgreSQL service or data.

Each cluster keeps a superuser `rdsadmin` (as on RDS) reachable only over its unix socket
(`sockets/<address>/`); the instance's master user is a normal role with LOGIN, CREATEDB,
CREATEROLE and membership in `rds_superuser`, authenticated with scram-sha-256 over TCP.

Clusters are copied from a template made once with initdb, so creating one takes about
a second.

Backups are real and continuous, as on RDS: every primary archives its WAL
(`archive_mode`, 1 MB segments) into a backup lineage in $ROOT/pg-backups/<region>/
<DbiResourceId>/ (`base/`, a pg_basebackup taken at creation; `wal/`, the archive).
A snapshot is a named restore point in that WAL (`snapshot`), a restore is a new cluster
made from the base backup and recovered to a restore point, an LSN or a time (`restore`).
A lineage outlives its instance while snapshots need it; `ship` closes the current WAL
segment so that everything written so far is in the archive.
"""

import functools
import glob
import grp
import hashlib
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

import psycopg2
from psycopg2 import sql

from . import loopback

ADMIN_USER = "rdsadmin"
SYSTEM_USER = "postgres"
TEMPLATE_NAME = ".template"
INSTANCE_CONF = "instance.conf"
SERVER_LOG = "server.log"
# A socket path is at most 107 bytes: this, "/127.255.255.254" and "/.s.PGSQL.65535".
MAX_SOCKET_DIR_LENGTH = 76
START_TIMEOUT_SECONDS = "60"
# Bump when CLUSTER_SETTINGS or the initdb options change: older templates are rebuilt.
TEMPLATE_VERSION = "4"
TEMPLATE_VERSION_FILE = "local_aws_template"
WAL_SEGMENT_MB = "1"
BACKUPS_DIR = "pg-backups"
BASE_BACKUP = "base"
WAL_ARCHIVE = "wal"
ARCHIVE_TIMEOUT_SECONDS = 30
RECOVERY_TIMEOUT_SECONDS = 120

# `SHOW rds.extensions` on RDS for PostgreSQL 15: the extensions RDS allows (AWS's
# "Extension versions for Amazon RDS for PostgreSQL"). Debian's contrib has most of them;
# adminpack, file_fdw, pg_surgery and xml2, which RDS does not allow, are left out.
RDS_EXTENSIONS = (
    "address_standardizer, address_standardizer_data_us, amcheck, autoinc, aws_commons, aws_lambda, aws_ml, "
    "aws_s3, bloom, bool_plperl, btree_gin, btree_gist, citext, cube, dblink, dict_int, dict_xsyn, earthdistance, "
    "fuzzystrmatch, h3, h3_postgis, hll, hstore, hstore_plperl, hypopg, insert_username, intagg, intarray, ip4r, "
    "isn, jsonb_plperl, lo, log_fdw, ltree, moddatetime, mysql_fdw, old_snapshot, oracle_fdw, orafce, "
    "pageinspect, pg_bigm, pg_buffercache, pg_cron, pg_freespacemap, pg_hint_plan, pg_partman, pg_prewarm, "
    "pg_proctab, pg_repack, pg_similarity, pg_stat_statements, pg_tle, pg_transport, pg_trgm, pg_visibility, "
    "pg_walinspect, pgaudit, pgcrypto, pglogical, pgrouting, pgrowlocks, pgstattuple, pgtap, plcoffee, plls, "
    "plperl, plpgsql, plprofiler, plrust, pltcl, plv8, postgis, postgis_raster, postgis_tiger_geocoder, "
    "postgis_topology, postgres_fdw, prefix, rdkit, rds_tools, refint, seg, sslinfo, tablefunc, tcn, tds_fdw, "
    "tsm_system_rows, tsm_system_time, unaccent, uuid-ossp, vector")

CLUSTER_SETTINGS = """
# Settings of the local AWS endpoint's data plane: small and fast, not durable.
# The address, port and socket directory of each cluster are in its instance.conf.
unix_socket_permissions = 0700
max_connections = 50
shared_buffers = 16MB
fsync = off
synchronous_commit = off
full_page_writes = off
password_encryption = 'scram-sha-256'
shared_preload_libraries = 'pg_stat_statements'
rds.extensions = '{rds_extensions}'
wal_level = replica
max_wal_senders = 10
archive_mode = on
hot_standby = on
logging_collector = off
include_if_exists = '{instance_conf}'
"""

HBA_RULES = f"""# TYPE  DATABASE     USER       ADDRESS        METHOD
local   all          {ADMIN_USER}   trust
local   replication  {ADMIN_USER}   trust
host    all          all        127.0.0.0/8    scram-sha-256
host    all          all        ::1/128        scram-sha-256
"""

# Extensions an RDS master user may create that only a superuser may create here.
RDS_SUPERUSER_EXTENSIONS = ["CREATE EXTENSION pg_stat_statements", "CREATE EXTENSION pgstattuple"]

_template_lock = threading.Lock()
_snapshot_lock = threading.Lock()
_snapshot_connections = {}


class DataPlaneError(RuntimeError):
    """A PostgreSQL command of the data plane failed; the message carries its output."""


def pg_bin(program):
    """Path of a PostgreSQL server program (LOCAL_AWS_PG_BIN, else the newest Debian one)."""
    configured = os.environ.get("LOCAL_AWS_PG_BIN")
    candidates = [configured] if configured else sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda path: int(path.split("/")[-2]))
    for directory in reversed(candidates):
        path = os.path.join(directory, program)
        if os.access(path, os.X_OK):
            return path
    raise DataPlaneError(f"PostgreSQL program {program} not found (install Debian's postgresql)")


def _server_major():
    """Major version of the PostgreSQL binaries in use, e.g. "15"."""
    version = _run([pg_bin("postgres"), "--version"], as_cluster_owner=False).stdout
    return version.split()[-1].split(".")[0]


def _enterable(path, user):
    """Whether `user` (a pwd entry) may search the directory `path` and all its parents."""
    groups = {user.pw_gid, *(group.gr_gid for group in grp.getgrall() if user.pw_name in group.gr_mem)}
    for directory in (path, *path.parents):
        try:
            status = directory.stat()
        except FileNotFoundError:
            continue  # made later, by us, with the default mode
        if status.st_uid == user.pw_uid:
            bit = stat.S_IXUSR
        elif status.st_gid in groups:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not status.st_mode & bit:
            return False
    return True


@functools.lru_cache(maxsize=None)
def pg_root(state_dir):
    """Where the clusters and backup lineages of a state dir live: the state dir itself when
    the cluster owner can enter it, else a directory of its own that it can enter."""
    state_dir = Path(state_dir).resolve()
    if not _running_as_root():
        return state_dir
    owner = pwd.getpwnam(SYSTEM_USER)
    if _enterable(state_dir, owner):
        return state_dir
    name = f"local_aws_{hashlib.sha1(str(state_dir).encode()).hexdigest()[:12]}"
    for base in ("/var/tmp", tempfile.gettempdir(), "/tmp"):
        if _enterable(Path(base), owner):
            root = Path(base) / name
            root.mkdir(mode=0o755, exist_ok=True)
            os.chmod(root, 0o755)
            return root
    raise DataPlaneError(f"the {SYSTEM_USER} user can enter neither {state_dir} nor a temp dir")


def clusters_dir(state_dir):
    return pg_root(state_dir) / "pg"


def data_dir(state_dir, region, identifier):
    return clusters_dir(state_dir) / region / identifier.lower()


def _cluster_dirs(state_dir):
    """Data directories of all instance clusters (the template is not one)."""
    return sorted(path.parent for path in clusters_dir(state_dir).glob("*/*/PG_VERSION")
                  if not path.parent.parent.name.startswith("."))


def socket_dir(state_dir):
    """Parent of the clusters' unix socket directories, short enough for the path limit."""
    preferred = clusters_dir(state_dir) / "sockets"
    if len(str(preferred)) <= MAX_SOCKET_DIR_LENGTH:
        return preferred
    digest = hashlib.sha1(str(preferred).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"local_aws_pg_{digest}"


def _running_as_root():
    return os.geteuid() == 0


def _as_cluster_owner(command):
    return ["runuser", "-u", SYSTEM_USER, "--", *command] if _running_as_root() else command


def _give_to_cluster_owner(path):
    if _running_as_root():
        entry = pwd.getpwnam(SYSTEM_USER)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _run(command, timeout=120, as_cluster_owner=True):
    full_command = _as_cluster_owner(command) if as_cluster_owner else command
    result = subprocess.run(full_command, capture_output=True, text=True,
                            timeout=timeout, check=False, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise DataPlaneError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    return result


def _ensure_owned_dir(path, mode):
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, mode)
    _give_to_cluster_owner(path)


def _template_current(template):
    try:
        return ((template / "PG_VERSION").read_text(encoding="utf-8").strip() == _server_major()
                and (template / TEMPLATE_VERSION_FILE).read_text(encoding="utf-8").strip()
                == TEMPLATE_VERSION)
    except OSError:
        return False


def _ensure_template(state_dir):
    template = clusters_dir(state_dir) / TEMPLATE_NAME
    with _template_lock:
        if _template_current(template):
            return template
        shutil.rmtree(template, ignore_errors=True)  # other binaries or settings
        clusters_dir(state_dir).mkdir(parents=True, exist_ok=True)
        _ensure_owned_dir(socket_dir(state_dir), 0o700)
        building = clusters_dir(state_dir) / f"{TEMPLATE_NAME}.building"
        shutil.rmtree(building, ignore_errors=True)
        _ensure_owned_dir(building, 0o700)
        _run([pg_bin("initdb"), "-D", str(building), "-U", ADMIN_USER, "--auth=trust",
              "--no-sync", "--no-instructions", "-E", "UTF8", "--locale=C.UTF-8",
              f"--wal-segsize={WAL_SEGMENT_MB}"])
        with open(building / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(CLUSTER_SETTINGS.format(instance_conf=INSTANCE_CONF, rds_extensions=RDS_EXTENSIONS))
        (building / "pg_hba.conf").write_text(HBA_RULES, encoding="utf-8")
        (building / TEMPLATE_VERSION_FILE).write_text(TEMPLATE_VERSION, encoding="utf-8")
        building.rename(template)
        return template


def _free_address(state_dir, port):
    """A loopback address no other cluster has, where `port` is free; hold loopback.lock."""
    taken = {_read_instance_conf(directory).get("listen_addresses")
             for directory in _cluster_dirs(state_dir)}
    return loopback.free_address(loopback.POSTGRES_HOSTS, port, taken)


def _cluster_socket_dir(state_dir, address):
    return socket_dir(state_dir) / address


def _write_instance_conf(state_dir, directory, address, port, archive=None, recovery=None):
    """Address, port and socket directory, the WAL archive (a lineage's wal/ dir; None:
    none) and recovery settings."""
    sockets = _cluster_socket_dir(state_dir, address)
    _ensure_owned_dir(sockets, 0o700)
    lines = [f"listen_addresses = '{address}'", f"port = {port}",
             f"unix_socket_directories = '{sockets}'"]
    if archive:
        # Copy then rename, so that a restore never reads a half-written segment.
        lines.append(f"archive_command = 'test ! -f {archive}/%f && cp %p {archive}/.%f "
                     f"&& mv {archive}/.%f {archive}/%f'")
    else:
        lines.append("archive_command = '/bin/true'")  # read replicas: the source archives
    lines += [f"{name} = '{value}'" for name, value in (recovery or {}).items()]
    conf = directory / INSTANCE_CONF
    conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _give_to_cluster_owner(conf)


def _read_instance_conf(directory):
    """{setting: value} of a cluster's instance.conf, quotes removed; {} if it has none."""
    try:
        lines = (directory / INSTANCE_CONF).read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    settings = {}
    for line in lines:
        name, _equals, value = line.partition(" = ")
        settings[name] = value.strip("'")
    return settings


def _archive_of(directory):
    """The WAL archive a cluster's archive_command copies to, None for none."""
    command = _read_instance_conf(directory).get("archive_command", "")
    return Path(command.split()[3].rsplit("/", 1)[0]) if command.startswith("test ") else None


def port_of(state_dir, region, identifier):
    """The TCP port of an instance's cluster, None if it has none."""
    port = _read_instance_conf(data_dir(state_dir, region, identifier)).get("port")
    return int(port) if port else None


def address_of(state_dir, region, identifier):
    """The loopback address an instance's cluster listens on, None if it has none."""
    return _read_instance_conf(data_dir(state_dir, region, identifier)).get("listen_addresses")


def admin_connect(state_dir, region, identifier, dbname="postgres"):
    """psycopg2 connection as the cluster's superuser, over its unix socket."""
    settings = _read_instance_conf(data_dir(state_dir, region, identifier))
    return psycopg2.connect(host=settings["unix_socket_directories"], port=settings["port"],
                            user=ADMIN_USER, dbname=dbname, connect_timeout=10)


def _admin_socket_args(directory):
    """pg_basebackup's -h and -p for a cluster's unix socket."""
    settings = _read_instance_conf(directory)
    return ["-h", settings["unix_socket_directories"], "-p", settings["port"]]


def _start(directory):
    _run([pg_bin("pg_ctl"), "-D", str(directory), "-l", str(directory / SERVER_LOG),
          "-w", "-t", START_TIMEOUT_SECONDS, "start"])


def _stop(directory, mode="fast"):
    """Stop a cluster if it runs; a stale postmaster.pid is harmless."""
    if not (directory / "postmaster.pid").exists():
        return
    try:
        _run([pg_bin("pg_ctl"), "-D", str(directory), "-w", "-m", mode, "stop"])
    except DataPlaneError:
        _kill_postmaster(directory)


def _kill_postmaster(directory):
    pid_file = directory / "postmaster.pid"
    try:
        pid = int(pid_file.read_text(encoding="utf-8").splitlines()[0])
        if Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].endswith(b"postgres"):
            os.kill(pid, signal.SIGQUIT)
    except (OSError, ValueError, IndexError):
        pass
    pid_file.unlink(missing_ok=True)


def _execute_as_admin(state_dir, region, identifier, dbname, statements):
    """Run statements as the cluster's superuser over its unix socket, each committed."""
    connection = admin_connect(state_dir, region, identifier, dbname)
    connection.autocommit = True
    with closing(connection), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def create(state_dir, region, identifier, port, master_username, master_password,
           db_name=None, lineage=None):
    """New primary cluster on `port` with the master user and the initial database;
    returns its address.

    lineage: "<region>/<DbiResourceId>" of the backup lineage it archives to (base
    backup taken at the end), None for none.
    """
    template = _ensure_template(state_dir)
    directory = data_dir(state_dir, region, identifier)
    delete(state_dir, region, identifier)
    directory.parent.mkdir(parents=True, exist_ok=True)
    # As the caller, so that `cp -a` may keep the template's owner.
    _run(["cp", "-a", str(template), str(directory)], as_cluster_owner=False)
    with loopback.lock:
        address = _free_address(state_dir, port)
        _write_instance_conf(state_dir, directory, address, port,
                             _new_lineage(state_dir, lineage))
    _start(directory)
    master = sql.Identifier(master_username)
    _execute_as_admin(state_dir, region, identifier, "postgres", [
        "CREATE ROLE rds_superuser NOLOGIN",
        "GRANT pg_monitor, pg_signal_backend TO rds_superuser",
        # As on RDS: the role IAM database authentication grants (tokens are not checked here).
        "CREATE ROLE rds_iam NOLOGIN",
        sql.SQL("CREATE ROLE {} LOGIN CREATEDB CREATEROLE PASSWORD {}").format(
            master, sql.Literal(master_password)),
        sql.SQL("GRANT rds_superuser TO {} WITH ADMIN OPTION").format(master),
        # Creating pg_stat_statements and pgstattuple needs a superuser here (rds_superuser
        # may on RDS): have them in every database, including those the master user creates
        # later, so that the master's CREATE EXTENSION IF NOT EXISTS works as on RDS.
        *RDS_SUPERUSER_EXTENSIONS,
    ])
    _execute_as_admin(state_dir, region, identifier, "template1", RDS_SUPERUSER_EXTENSIONS)
    if db_name and db_name != "postgres":
        _execute_as_admin(state_dir, region, identifier, "postgres", [
            sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(db_name), master)])
    if lineage:
        _base_backup(state_dir, directory, lineage)
    return address


def create_replica(state_dir, region, identifier, port, source_region, source_identifier):
    """Streaming hot-standby replica of another instance's cluster, on `port`; returns its
    address."""
    source = data_dir(state_dir, source_region, source_identifier)
    if port_of(state_dir, source_region, source_identifier) is None:
        raise DataPlaneError(f"instance {source_identifier} has no PostgreSQL cluster")
    directory = data_dir(state_dir, region, identifier)
    delete(state_dir, region, identifier)
    directory.parent.mkdir(parents=True, exist_ok=True)
    _ensure_owned_dir(directory, 0o700)
    _run([pg_bin("pg_basebackup"), *_admin_socket_args(source), "-U", ADMIN_USER,
          "-D", str(directory), "-R", "-X", "stream", "-c", "fast", "--no-sync"])
    (directory / SERVER_LOG).unlink(missing_ok=True)
    with loopback.lock:
        address = _free_address(state_dir, port)
        _write_instance_conf(state_dir, directory, address, port)
    _start(directory)
    return address


def set_password(state_dir, region, identifier, username, password):
    _execute_as_admin(state_dir, region, identifier, "postgres", [
        sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(username),
                                                    sql.Literal(password))])


def stop(state_dir, region, identifier):
    _stop(data_dir(state_dir, region, identifier))


def start(state_dir, region, identifier):
    _start(data_dir(state_dir, region, identifier))


def restart(state_dir, region, identifier):
    directory = data_dir(state_dir, region, identifier)
    _run([pg_bin("pg_ctl"), "-D", str(directory), "-l", str(directory / SERVER_LOG),
          "-w", "-t", START_TIMEOUT_SECONDS, "-m", "fast", "restart"])


def promote(state_dir, region, identifier, lineage=None):
    """Turn a replica into a writable primary, archiving from now on to `lineage`
    (a new one: its base backup is taken once the cluster is writable)."""
    directory = data_dir(state_dir, region, identifier)
    if lineage:
        _write_instance_conf(state_dir, directory, address_of(state_dir, region, identifier),
                             port_of(state_dir, region, identifier),
                             _new_lineage(state_dir, lineage))
        _run([pg_bin("pg_ctl"), "-D", str(directory), "reload"])
    _run([pg_bin("pg_ctl"), "-D", str(directory), "-w", "promote"])
    if lineage:
        _base_backup(state_dir, directory, lineage)


def change_port(state_dir, region, identifier, port):
    """Move a cluster to another port (ModifyDBInstance DBPortNumber): it restarts."""
    directory = data_dir(state_dir, region, identifier)
    _write_instance_conf(state_dir, directory, address_of(state_dir, region, identifier), port,
                         _archive_of(directory))
    restart(state_dir, region, identifier)


def rename(state_dir, region, identifier, new_identifier):
    """Follow a DBInstanceIdentifier change: the cluster moves and restarts."""
    directory = data_dir(state_dir, region, identifier)
    _stop(directory)
    directory.rename(data_dir(state_dir, region, new_identifier))
    _start(data_dir(state_dir, region, new_identifier))


def delete(state_dir, region, identifier):
    """Stop the instance's cluster and remove its data directory."""
    _remove(data_dir(state_dir, region, identifier))


def _remove(directory):
    if directory.exists():
        _stop(directory, mode="immediate")
        # The socket directory first: its address is free for another cluster once the
        # instance.conf naming it is gone.
        sockets = _read_instance_conf(directory).get("unix_socket_directories")
        if sockets:
            shutil.rmtree(sockets, ignore_errors=True)
        shutil.rmtree(directory)


def exists(state_dir, region, identifier):
    return (data_dir(state_dir, region, identifier) / "PG_VERSION").exists()


def cluster_names(state_dir):
    """["<region>/<identifier>", ...] of every instance cluster on disk."""
    return [f"{path.parent.name}/{path.name}" for path in _cluster_dirs(state_dir)]


def stop_all(state_dir):
    for directory in _cluster_dirs(state_dir):
        _stop(directory)


def delete_all(state_dir):
    """Stop and remove every instance cluster and backup lineage (the template is kept)."""
    for directory in _cluster_dirs(state_dir):
        _remove(directory)
    shutil.rmtree(pg_root(state_dir) / BACKUPS_DIR, ignore_errors=True)


# --- backups: lineages, snapshots, restores ------------------------------------------------

def lineage_dir(state_dir, lineage):
    return pg_root(state_dir) / BACKUPS_DIR / lineage.lower()


def _new_lineage(state_dir, lineage):
    """Create an empty lineage (wal/ ready for the archiver); its wal/ path, None for none."""
    if not lineage:
        return None
    root = lineage_dir(state_dir, lineage)
    shutil.rmtree(root, ignore_errors=True)
    root.parent.mkdir(parents=True, exist_ok=True)
    _ensure_owned_dir(root, 0o700)
    _ensure_owned_dir(root / WAL_ARCHIVE, 0o700)
    return root / WAL_ARCHIVE


def _base_backup(state_dir, directory, lineage):
    """pg_basebackup of the cluster in `directory` into the lineage's base/."""
    base = lineage_dir(state_dir, lineage) / BASE_BACKUP
    _run([pg_bin("pg_basebackup"), *_admin_socket_args(directory), "-U", ADMIN_USER,
          "-D", str(base), "-X", "stream", "-c", "fast", "--no-sync", "--no-manifest"])
    (base / SERVER_LOG).unlink(missing_ok=True)


def lineage_exists(state_dir, lineage):
    return (lineage_dir(state_dir, lineage) / BASE_BACKUP / "PG_VERSION").exists()


def lineage_created(state_dir, lineage):
    """When the lineage's base backup was taken (its earliest restorable time), UTC."""
    stamp = (lineage_dir(state_dir, lineage) / BASE_BACKUP / "PG_VERSION").stat().st_mtime
    return datetime.fromtimestamp(stamp, timezone.utc)


def delete_lineage(state_dir, lineage):
    shutil.rmtree(lineage_dir(state_dir, lineage), ignore_errors=True)


def _admin_query(state_dir, region, identifier, *statements, args=()):
    """Run statements as the superuser, each in its own transaction; the last one's row."""
    connection = admin_connect(state_dir, region, identifier)
    connection.autocommit = True
    with closing(connection), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, args if statement is statements[-1] else ())
        return cursor.fetchone()


def snapshot(state_dir, region, identifier, name):
    """Mark the cluster's current state as restore point `name` (at most 63 characters):
    one WAL record, no copy. Returns the restore point's LSN.

    Uses a kept superuser connection per cluster: a new backend per call would cost more
    than the restore point itself (snapshots are taken by the thousand in tests)."""
    key = str(data_dir(state_dir, region, identifier))
    port = port_of(state_dir, region, identifier)
    with _snapshot_lock:
        for attempt in (1, 2):
            connection = _snapshot_connections.get(key)
            if connection is None or connection.closed or connection.info.port != port:
                connection = admin_connect(state_dir, region, identifier)
                connection.autocommit = True
                _snapshot_connections[key] = connection
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_create_restore_point(%s)::text", (name,))
                    return cursor.fetchone()[0]
            except (psycopg2.OperationalError, psycopg2.InterfaceError):
                _snapshot_connections.pop(key).close()  # the server restarted: reconnect
                if attempt == 2:
                    raise
    return None


def replay_position(state_dir, region, identifier):
    """LSN a standby has replayed up to (its data as of that point of the source's WAL)."""
    return _admin_query(state_dir, region, identifier,
                        "SELECT pg_last_wal_replay_lsn()::text")[0]


def ship(state_dir, region, identifier, lineage, wait=True):
    """Close the current WAL segment so that the archive holds everything committed so far.

    A small transaction is committed first: recovery to a time needs a commit after that
    time to know where to stop. Returns a UTC time up to which the archive is complete.
    """
    shipped_through = datetime.now(timezone.utc)
    # Two transactions: the marker's commit record must land before the switch.
    segment = _admin_query(state_dir, region, identifier, "SELECT txid_current()",
                           "SELECT pg_walfile_name(pg_switch_wal())")[0]
    if wait:
        archived = lineage_dir(state_dir, lineage) / WAL_ARCHIVE / segment
        deadline = time.monotonic() + ARCHIVE_TIMEOUT_SECONDS
        while not archived.exists():
            if time.monotonic() > deadline:
                raise DataPlaneError(f"WAL segment {segment} was not archived in "
                                     f"{ARCHIVE_TIMEOUT_SECONDS}s")
            time.sleep(0.01)
    return shipped_through


def recovery_settings(target):
    """postgresql.conf recovery settings for a target: {"name": restore point} |
    {"lsn": LSN} (state just before it) | {"time": UTC datetime} | {"immediate": True}
    (the base backup as it was taken)."""
    if "name" in target:
        settings = {"recovery_target_name": target["name"]}
    elif "lsn" in target:
        settings = {"recovery_target_lsn": target["lsn"], "recovery_target_inclusive": "off"}
    elif "time" in target:
        settings = {"recovery_target_time": target["time"].astimezone(timezone.utc).strftime(
            "%Y-%m-%d %H:%M:%S.%f+00")}
    else:
        settings = {"recovery_target": "immediate"}
    return {**settings, "recovery_target_action": "promote",
            "recovery_target_timeline": "latest"}


def restore(state_dir, region, identifier, port, source_lineage, target, lineage):
    """New cluster on `port` from `source_lineage`'s base backup, recovered from its WAL
    archive to `target` (see recovery_settings) and promoted; archives to the new
    `lineage`. Returns its address."""
    source = lineage_dir(state_dir, source_lineage)
    if not (source / BASE_BACKUP / "PG_VERSION").exists():
        raise DataPlaneError(f"backup {source_lineage} has no base backup")
    directory = data_dir(state_dir, region, identifier)
    if directory.exists():
        raise DataPlaneError(f"instance {identifier} already has a cluster")
    directory.parent.mkdir(parents=True, exist_ok=True)
    archive = _new_lineage(state_dir, lineage)
    recovery = {"restore_command": f"cp {source / WAL_ARCHIVE}/%f %p",
                **recovery_settings(target)}
    _run(["cp", "-a", str(source / BASE_BACKUP), str(directory)], as_cluster_owner=False)
    signal_file = directory / "recovery.signal"
    signal_file.touch()
    _give_to_cluster_owner(signal_file)
    try:
        with loopback.lock:
            address = _free_address(state_dir, port)
            _write_instance_conf(state_dir, directory, address, port, archive, recovery)
        _start(directory)
        _wait_for_promotion(state_dir, region, identifier, directory)
    except Exception:
        _remove(directory)
        delete_lineage(state_dir, lineage)
        raise
    _write_instance_conf(state_dir, directory, address, port, archive)  # recovery done with
    _base_backup(state_dir, directory, lineage)
    return address


def _wait_for_promotion(state_dir, region, identifier, directory):
    deadline = time.monotonic() + RECOVERY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if not (directory / "postmaster.pid").exists():
            break  # recovery failed: the server stopped
        try:
            if _admin_query(state_dir, region, identifier,
                            "SELECT pg_is_in_recovery()")[0] is False:
                return
        except psycopg2.Error:
            pass
        time.sleep(0.05)
    log = (directory / SERVER_LOG).read_text(encoding="utf-8", errors="replace")
    raise DataPlaneError("recovery did not finish:\n" + "\n".join(log.splitlines()[-15:]))
