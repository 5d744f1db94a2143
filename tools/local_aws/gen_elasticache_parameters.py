"""Generate the ElastiCache engine-default parameter metadata of the local endpoint.

Writes tools/local_aws/data/elasticache_parameters_<family>.json (redis6.x, redis7,
valkey7, valkey8) from two sources:

* the configuration of the installed redis-server (`CONFIG GET *` on a throwaway server,
  kept in data/elasticache_redis_config.json; refresh it with --capture): the engine's own
  default values, and the names the local servers accept with CONFIG SET;
* the table below: which parameters ElastiCache exposes per family, with ElastiCache's
  data types, allowed values, change types, modifiability and its own defaults where
  they differ from the engine's (e.g. maxmemory-policy volatile-lru), plus parameters
  that only ElastiCache has (reserved-memory-percent, close-on-replica-write, ...).

Run from the repository root: .venv/bin/python -m tools.local_aws.gen_elasticache_parameters
"""

import argparse
import json
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import redis

DATA_DIR = Path(__file__).resolve().parent / "data"
CONFIG_PATH = DATA_DIR / "elasticache_redis_config.json"
FAMILIES = ("redis6.x", "redis7", "valkey7", "valkey8")
FIRST_VERSION = {"redis6.x": "6.0.5", "redis7": "7.0.4", "valkey7": "7.2.4",
                 "valkey8": "8.0.1"}
ALL = frozenset(FAMILIES)
SEVEN_UP = {"redis7", "valkey7", "valkey8"}
SIX = {"redis6.x"}
YES_NO = "yes,no"
IMMEDIATE, REBOOT = "immediate", "requires-reboot"
EVICTION_POLICIES = ("volatile-lru,allkeys-lru,volatile-lfu,allkeys-lfu,volatile-random,"
                     "allkeys-random,volatile-ttl,noeviction")
LIST_SIZES = "-5,-4,-3,-2,-1,1-"
# Settings of the throwaway server itself, not engine defaults.
MACHINE_SPECIFIC = ("bind", "dir", "port", "save")


def _p(name, data_type, allowed, description, families=ALL, change=IMMEDIATE,
       modifiable=True, default=None):
    """One ElastiCache parameter; `default` None takes the engine's value."""
    return {"name": name, "data_type": data_type, "allowed": allowed,
            "description": description, "families": families, "change": change,
            "modifiable": modifiable, "default": default}


def _buffer_limits(kind, hard, soft, seconds):
    label = {"normal": "normal clients", "pubsub": "pubsub clients"}[kind]
    return [
        _p(f"client-output-buffer-limit-{kind}-hard-limit", "integer", "0-",
           f"Hard limit for the output buffer of {label} (bytes).", default=hard),
        _p(f"client-output-buffer-limit-{kind}-soft-limit", "integer", "0-",
           f"Soft limit for the output buffer of {label} (bytes).", default=soft),
        _p(f"client-output-buffer-limit-{kind}-soft-seconds", "integer", "0-",
           f"Seconds the soft output buffer limit of {label} may be exceeded.",
           default=seconds),
    ]


def _encodings(kind, families):
    return [
        _p(f"hash-max-{kind}-entries", "integer", "0-",
           f"The maximum number of hash entries for the {kind} encoding.", families),
        _p(f"hash-max-{kind}-value", "integer", "0-",
           f"The threshold of biggest hash entries for the {kind} encoding.", families),
        _p(f"list-max-{kind}-size", "integer", LIST_SIZES,
           f"The size of each {kind} node of a list.", families),
        _p(f"zset-max-{kind}-entries", "integer", "0-",
           f"The maximum number of sorted set entries for the {kind} encoding.", families),
        _p(f"zset-max-{kind}-value", "integer", "0-",
           f"The threshold of biggest sorted set entries for the {kind} encoding.",
           families),
    ]


