"""A 100-parameter DB parameter group: dbfleet.aws.rds_parameter_group against
amazon.aws.rds_instance_param_group, first apply and converged re-run, in one run.

On a local endpoint of its own (a free port, a temporary state dir, stopped at the end), so
that every call it records is the benchmark's:

1. picks 100 modifiable parameters of the family (booleans flipped, integers moved by one
   within their range, from DescribeEngineDefaultParameters through boto3, not timed);
2. for each side, a group of its own: the first apply (creates the group and sets the 100)
   and a converged re-run, each timed, with the API calls by action;
3. checks that both groups hold the same 100 values (read back through boto3).

The peer applies every value pending-reboot (`immediate: false`; `true` is refused for
static parameters) and checks only that a parameter exists and is modifiable; this
collection also checks each value against the parameter's type and range and applies
dynamic parameters at once.

Prints figures (and --json FILE writes them); nothing is asserted. Usage:

    .venv/bin/python bench/parameter_group.py [--family postgres15] [--count 100] [--json FILE]
"""

import argparse
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tools.local_aws.client import (  # noqa: E402
    ansible_environment, own_endpoint, profiled_environment, timed_tasks, write_figures)

SIDES = (
    ("collection", "dbfleet.aws.rds_parameter_group", """    - name: The group and its parameters
      dbfleet.aws.rds_parameter_group:
        name: "{{ group }}"
        family: "{{ family }}"
        parameters: "{{ parameters }}"
"""),
    ("peer", "amazon.aws.rds_instance_param_group", """    - name: The group and its parameters
      amazon.aws.rds_instance_param_group:
        name: "{{ group }}"
        engine: "{{ family }}"
        description: "{{ group }}"
        params: "{{ parameters }}"
        immediate: false
        state: present
"""),
)


def another_value(parameter):
    """A valid value other than the default, as text, or None."""
    default = parameter.get("ParameterValue")
    if parameter["DataType"] == "boolean" and default in ("0", "1"):
        return "1" if default == "0" else "0"
    allowed = parameter.get("AllowedValues") or ""
    if parameter["DataType"] == "integer" and default and default.isdigit() and allowed.count("-") == 1:
        low, high = allowed.split("-")
        if low.isdigit() and high.isdigit():
            value = int(default) + 1 if int(default) < int(high) else int(default) - 1
            return str(value) if int(low) <= value <= int(high) else None
    return None


def chosen_parameters(rds, family, count):
    pages = rds.get_paginator("describe_engine_default_parameters").paginate(DBParameterGroupFamily=family)
    parameters = [parameter for page in pages for parameter in page["EngineDefaults"]["Parameters"]]
    chosen = dict((parameter["ParameterName"], another_value(parameter))
                  for parameter in sorted(parameters, key=lambda parameter: parameter["ParameterName"])
                  if parameter.get("IsModifiable") and another_value(parameter) is not None)
    if len(chosen) < count:
        sys.exit("family %s has only %d parameters this benchmark can change" % (family, len(chosen)))
    return dict(sorted(chosen.items())[:count])


def user_values(rds, group):
    pages = rds.get_paginator("describe_db_parameters").paginate(DBParameterGroupName=group, Source="user")
    return dict((parameter["ParameterName"], parameter["ParameterValue"])
                for page in pages for parameter in page["Parameters"])


def compare(endpoint, args):
    """Both sides, first apply and converged re-run; the figures."""
    env = profiled_environment(ansible_environment(endpoint))
    rds = endpoint.client("rds")
    parameters = chosen_parameters(rds, args.family, args.count)
    figures = {"family": args.family, "parameters": len(parameters)}
    print("%d parameters of %s:" % (len(parameters), args.family))
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        for side, label, tasks in SIDES:
            group = "bench-%s" % side
            extra_vars = {"endpoint_url": endpoint.url, "group": group, "family": args.family,
                          "parameters": parameters}
            figures[side] = {"first": timed_tasks(work, side, tasks, extra_vars, env),
                             "converged": timed_tasks(work, side, tasks, extra_vars, env)}
            if user_values(rds, group) != parameters:
                sys.exit("%s: the group does not hold the %d values" % (label, len(parameters)))
            for run in ("first", "converged"):
                entry = figures[side][run]
                print("  %-36s %-9s %5.2f s wall, task %5.2f s, %2d calls (%d writes) %s"
                      % (label, run, entry["wall_seconds"], entry["task_seconds"], entry["api_calls"],
                         entry["writes"], entry["calls_by_action"]))
    return figures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="postgres15")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    with own_endpoint() as endpoint:
        figures = compare(endpoint, args)
    write_figures(args.json, figures)


if __name__ == "__main__":
    main()
