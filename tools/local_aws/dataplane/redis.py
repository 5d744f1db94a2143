"""Real redis-server processes behind ElastiCache replication groups.

One process per member cluster (cache node) in
$STATE_DIR/redis/<region>/<ReplicationGroupId>/<CacheClusterId>/, listening on a loopback
address of its own (loopback.py) and on the group's port (6379 by default), as each
ElastiCache node is a host of its own; its redis.conf, pid file and log are there. Replicas follow the
primary with `replicaof`. A group with cluster mode enabled is one Redis Cluster
(`cluster-enabled yes`): its shards' primaries share the hash slots and their replicas
follow them with CLUSTER REPLICATE (form_cluster).

Authentication uses Redis ACLs so that two AUTH tokens can be valid at once (ROTATE):
the `default` user carries the group's tokens (or `nopass` without a token). A second
user, `localadmin`, with a random password kept in the group directory (mode 0600), is
how the endpoint itself and the replicas (`masteruser` / `masterauth`) connect, so token
changes never interrupt replication. Runtime changes are persisted with CONFIG REWRITE.

Nothing is written to disk by the servers (`save ""`, no AOF): the data is as short-lived
as the endpoint's moto state.
"""

import hashlib
import os
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from . import loopback

ADMIN_USER = "localadmin"
ADMIN_SECRET_FILE = "admin.secret"
CONFIG_FILE = "redis.conf"
PID_FILE = "redis.pid"
LOG_FILE = "redis.log"
RDB_FILE = "dump.rdb"
START_TIMEOUT_SECONDS = 20
STOP_TIMEOUT_SECONDS = 10
REPLICA_SYNC_TIMEOUT_SECONDS = 20

NODE_SETTINGS = """# Node of the local AWS endpoint's data plane: loopback only, nothing persisted.
bind {address}
port {port}
daemonize yes
pidfile {pid_file}
logfile {log_file}
dir {directory}
dbfilename {rdb_file}
save ""
appendonly no
protected-mode no
repl-diskless-sync-delay 0
shutdown-on-sigterm nosave now
{users}
masteruser {admin_user}
masterauth {admin_password}
"""
# Added for a node of a group with cluster mode enabled; nodes.conf lives in the node's dir.
# A node announces, and connects from, its own loopback address.
CLUSTER_SETTINGS = """cluster-enabled yes
cluster-config-file nodes.conf
cluster-node-timeout 5000
cluster-announce-ip {address}
bind-source-addr {address}
"""
CLUSTER_SLOTS = 16384


class RedisDataPlaneError(RuntimeError):
    """A redis-server of the data plane could not be started or changed."""


def redis_server():
    """Path of redis-server (LOCAL_AWS_REDIS_SERVER, else the one on PATH)."""
    path = os.environ.get("LOCAL_AWS_REDIS_SERVER") or shutil.which("redis-server")
    if not path:
        raise RedisDataPlaneError("redis-server not found (install Debian's redis-server)")
    return path


def groups_dir(state_dir):
    return Path(state_dir) / "redis"


def group_dir(state_dir, region, group_id):
    return groups_dir(state_dir) / region / group_id.lower()


def node_dir(state_dir, region, group_id, cluster_id):
    return group_dir(state_dir, region, group_id) / cluster_id.lower()


def _node_dirs(state_dir):
    return sorted(path.parent for path in groups_dir(state_dir).glob(f"*/*/*/{CONFIG_FILE}"))


def _admin_password(state_dir, region, group_id):
    """The group's `localadmin` password, created on first use."""
    secret_file = group_dir(state_dir, region, group_id) / ADMIN_SECRET_FILE
    if not secret_file.exists():
        secret_file.parent.mkdir(parents=True, exist_ok=True)
        secret_file.touch(mode=0o600)
        secret_file.write_text(secrets.token_hex(24), encoding="utf-8")
    return secret_file.read_text(encoding="utf-8").strip()


def _default_user_rule(tokens):
    """ACL rule of the `default` user; tokens are stored as SHA-256 hashes only."""
    passwords = " ".join(f"#{hashlib.sha256(token.encode()).hexdigest()}"
                         for token in tokens) if tokens else "nopass"
    return f"on {passwords} ~* &* +@all"