PARAMETERS = [
    _p("acllog-max-len", "integer", "1-10000", "The maximum number of entries in the ACL "
       "log."),
    _p("active-defrag-cycle-max", "integer", "1-75", "Maximal effort for defrag in CPU "
       "percentage.", default="75"),
    _p("active-defrag-cycle-min", "integer", "1-75", "Minimal effort for defrag in CPU "
       "percentage.", default="5"),
    _p("active-defrag-ignore-bytes", "integer", "1048576-", "Minimum amount of "
       "fragmentation waste to start active defrag."),
    _p("active-defrag-max-scan-fields", "integer", "1-1000000", "Maximum number of "
       "set/hash/zset/list fields that will be processed from the main dictionary scan."),
    _p("active-defrag-threshold-lower", "integer", "1-100", "Minimum percentage of "
       "fragmentation to start active defrag."),
    _p("active-defrag-threshold-upper", "integer", "1-100", "Maximum percentage of "
       "fragmentation at which we use maximum effort."),
    _p("active-expire-effort", "integer", "1-10", "The amount of effort that Redis uses to "
       "expire keys in the background."),
    _p("activedefrag", "string", YES_NO, "Enabled active memory defragmentation."),
    _p("activerehashing", "string", YES_NO, "Apply rehashing or not.", change=REBOOT),
    _p("appendfsync", "string", "always,everysec,no", "fsync policy for AOF persistence."),
    _p("appendonly", "string", YES_NO, "Enable Redis persistence.", modifiable=False),
    *_buffer_limits("normal", "0", "0", "0"),
    *_buffer_limits("pubsub", "33554432", "8388608", "60"),
    _p("client-query-buffer-limit", "integer", "1048576-3221225472", "Max size of a single "
       "client query buffer."),
    _p("close-on-replica-write", "string", YES_NO, "If enabled, clients who attempt to "
       "write to a read-only replica will be disconnected.", default="yes"),
    _p("cluster-allow-pubsubshard-when-down", "string", YES_NO, "Allow sharded pubsub "
       "while the cluster is down.", SEVEN_UP),
    _p("cluster-allow-reads-when-down", "string", YES_NO, "Allow read operations while the "
       "cluster is down."),
    _p("cluster-enabled", "string", YES_NO, "Enable cluster mode.", change=REBOOT),
    _p("cluster-require-full-coverage", "string", YES_NO, "Whether the cluster stops "
       "accepting queries when a hash slot is not covered.", default="no"),
    _p("databases", "integer", "1-1200000", "Set the number of databases.", change=REBOOT),
    *_encodings("ziplist", SIX),
    *_encodings("listpack", SEVEN_UP),
    _p("hll-sparse-max-bytes", "integer", "0-16000", "HyperLogLog sparse representation "
       "bytes limit."),
    _p("latency-tracking", "string", YES_NO, "Enable the extended latency monitoring.",
       SEVEN_UP),
    _p("lazyfree-lazy-eviction", "string", YES_NO, "Perform an asynchronous delete on "
       "evictions."),
    _p("lazyfree-lazy-expire", "string", YES_NO, "Perform an asynchronous delete on "
       "expired keys."),
    _p("lazyfree-lazy-server-del", "string", YES_NO, "Perform an asynchronous delete for "
       "commands which update values."),
    _p("lazyfree-lazy-user-del", "string", YES_NO, "DEL behaves like UNLINK when enabled."),
    _p("lazyfree-lazy-user-flush", "string", YES_NO, "FLUSHDB, FLUSHALL and SCRIPT FLUSH "
       "behave asynchronously when enabled."),
    _p("lfu-decay-time", "integer", "0-", "The amount of time in minutes to decrement the "
       "key counter for LFU eviction policy."),
    _p("lfu-log-factor", "integer", "1-", "The log factor for incrementing key counter for "
       "LFU eviction policy."),
    _p("list-compress-depth", "integer", "0-", "Compress depth is the number of quicklist "
       "ziplist nodes from each side of the list to exclude from compression."),
    _p("lua-time-limit", "integer", "5000", "Max execution time of a Lua script in "
       "milliseconds.", modifiable=False),
    _p("maxclients", "integer", "1-65000", "The maximum number of Redis clients.",
       modifiable=False, default="65000"),
    _p("maxmemory-policy", "string", EVICTION_POLICIES, "Max memory policy.",
       default="volatile-lru"),
    _p("maxmemory-samples", "integer", "1-", "Max memory samples.", default="3"),
    _p("min-replicas-max-lag", "integer", "0-", "The maximum amount of replica lag in "
       "seconds beyond which the master would stop taking writes."),
    _p("min-replicas-to-write", "integer", "0-", "The minimum number of replicas that "
       "must be present with lag no greater than min-replicas-max-lag for the master to "
       "take writes."),
    _p("notify-keyspace-events", "string", None, "The keyspace events for Redis to notify "
       "Pub/Sub clients about. By default all notifications are disabled."),
    _p("proto-max-bulk-len", "integer", "1048576-536870912", "Max size of a single "
       "element request."),
    _p("rename-commands", "string", None, "Redis commands that can be dynamically renamed "
       "by the customer.", default=""),
    _p("repl-backlog-size", "integer", "16384-", "The replication backlog size in bytes "
       "for PSYNC."),
    _p("repl-backlog-ttl", "integer", "0-", "The amount of time in seconds after the "
       "master no longer has any replicas connected for the master to free the "
       "replication backlog."),
    _p("replica-lazy-flush", "string", YES_NO, "Perform an asynchronous flushDB during "
       "replica sync.", modifiable=False, default="yes"),
    _p("reserved-memory", "integer", "0-", "The amount of memory reserved for non-cache "
       "memory usage, in bytes.", default="0"),
    _p("reserved-memory-percent", "integer", "0-100", "The percent of memory reserved for "
       "non-cache memory usage.", default="25"),
    _p("set-max-intset-entries", "integer", "0-500000000", "The limit in the size of the "
       "set in order to use the special memory saving encoding."),
    _p("slowlog-log-slower-than", "integer", "0-", "The execution time, in microseconds, "
       "to exceed in order for the command to get logged."),
    _p("slowlog-max-len", "integer", "0-", "The length of the slow log."),
    _p("stream-node-max-bytes", "integer", "0-", "The maximum size of a single node in a "
       "stream in bytes."),
    _p("stream-node-max-entries", "integer", "0-", "The maximum number of items a single "
       "node in a stream can contain."),
    _p("tcp-keepalive", "integer", "0-", "If non-zero, send ACKs every given number of "
       "seconds."),
    _p("timeout", "integer", "0,20-", "Close connection if client is idle for a given "
       "number of seconds, or never if 0."),
    _p("tracking-table-max-keys", "integer", "1-100000000", "The maximum number of keys "
       "in the client-side caching tracking table."),
]


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def capture_config():
    """`CONFIG GET *` of a throwaway redis-server, with the server's version."""
    version = subprocess.run(["redis-server", "--version"], check=True, capture_output=True,
                             text=True).stdout.strip()
    workdir = Path(tempfile.mkdtemp(prefix="elasticache-params-"))
    port = _free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--dir", str(workdir)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = redis.Redis(port=port, decode_responses=True)
        for _attempt in range(100):
            try:
                config = client.config_get("*")
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            raise RuntimeError("the throwaway redis-server did not answer")
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    return {"server_version": version,
            "config": {name: value for name, value in sorted(config.items())
                       if name not in MACHINE_SPECIFIC}}


