# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The body of an environment's CloudWatch dashboard (plugins/filter/alarms.py)."""

from ansible_collections.dbfleet.aws.plugins.module_utils.alarm_specs import ELASTICACHE_NAMESPACE
from ansible_collections.dbfleet.aws.plugins.module_utils.alarm_specs import RDS_NAMESPACE


def _widget(title, namespace, metric, dimension, resources, region, stat, x, y, width=12, height=6):
    return {
        "type": "metric", "x": x, "y": y, "width": width, "height": height,
        "properties": {
            "title": title, "region": region, "stat": stat, "period": 300, "view": "timeSeries",
            "metrics": [[namespace, metric, dimension, resource] for resource in resources],
        },
    }


RDS_WIDGETS = (
    ("RDS CPU (%)", "CPUUtilization", "Average"),
    ("RDS connections", "DatabaseConnections", "Maximum"),
    ("RDS free storage (bytes)", "FreeStorageSpace", "Minimum"),
    ("RDS freeable memory (bytes)", "FreeableMemory", "Minimum"),
    ("RDS read latency (s)", "ReadLatency", "Average"),
    ("RDS write latency (s)", "WriteLatency", "Average"),
    ("RDS replica lag (s)", "ReplicaLag", "Maximum"),
    ("RDS disk queue depth", "DiskQueueDepth", "Average"),
)
REDIS_WIDGETS = (
    ("Redis engine CPU (%)", "EngineCPUUtilization", "Average"),
    ("Redis memory (%)", "DatabaseMemoryUsagePercentage", "Average"),
    ("Redis connections", "CurrConnections", "Maximum"),
    ("Redis evictions", "Evictions", "Sum"),
    ("Redis replication lag (s)", "ReplicationLag", "Maximum"),
    ("Redis swap (bytes)", "SwapUsage", "Average"),
)


def dashboard_body(region, db_instances, replicas, cache_clusters):
    """CloudWatch dashboard body (a dict) with RDS and Redis widgets, two per row."""
    widgets = []
    rows = []
    if db_instances:
        for title, metric, stat in RDS_WIDGETS:
            resources = replicas if metric == "ReplicaLag" else db_instances
            if resources:
                rows.append((title, RDS_NAMESPACE, metric, "DBInstanceIdentifier", resources, stat))
    if cache_clusters:
        for title, metric, stat in REDIS_WIDGETS:
            if metric == "ReplicationLag" and len(cache_clusters) < 2:
                continue
            rows.append((title, ELASTICACHE_NAMESPACE, metric, "CacheClusterId", cache_clusters, stat))
    for index, (title, namespace, metric, dimension, resources, stat) in enumerate(rows):
        widgets.append(_widget(title, namespace, metric, dimension, list(resources), region, stat,
                               x=(index % 2) * 12, y=(index // 2) * 6))
    if cache_clusters:
        index = len(rows)
        widgets.append({
            "type": "metric", "x": (index % 2) * 12, "y": (index // 2) * 6, "width": 12, "height": 6,
            "properties": {
                "title": "Redis cache hit rate (%)", "region": region, "period": 300, "view": "timeSeries",
                "metrics": [
                    [{"expression": "100 * h%d / (h%d + m%d)" % (n, n, n), "label": cluster, "id": "r%d" % n}]
                    for n, cluster in enumerate(cache_clusters)
                ] + [
                    item for n, cluster in enumerate(cache_clusters) for item in (
                        [ELASTICACHE_NAMESPACE, "CacheHits", "CacheClusterId", cluster,
                         {"id": "h%d" % n, "stat": "Sum", "visible": False}],
                        [ELASTICACHE_NAMESPACE, "CacheMisses", "CacheClusterId", cluster,
                         {"id": "m%d" % n, "stat": "Sum", "visible": False}],
                    )
                ],
            },
        })
    return {"widgets": widgets}