def _configured(directory, setting):
    """The value of `bind` or `port` in a node's redis.conf, None if it has none."""
    try:
        for line in (directory / CONFIG_FILE).read_text(encoding="utf-8").splitlines():
            if line.startswith(f"{setting} "):
                return line.split()[1]
    except (OSError, IndexError):
        pass
    return None


def port_of(state_dir, region, group_id, cluster_id):
    """TCP port of a node, None if it has none."""
    port = _configured(node_dir(state_dir, region, group_id, cluster_id), "port")
    return int(port) if port else None


def address_of(state_dir, region, group_id, cluster_id):
    """Loopback address of a node, None if it has none."""
    return _configured(node_dir(state_dir, region, group_id, cluster_id), "bind")


def _free_address(state_dir, port):
    """A loopback address no other node has, where `port` is free; hold loopback.lock."""
    taken = {_configured(directory, "bind") for directory in _node_dirs(state_dir)}
    return loopback.free_address(loopback.REDIS_HOSTS, port, taken)


def admin_connection(state_dir, region, group_id, cluster_id):
    """redis-py client of a node as `localadmin`."""
    return redis.Redis(host=address_of(state_dir, region, group_id, cluster_id),
                       port=port_of(state_dir, region, group_id, cluster_id),
                       username=ADMIN_USER,
                       password=_admin_password(state_dir, region, group_id),
                       socket_timeout=10, decode_responses=True,
                       retry=Retry(NoBackoff(), 0))