def to_parameter(entry, family, engine_config):
    default = entry["default"]
    if default is None:
        default = engine_config[entry["name"]]
    parameter = {"ParameterName": entry["name"]}
    if default != "":
        parameter["ParameterValue"] = default
    parameter.update({"Description": entry["description"], "Source": "system",
                      "DataType": entry["data_type"]})
    if entry["allowed"] is not None:
        parameter["AllowedValues"] = entry["allowed"]
    parameter.update({"IsModifiable": entry["modifiable"],
                      "MinimumEngineVersion": FIRST_VERSION[family],
                      "ChangeType": entry["change"]})
    return parameter


def build_family(family, engine_config):
    return sorted((to_parameter(entry, family, engine_config) for entry in PARAMETERS
                   if family in entry["families"]),
                  key=lambda parameter: parameter["ParameterName"])


def family_path(family):
    return DATA_DIR / f"elasticache_parameters_{family}.json"


def _write_json(path, content):
    path.write_text(json.dumps(content, indent=1) + "\n", encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capture", action="store_true",
                        help="re-read CONFIG GET * from the installed redis-server first")
    options = parser.parse_args()
    if options.capture or not CONFIG_PATH.exists():
        _write_json(CONFIG_PATH, capture_config())
    engine_config = json.loads(CONFIG_PATH.read_text(encoding="utf-8"))["config"]
    missing = sorted(entry["name"] for entry in PARAMETERS if entry["default"] is None
                     and entry["name"] not in engine_config)
    if missing:
        raise SystemExit(f"no engine default for: {', '.join(missing)}")
    for family in FAMILIES:
        parameters = build_family(family, engine_config)
        _write_json(family_path(family), parameters)
        print(f"{family_path(family).name}: {len(parameters)} parameters")


if __name__ == "__main__":
    main()
