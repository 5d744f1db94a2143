"""Three environments from empty: one `provision.yml` run over all three against three runs.

On a local endpoint of its own (a free port, a temporary state dir, stopped at the end), so
that the demo's environment is left as it is:

1. serial: provisions examples/<fleet>/dev, staging and prod (the primary region's host;
   the DR host is left out) one run after the other, each timed;
2. parallel: resets the endpoint and provisions the same three in one run, `-i` three
   times, the hosts in parallel with Ansible's forks;
3. prints each time and the parallel run against one environment (the serial runs' mean)
   and against the serial total.

The example fleets run with the overlay `make demo FLEET=... ENV=...` uses. Prints figures
(and --json FILE writes them); nothing is asserted. Usage:

    .venv/bin/python bench/parallel_environments.py [--fleet skillancer] [--json FILE]
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tools.local_aws.client import (  # noqa: E402
    EXAMPLE_OVERLAY, ansible_environment, own_endpoint, parse_recap, write_figures)

ENVIRONMENTS = ("dev", "staging", "prod")


def provision(env, fleet, environments):
    """One provision.yml run over `environments`; returns its seconds."""
    command = [str(REPO_ROOT / ".venv" / "bin" / "ansible-playbook"), "playbooks/provision.yml",
               "-e", "@%s" % EXAMPLE_OVERLAY, "--limit", ",".join("%s-us-east-1" % name for name in environments)]
    for name in environments:
        command += ["-i", "examples/%s/%s" % (fleet, name)]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    recap = parse_recap(result.stdout)
    if result.returncode != 0 or len(recap) != len(environments):
        sys.exit("%s failed:\n%s" % (" ".join(command), result.stdout[-3000:]))
    return seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fleet", default="skillancer")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with own_endpoint() as endpoint:
        env = ansible_environment(endpoint)
        serial = dict((name, provision(env, args.fleet, [name])) for name in ENVIRONMENTS)
        endpoint.control("POST", "reset")
        parallel = provision(env, args.fleet, list(ENVIRONMENTS))

    one = sum(serial.values()) / len(serial)
    figures = {"fleet": args.fleet, "serial_seconds": dict((k, round(v, 1)) for k, v in serial.items()),
               "serial_total_seconds": round(sum(serial.values()), 1), "parallel_seconds": round(parallel, 1),
               "parallel_over_one": round(parallel / one, 2),
               "parallel_over_serial": round(parallel / sum(serial.values()), 2)}
    print("%s: three environments from empty" % args.fleet)
    for name, seconds in serial.items():
        print("  %-8s alone       %6.1f s" % (name, seconds))
    print("  serial total          %6.1f s" % sum(serial.values()))
    print("  one run, all three    %6.1f s   %.2fx one environment, %.2fx the serial total"
          % (parallel, figures["parallel_over_one"], figures["parallel_over_serial"]))
    write_figures(args.json, figures)


if __name__ == "__main__":
    main()