def start_node(state_dir, region, group_id, cluster_id, port, tokens, primary_cluster_id=None,
               rdb_file=None, cluster_mode=False, maxmemory=None):
    """Start a node on `port`, a replica of `primary_cluster_id` when given, loading
    `rdb_file` (a snapshot's data) when given; with `cluster_mode` a Redis Cluster node
    (form_cluster joins it); `maxmemory` in bytes, as ElastiCache sets it for the node
    type (a limit only: the local node allocates what it holds). Returns its address."""
    directory = node_dir(state_dir, region, group_id, cluster_id)
    delete_node(state_dir, region, group_id, cluster_id)
    directory.mkdir(parents=True)
    if rdb_file:
        shutil.copyfile(rdb_file, directory / RDB_FILE)
    admin_password = _admin_password(state_dir, region, group_id)
    users = "\n".join([f"user default {_default_user_rule(tokens)}",
                       f"user {ADMIN_USER} on >{admin_password} ~* &* +@all"])
    config = directory / CONFIG_FILE
    config.touch(mode=0o600)
    with loopback.lock:
        address = _free_address(state_dir, port)
        config.write_text(NODE_SETTINGS.format(
            address=address, port=port, pid_file=directory / PID_FILE,
            log_file=directory / LOG_FILE, directory=directory, rdb_file=RDB_FILE, users=users,
            admin_user=ADMIN_USER, admin_password=admin_password), encoding="utf-8")
    if maxmemory:
        with open(config, "a", encoding="utf-8") as conf:
            conf.write(f"maxmemory {int(maxmemory)}\n")
    if cluster_mode:
        with open(config, "a", encoding="utf-8") as conf:
            conf.write(CLUSTER_SETTINGS.format(address=address))
    if primary_cluster_id:
        with open(config, "a", encoding="utf-8") as conf:
            conf.write(f"replicaof {address_of(state_dir, region, group_id, primary_cluster_id)} "
                       f"{port_of(state_dir, region, group_id, primary_cluster_id)}\n")
    result = subprocess.run([redis_server(), str(config)], capture_output=True, text=True,
                            timeout=START_TIMEOUT_SECONDS, check=False, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise RedisDataPlaneError(f"redis-server {config} failed: {result.stdout}{result.stderr}")
    _wait_until_answering(state_dir, region, group_id, cluster_id)
    return address


def form_cluster(state_dir, region, group_id, shards):
    """Join cluster-mode nodes into one Redis Cluster: `shards` is a list of
    [primary_cluster_id, replica_cluster_id, ...]; the 16384 hash slots are split evenly
    over the primaries in order. Returns the slot ranges, "start-end" per shard."""
    def client(cluster_id):
        return admin_connection(state_dir, region, group_id, cluster_id)

    members = [cluster_id for shard in shards for cluster_id in shard]
    first = client(members[0])
    for cluster_id in members[1:]:
        first.execute_command("CLUSTER", "MEET", address_of(state_dir, region, group_id, cluster_id),
                              port_of(state_dir, region, group_id, cluster_id))
    ranges = []
    for index, shard in enumerate(shards):
        start = index * CLUSTER_SLOTS // len(shards)
        end = (index + 1) * CLUSTER_SLOTS // len(shards) - 1
        client(shard[0]).execute_command("CLUSTER", "ADDSLOTSRANGE", start, end)
        ranges.append(f"{start}-{end}")
    node_ids = {cluster_id: client(cluster_id).execute_command("CLUSTER", "MYID") for cluster_id in members}
    _wait(lambda: all(len(client(cluster_id).execute_command("CLUSTER", "NODES").splitlines()) == len(members)
                      for cluster_id in members), f"the nodes of {group_id} did not meet")
    for shard in shards:
        for replica in shard[1:]:
            client(replica).execute_command("CLUSTER", "REPLICATE", node_ids[shard[0]])
    replicas = len(members) - len(shards)

    def settled(cluster_id):  # this node sees every slot served and every replica
        node = client(cluster_id)
        return node.cluster("INFO")["cluster_state"] == "ok" and len(_replica_node_ids(node)) == replicas

    _wait(lambda: all(settled(cluster_id) for cluster_id in members),
          f"the cluster of {group_id} did not settle")
    for shard in shards:
        for replica in shard[1:]:
            wait_for_sync(state_dir, region, group_id, replica)
    for cluster_id in members:
        _persist(client(cluster_id))
    return ranges


def join_cluster(state_dir, region, group_id, cluster_id, primary_cluster_id, member_cluster_ids):
    """A new cluster-mode node joins the cluster as a replica of `primary_cluster_id`;
    returns once every one of `member_cluster_ids` knows it as a replica."""
    node = admin_connection(state_dir, region, group_id, cluster_id)
    primary_id = admin_connection(state_dir, region, group_id, primary_cluster_id).execute_command("CLUSTER", "MYID")
    node.execute_command("CLUSTER", "MEET", address_of(state_dir, region, group_id, primary_cluster_id),
                         port_of(state_dir, region, group_id, primary_cluster_id))

    def replicating():
        try:
            node.execute_command("CLUSTER", "REPLICATE", primary_id)
            return True
        except redis.ResponseError:  # the handshake with the primary is not done yet
            return False

    _wait(replicating, f"{cluster_id} could not join the cluster of {group_id}")
    wait_for_sync(state_dir, region, group_id, cluster_id)
    _persist(node)
    node_id = node.execute_command("CLUSTER", "MYID")

    _wait(lambda: all(node_id in _replica_node_ids(admin_connection(state_dir, region, group_id, other))
                      for other in member_cluster_ids),
          f"the cluster of {group_id} did not learn of {cluster_id}")


def leave_cluster(state_dir, region, group_id, cluster_id, remaining_cluster_ids):
    """Stop and remove a cluster-mode replica; the remaining nodes forget it."""
    node_id = admin_connection(state_dir, region, group_id, cluster_id).execute_command("CLUSTER", "MYID")
    delete_node(state_dir, region, group_id, cluster_id)
    for other in remaining_cluster_ids:
        client = admin_connection(state_dir, region, group_id, other)
        client.execute_command("CLUSTER", "FORGET", node_id)
        _persist(client)


def _replica_node_ids(client):
    """The node ids a cluster node knows as replicas (CLUSTER NODES: id, address, flags, ...)."""
    return {fields[0] for fields in map(str.split, client.execute_command("CLUSTER", "NODES").splitlines())
            if "slave" in fields[2].split(",")}


def _wait(condition, failure):
    deadline = time.monotonic() + REPLICA_SYNC_TIMEOUT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise RedisDataPlaneError(failure)
        time.sleep(0.05)


def _wait_until_answering(state_dir, region, group_id, cluster_id):
    client = admin_connection(state_dir, region, group_id, cluster_id)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        try:
            client.ping()
            return
        except redis.ConnectionError as problem:
            if time.monotonic() > deadline:
                raise RedisDataPlaneError(f"node {cluster_id} does not answer: {problem}") \
                    from problem
            time.sleep(0.05)


def wait_for_sync(state_dir, region, group_id, cluster_id):
    """Block until a replica has finished its initial synchronisation."""
    client = admin_connection(state_dir, region, group_id, cluster_id)
    _wait(lambda: client.info("replication").get("master_link_status") == "up",
          f"replica {cluster_id} did not synchronise")


def _persist(client):
    client.config_rewrite()


def promote(state_dir, region, group_id, cluster_id):
    """Make a replica a writable primary."""
    client = admin_connection(state_dir, region, group_id, cluster_id)
    client.replicaof("NO", "ONE")
    _persist(client)


def follow(state_dir, region, group_id, cluster_id, primary_cluster_id):
    """Make a node a replica of another node of the group."""
    client = admin_connection(state_dir, region, group_id, cluster_id)
    client.replicaof(address_of(state_dir, region, group_id, primary_cluster_id),
                     port_of(state_dir, region, group_id, primary_cluster_id))
    _persist(client)


def set_tokens(state_dir, region, group_id, cluster_ids, tokens, disconnect=False):
    """Make exactly `tokens` valid for the `default` user (none: no password needed).

    With `disconnect`, clients of the `default` user are closed so that a token no
    longer valid cannot keep an authenticated connection.
    """
    rule = ["resetpass"] + ([f">{token}" for token in tokens] if tokens else ["nopass"])
    for cluster_id in cluster_ids:
        client = admin_connection(state_dir, region, group_id, cluster_id)
        client.execute_command("ACL", "SETUSER", "default", *rule)
        _persist(client)
        if disconnect:
            client.execute_command("CLIENT", "KILL", "USER", "default")


def config_set_many(state_dir, region, group_id, cluster_id, settings):
    """CONFIG SET each of `settings` ({name: value}) on a node, persisted once.

    Returns {name: error} of the settings the server refused (e.g. not settable at run
    time); the others are applied.
    """
    client = admin_connection(state_dir, region, group_id, cluster_id)
    refused = {}
    for name, value in settings.items():
        try:
            client.config_set(name, value)
        except redis.ResponseError as problem:
            refused[name] = str(problem)
    _persist(client)
    return refused


def save_rdb(state_dir, region, group_id, cluster_id, target):
    """SAVE a node's data and copy the RDB file to `target`.

    Waits while a replica's synchronisation runs (SAVE refuses during it).
    """
    client = admin_connection(state_dir, region, group_id, cluster_id)
    deadline = time.monotonic() + REPLICA_SYNC_TIMEOUT_SECONDS
    while True:
        try:
            client.save()
            break
        except redis.ResponseError as problem:
            if "in progress" not in str(problem) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(node_dir(state_dir, region, group_id, cluster_id) / RDB_FILE, target)


def _pid(directory):
    """Pid of the node's redis-server if it runs, else None."""
    try:
        pid = int((directory / PID_FILE).read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
    return pid if _is_redis_server(pid) else None


def _is_redis_server(pid):
    """Whether `pid` is a running redis-server (an unreaped zombie is not)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
    except OSError:
        return False
    return b"redis-server" in command


def _stop(directory):
    pid = _pid(directory)
    if pid is None:
        return
    # Configured to exit at once without saving; the pid file goes before the process.
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while _is_redis_server(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    if _is_redis_server(pid):
        os.kill(pid, signal.SIGKILL)
    (directory / PID_FILE).unlink(missing_ok=True)


def delete_node(state_dir, region, group_id, cluster_id):
    """Stop a node and remove its directory."""
    directory = node_dir(state_dir, region, group_id, cluster_id)
    if directory.exists():
        _stop(directory)
        shutil.rmtree(directory)


def delete_group(state_dir, region, group_id):
    """Stop every node of a group and remove the group directory."""
    directory = group_dir(state_dir, region, group_id)
    for node in sorted(path.parent for path in directory.glob(f"*/{CONFIG_FILE}")):
        _stop(node)
    shutil.rmtree(directory, ignore_errors=True)


def running_pids(state_dir):
    """{"<region>/<group>/<cluster>": pid} of every node process running."""
    return {f"{path.parent.parent.name}/{path.parent.name}/{path.name}": _pid(path)
            for path in _node_dirs(state_dir) if _pid(path)}


def stop_all(state_dir):
    for directory in _node_dirs(state_dir):
        _stop(directory)


def delete_all(state_dir):
    """Stop every node and remove all group directories."""
    stop_all(state_dir)
    shutil.rmtree(groups_dir(state_dir), ignore_errors=True)
