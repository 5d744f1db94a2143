"""Run the stages of `make test` in order, time each one and print a table at the end.

    python3 tools/testing/stages.py 'setup=make venv-test' 'lint&=make lint' 'sanity=make sanity' ...

A stage whose name ends in `&` runs at the same time as the stage after it (so
`lint&`, `sanity&`, `molecule` run together): stages that keep one core busy each share
the machine's cores. Their output is printed whole, each under its own heading, when all
of the group have finished; a stage on its own streams its output.

Every stage runs, even after one failed, so that one run shows every failure; the exit
status is that of the first failed stage (0 when all pass). The table goes to stdout
(CI's log) and to .build/test-stages.tsv. Below it, the last line repeats pytest's
counts as `tests: N passed, N failed`, so the output still ends with the test count.
"""

import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import namedtuple
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TABLE_FILE = REPO_ROOT / ".build" / "test-stages.tsv"
# summaries: the pytest closing lines the stage printed.
StageResult = namedtuple("StageResult", "name seconds status summaries")


PYTEST_COUNT = re.compile(r"(\d+) (passed|failed|errors?)\b")
# pytest's closing line, e.g. "629 passed, 2 skipped in 700.12s (0:11:40)".
PYTEST_SUMMARY = re.compile(r"^=*\s*\d+ (passed|failed|errors?|skipped|deselected).* in [\d.]+s\b")


def summaries_of(lines):
    return [line for line in lines if PYTEST_SUMMARY.match(line.strip())]


def run_streamed(name, command):
    print(f"\n=== stage {name}: {command}", flush=True)
    started = time.monotonic()
    summaries = []
    with subprocess.Popen(command, shell=True, cwd=REPO_ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, errors="replace") as process:
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            summaries += summaries_of([line])
    return StageResult(name, time.monotonic() - started, process.returncode, summaries)


def run_together(group):
    """Run [(name, command)] at once; print each one's output whole once all have ended."""
    print(f"\n=== stages {', '.join(name for name, _command in group)}, together", flush=True)
    results = {}

    def run(name, command, output):
        started = time.monotonic()
        status = subprocess.run(command, shell=True, cwd=REPO_ROOT, stdout=output,
                                stderr=subprocess.STDOUT, check=False).returncode
        results[name] = (time.monotonic() - started, status)

    with tempfile.TemporaryDirectory() as scratch:
        outputs = {name: open(Path(scratch) / f"{index}.log", "w+", encoding="utf-8", errors="replace")
                   for index, (name, _command) in enumerate(group)}
        threads = [threading.Thread(target=run, args=(name, command, outputs[name])) for name, command in group]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        finished = []
        for name, command in group:
            output = outputs[name]
            output.seek(0)
            lines = output.readlines()
            output.close()
            print(f"\n=== stage {name}: {command}", flush=True)
            sys.stdout.writelines(lines)
            sys.stdout.flush()
            finished.append(StageResult(name, *results[name], summaries_of(lines)))
    return finished


def run_stages(stages):
    """[(name, command)] -> [StageResult]; names ending in & join the next stage's group."""
    results = []
    group = []
    for name, command in stages:
        group.append((name.rstrip("&"), command))
        if name.endswith("&"):
            continue
        results += run_together(group) if len(group) > 1 else [run_streamed(*group[0])]
        group = []
    return results


def pytest_counts(results):
    """`tests: N passed, N failed` over every pytest run of the stages, None without one."""
    passed = failed = 0
    found = False
    for result in results:
        for line in result.summaries:
            counts = {kind.rstrip("s"): int(number) for number, kind in PYTEST_COUNT.findall(line)}
            passed += counts.get("passed", 0)
            failed += counts.get("failed", 0) + counts.get("error", 0)
            found = True
    return f"tests: {passed} passed, {failed} failed" if found else None


def table(results, wall_seconds):
    width = max(len("total"), *(len(result.name) for result in results))
    lines = [f"{'stage':<{width}}  {'time':>8}  result"]
    for result in results:
        outcome = "ok" if result.status == 0 else f"FAILED ({result.status})"
        lines.append(f"{result.name:<{width}}  {clock(result.seconds):>8}  {outcome}")
    lines.append(f"{'total':<{width}}  {clock(wall_seconds):>8}  (wall clock; stages run together overlap)")
    return "\n".join(lines)


def clock(seconds):
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s"


def main(argv):
    stages = []
    for argument in argv:
        name, separator, command = argument.partition("=")
        if not separator or not name or not command:
            print(f"stage {argument!r} is not NAME=COMMAND", file=sys.stderr)
            return 2
        stages.append((name, command))
    started = time.monotonic()
    results = run_stages(stages)
    print("\n=== time per stage\n" + table(results, time.monotonic() - started), flush=True)
    counts = pytest_counts(results)
    if counts:
        print(counts, flush=True)
    TABLE_FILE.parent.mkdir(parents=True, exist_ok=True)
    TABLE_FILE.write_text("".join(f"{result.name}\t{result.seconds:.1f}\t{result.status}\n" for result in results),
                          encoding="utf-8")
    return next((result.status for result in results if result.status != 0), 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
