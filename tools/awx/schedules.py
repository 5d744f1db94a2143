"""The schedules of awx/schedules.yml: their next run times, as the table of docs/awx.md.

    .venv/bin/python -m tools.awx.schedules --after 2026-12-07T00:00:00Z

The controller stores an rrule as "DTSTART;TZID=...:... RRULE:..." on one line; dateutil
reads it with the RRULE on a line of its own.
"""

import argparse
from datetime import datetime, timezone

from dateutil.rrule import rrulestr

from .launch import controller_objects

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def parse(rrule):
    """A schedule's rrule as dateutil reads it."""
    return rrulestr(rrule.replace(" RRULE:", "\nRRULE:"))


def next_runs(rrule, after, count=3):
    """The first `count` run times of `rrule` strictly after `after` (aware datetimes)."""
    rule = parse(rrule)
    runs, moment = [], rule.after(after)
    while moment is not None and len(runs) < count:
        runs.append(moment)
        moment = rule.after(moment)
    return runs


def table(after, objects=None):
    """The Markdown table of every schedule's template and next three runs (UTC)."""
    objects = objects or controller_objects()
    lines = ["| Schedule | Job template | Next three runs (UTC) |", "| --- | --- | --- |"]
    for schedule in objects["dbfleet_awx_schedules"]:
        runs = ", ".join(moment.astimezone(timezone.utc).strftime("%a %Y-%m-%d %H:%M")
                         for moment in next_runs(schedule["rrule"], after))
        lines.append("| `%s` | `%s` | %s |" % (schedule["name"], schedule["unified_job_template"], runs))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--after", default=datetime.now(timezone.utc).strftime(TIME_FORMAT),
                        help="UTC, %s (default now)" % TIME_FORMAT.replace("%", ""))
    args = parser.parse_args(argv)
    after = datetime.strptime(args.after, TIME_FORMAT).replace(tzinfo=timezone.utc)
    print("Runs after %s:\n\n%s" % (args.after, table(after)))


if __name__ == "__main__":
    main()
