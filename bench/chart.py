"""One PNG of the figures the other benchmarks wrote as JSON (`make bench` runs it last).

Reads DIRECTORY/{provision_converged,parameter_group,snapshot_prune,parallel_environments}.json
(those present) and draws one panel per benchmark; docs/performance.png is a copy of the
last run's. Usage:

    .venv/bin/python bench/chart.py [--figures .build/bench] [--out .build/bench/performance.png]
"""

import argparse
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

COLLECTION, PEER = "#1f6fb2", "#c0504d"


def load(directory, name):
    path = directory / ("%s.json" % name)
    return json.loads(path.read_text()) if path.exists() else None


def label_bars(axis, bars, unit):
    for rectangle in bars:
        axis.annotate("%g%s" % (rectangle.get_height(), unit),
                      (rectangle.get_x() + rectangle.get_width() / 2, rectangle.get_height()),
                      ha="center", va="bottom", fontsize=8)


def provision_panel(axis, figures):
    calls = figures["calls_by_action"]
    top = sorted(calls.items(), key=lambda item: item[1], reverse=True)[:8]
    names = [action.split(":", 1)[1] for action, _count in top][::-1]
    axis.barh(names, [count for _action, count in top][::-1], color=COLLECTION)
    axis.set_title("Converged provision.yml: %.1f s, %d API calls, %.2f per resource"
                   % (figures["wall_seconds"], figures["api_calls"], figures["calls_per_resource"]), fontsize=9)
    axis.set_xlabel("API calls (the 8 most made actions)")
    axis.tick_params(axis="y", labelsize=7)


def side_by_side(axis, groups, collection, peer, unit):
    """Bars of this collection and of its peer for each group; collection and peer are
    (legend label, [value per group])."""
    width = 0.38
    for offset, color, (label, values) in ((-width / 2, COLLECTION, collection), (width / 2, PEER, peer)):
        bars = axis.bar([index + offset for index in range(len(groups))], values, width, color=color, label=label)
        label_bars(axis, bars, unit)
    axis.set_xticks(range(len(groups)), groups)
    axis.legend(fontsize=7)


def parameter_group_panel(axis, figures):
    runs = ("first", "converged")
    side_by_side(axis, ["first apply", "converged re-run"],
                 ("dbfleet.aws.rds_parameter_group", [figures["collection"][run]["api_calls"] for run in runs]),
                 ("amazon.aws.rds_instance_param_group", [figures["peer"][run]["api_calls"] for run in runs]), "")
    axis.set_ylabel("API calls")
    axis.set_title("%d-parameter group (%s)" % (figures["parameters"], figures["family"]), fontsize=9)


def snapshot_panel(axis, figures):
    rows = figures["prune"]
    side_by_side(axis, ["%d snapshots (%.0fx)" % (row["snapshots"], row["ratio"]) for row in rows],
                 ("rds_snapshot_lifecycle, one task", [row["collection"]["wall_seconds"] for row in rows]),
                 ("rds_snapshot_info + loop of rds_instance_snapshot", [row["peer"]["wall_seconds"] for row in rows]),
                 " s")
    axis.set_yscale("log")
    axis.set_ylabel("seconds, log scale")
    axis.set_title("Pruning manual snapshots to the 10 newest", fontsize=9)


def parallel_panel(axis, figures):
    names = list(figures["serial_seconds"]) + ["one after the other", "in one run"]
    values = list(figures["serial_seconds"].values()) + [figures["serial_total_seconds"], figures["parallel_seconds"]]
    colors = [PEER] * (len(names) - 1) + [COLLECTION]
    bars = axis.bar(names, values, color=colors)
    label_bars(axis, bars, " s")
    axis.set_ylabel("seconds")
    axis.set_title("%s from empty: one run is %.2fx one environment"
                   % (figures["fleet"], figures["parallel_over_one"]), fontsize=9)
    axis.tick_params(axis="x", labelsize=7)


PANELS = (("provision_converged", provision_panel), ("parameter_group", parameter_group_panel),
          ("snapshot_prune", snapshot_panel), ("parallel_environments", parallel_panel))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=Path, default=Path(".build/bench"))
    parser.add_argument("--out", type=Path, default=Path(".build/bench/performance.png"))
    args = parser.parse_args(argv)
    present = [(load(args.figures, name), draw) for name, draw in PANELS if load(args.figures, name)]
    if not present:
        sys.exit("no figures in %s: run the benchmarks first (make bench)" % args.figures)
    rows = (len(present) + 1) // 2
    figure, axes = plt.subplots(rows, 2, figsize=(13, 4.2 * rows), squeeze=False)
    for axis, (figures, draw) in zip(axes.flat, present):
        draw(axis, figures)
    for axis in list(axes.flat)[len(present):]:
        axis.set_visible(False)
    figure.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.out, dpi=110)
    print("chart written to %s" % args.out)


if __name__ == "__main__":
    main()
