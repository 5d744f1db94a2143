# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What playbooks/report.yml computes from what it read: the Redis figures of a node's INFO,
and the charts of the HTML report (an inline SVG, so that the report is one file that any
browser opens, with no dependency to install)."""

from xml.sax.saxutils import escape

BAR_HEIGHT = 18
GAP = 6
LABEL_WIDTH = 260
PLOT_WIDTH = 420
VALUE_WIDTH = 150


def redis_figures(info):
    """Memory, hit rate, evictions and clients of one node's INFO (as community.general.redis_info
    returns it); the hit rate is None before the first read of a key."""
    hits, misses = int(info.get("keyspace_hits", 0)), int(info.get("keyspace_misses", 0))
    used, limit = int(info.get("used_memory", 0)), int(info.get("maxmemory", 0))
    return dict(
        role=info.get("role"), used_memory_bytes=used, maxmemory_bytes=limit,
        memory_percent=round(100.0 * used / limit, 1) if limit else None,
        hit_rate_percent=round(100.0 * hits / (hits + misses), 1) if hits + misses else None,
        keyspace_hits=hits, keyspace_misses=misses, evicted_keys=int(info.get("evicted_keys", 0)),
        connected_clients=int(info.get("connected_clients", 0)),
        key_count=sum(int(value.get("keys", 0)) for key, value in info.items()
                      if key.startswith("db") and key[2:].isdigit() and isinstance(value, dict)))


def _seconds(value):
    if value is None:
        return "n/a"
    if value >= 3600:
        return "%.1f h" % (value / 3600.0)
    if value >= 60:
        return "%.1f min" % (value / 60.0)
    return "%d s" % value


def _amount(value, unit):
    if unit == "seconds":
        return _seconds(value)
    return "n/a" if value is None else "%.2f %s" % (value, unit)


def bar_chart_svg(rows, title, unit="seconds"):
    """A horizontal bar chart: rows are {label, value, target} (target and value may be None),
    values in seconds or in `unit` (a currency, say). Each bar is drawn to the scale of the
    largest value or target, a target as a red tick, a bar past its target in red."""
    top = max([row["value"] or 0 for row in rows] + [row.get("target") or 0 for row in rows] + [1])
    height = 40 + len(rows) * (BAR_HEIGHT + GAP)
    width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" role="img" width="%d" height="%d" viewBox="0 0 %d %d">'
             % (width, height, width, height),
             '<title>%s</title>' % escape(title),
             '<text x="0" y="16" font-family="sans-serif" font-size="14" font-weight="bold">%s</text>' % escape(title)]
    for index, row in enumerate(rows):
        y = 30 + index * (BAR_HEIGHT + GAP)
        value, target = row["value"], row.get("target")
        breached = value is not None and target is not None and value > target
        parts.append('<text x="0" y="%d" font-family="sans-serif" font-size="12">%s</text>'
                     % (y + 13, escape(row["label"])))
        if value is not None:
            parts.append('<rect class="%s" x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>' % (
                "breach" if breached else "bar", LABEL_WIDTH, y, max(1.0, PLOT_WIDTH * value / top), BAR_HEIGHT,
                "#c0392b" if breached else "#2e86c1"))
        if target is not None:
            x = LABEL_WIDTH + PLOT_WIDTH * target / top
            parts.append('<line class="target" x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#c0392b" stroke-width="2"/>'
                         % (x, y - 2, x, y + BAR_HEIGHT + 2))
        parts.append('<text x="%d" y="%d" font-family="sans-serif" font-size="12">%s</text>' % (
            LABEL_WIDTH + PLOT_WIDTH + 8, y + 13,
            escape(_amount(value, unit) + (" / target %s" % _amount(target, unit) if target is not None else ""))))
    parts.append("</svg>")
    return "\n".join(parts)
