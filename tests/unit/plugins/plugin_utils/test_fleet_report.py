"""The fleet report's Redis figures and chart (plugins/plugin_utils/fleet_report.py)."""

import re
from xml.etree import ElementTree

from ansible_collections.dbfleet.aws.plugins.plugin_utils.fleet_report import PLOT_WIDTH
from ansible_collections.dbfleet.aws.plugins.plugin_utils.fleet_report import bar_chart_svg
from ansible_collections.dbfleet.aws.plugins.plugin_utils.fleet_report import redis_figures


def test_redis_figures_from_info():
    info = {"role": "master", "used_memory": 1048576, "maxmemory": 4194304, "keyspace_hits": 30,
            "keyspace_misses": 10, "evicted_keys": 2, "connected_clients": 5,
            "db0": {"keys": 7, "expires": 1}, "db3": {"keys": 1}, "dbsize_note": "not a database"}
    assert redis_figures(info) == {
        "role": "master", "used_memory_bytes": 1048576, "maxmemory_bytes": 4194304, "memory_percent": 25.0,
        "hit_rate_percent": 75.0, "keyspace_hits": 30, "keyspace_misses": 10, "evicted_keys": 2,
        "connected_clients": 5, "key_count": 8}


def test_no_reads_and_no_maxmemory_give_no_rate():
    figures = redis_figures({"role": "slave", "used_memory": 10})
    assert (figures["hit_rate_percent"], figures["memory_percent"], figures["key_count"]) == (None, None, 0)


def test_the_chart_scales_bars_to_the_largest_value_and_marks_breaches():
    svg = bar_chart_svg([{"label": "prod app-db", "value": 600, "target": 300},
                         {"label": "dev <app>", "value": 150, "target": 300},
                         {"label": "staging app-db", "value": None, "target": 300}], "RPO")
    root = ElementTree.fromstring(svg)   # well-formed, labels escaped
    namespace = {"svg": "http://www.w3.org/2000/svg"}
    bars = root.findall("svg:rect", namespace)
    assert [(rect.get("class"), float(rect.get("width"))) for rect in bars] == [
        ("breach", PLOT_WIDTH), ("bar", PLOT_WIDTH / 4)]
    assert len(root.findall("svg:line", namespace)) == 3
    texts = [text.text for text in root.findall("svg:text", namespace)]
    assert "dev <app>" in texts and "10.0 min / target 5.0 min" in texts and "n/a / target 5.0 min" in texts
    assert re.search(r"<title>RPO</title>", svg)
