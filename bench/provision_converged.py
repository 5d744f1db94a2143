"""A converged `playbooks/provision.yml` on the local inventory: what a no-op run costs.

Against the local endpoint (LOCAL_AWS_PORT / LOCAL_AWS_STATE_DIR, started if needed):

1. provisions the local inventory once if it is not provisioned (not timed);
2. runs provision.yml RUNS more times, each timed, with the API calls the endpoint saw;
3. prints, for the median run: wall time, tasks run, API calls by action, writes, calls
   per managed resource, the slowest tasks, and an empty playbook's time for reference.

Managed resources are the AWS resources of the environment that provision.yml manages,
counted through boto3 after the runs (subnet groups, security groups, IAM role, secrets,
parameter groups, instances, replication group, SNS topic and subscriptions, alarms,
event subscription, dashboard, cache notification topic).

Prints figures (and --json FILE writes them); nothing is asserted. Usage:

    .venv/bin/python bench/provision_converged.py [--runs 3] [--json bench/out/provision.json]
"""

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tools.local_aws.client import (  # noqa: E402
    ansible_environment, profiled_environment, run_ansible_playbook, running_endpoint, task_times, write_figures)
from tools.local_aws.recorder import is_mutating  # noqa: E402

INVENTORY = "inventories/local"
PROJECT = "dbfleet-local"


def managed_resources(endpoint):
    """{kind: count} of what provision.yml manages in the local environment."""
    rds, cache = endpoint.client("rds"), endpoint.client("elasticache")
    cloudwatch, sns = endpoint.client("cloudwatch"), endpoint.client("sns")
    secrets, ec2, iam = endpoint.client("secretsmanager"), endpoint.client("ec2"), endpoint.client("iam")
    ours = PROJECT.split("-", maxsplit=1)[0]
    found = {
        "db subnet groups": [g for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]
                             if g["DBSubnetGroupName"].startswith(PROJECT)],
        "cache subnet groups": [g for g in cache.describe_cache_subnet_groups()["CacheSubnetGroups"]
                                if g["CacheSubnetGroupName"].startswith(PROJECT)],
        "security groups": [g for g in ec2.describe_security_groups()["SecurityGroups"]
                            if g["GroupName"].startswith(PROJECT)],
        "iam roles": [r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(PROJECT)],
        "secrets": [s for s in secrets.list_secrets()["SecretList"] if s["Name"].startswith(ours + "/local/")],
        "db parameter groups": [g for g in rds.describe_db_parameter_groups()["DBParameterGroups"]
                                if g["DBParameterGroupName"].startswith(PROJECT)],
        "cache parameter groups": [g for g in cache.describe_cache_parameter_groups()["CacheParameterGroups"]
                                   if g["CacheParameterGroupName"].startswith(PROJECT)],
        "db instances": [i for i in rds.describe_db_instances()["DBInstances"]
                         if i["DBInstanceIdentifier"].startswith(PROJECT)],
        "replication groups": [g for g in cache.describe_replication_groups()["ReplicationGroups"]
                               if g["ReplicationGroupId"].startswith(PROJECT)],
        "sns topics": [t for t in sns.list_topics()["Topics"] if PROJECT in t["TopicArn"]],
        "sns subscriptions": [s for s in sns.list_subscriptions()["Subscriptions"] if PROJECT in s["TopicArn"]],
        "alarms": cloudwatch.describe_alarms(AlarmNamePrefix=PROJECT, MaxRecords=100)["MetricAlarms"],
        "rds event subscriptions": [s for s in rds.describe_event_subscriptions()["EventSubscriptionsList"]
                                    if s["CustSubscriptionId"].startswith(PROJECT)],
        "dashboards": cloudwatch.list_dashboards(DashboardNamePrefix=PROJECT)["DashboardEntries"],
    }
    return dict((kind, len(items)) for kind, items in found.items())


def timed_run(env, playbook="playbooks/provision.yml"):
    start = time.perf_counter()
    result = run_ansible_playbook(playbook, INVENTORY, env=env)
    result.seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit("%s failed:\n%s" % (playbook, result.stdout[-3000:]))
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    endpoint = running_endpoint()
    env = ansible_environment(endpoint)
    profiled = profiled_environment(env)

    first = timed_run(env)
    if first.recap and any(counts.get("changed") for counts in first.recap.values()):
        print("provisioned the local inventory first (%.1f s, not counted)" % first.seconds)
    runs = sorted((timed_run(profiled) for _run in range(args.runs)), key=lambda run: run.seconds)
    median = runs[len(runs) // 2]
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as empty:
        empty.write("- hosts: all\n  gather_facts: false\n  tasks: []\n")
    empty_seconds = timed_run(env, empty.name).seconds
    os.unlink(empty.name)

    resources = managed_resources(endpoint)
    total = sum(resources.values())
    by_action = Counter("%s:%s" % (call["service"], call["action"]) for call in median.calls)
    writes = [call for call in median.calls if is_mutating(call["action"])]
    tasks = sum(counts.get("ok", 0) + counts.get("changed", 0) for counts in median.recap.values())
    secrets = resources["secrets"]
    secret_reads = sum(count for action, count in by_action.items()
                       if action in ("secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue",
                                     "secretsmanager:DescribeSecret"))
    figures = {
        "runs": [round(run.seconds, 2) for run in runs],
        "wall_seconds": round(median.seconds, 2),
        "empty_playbook_seconds": round(empty_seconds, 2),
        "tasks_run": tasks,
        "api_calls": len(median.calls),
        "writes": len(writes),
        "managed_resources": total,
        "calls_per_resource": round(len(median.calls) / total, 2),
        "secrets": secrets,
        "secret_reads": secret_reads,
        "get_caller_identity": by_action.get("sts:GetCallerIdentity", 0),
        "calls_by_action": dict(by_action.most_common()),
        "resources": resources,
        "slowest_tasks": [[task, seconds] for seconds, task in task_times(median.stdout)[:10]],
    }

    print("converged provision.yml on %s, %d runs: %s s" % (INVENTORY, args.runs, figures["runs"]))
    print("  median wall time      %6.1f s   (an empty playbook: %.1f s)" % (median.seconds, empty_seconds))
    print("  tasks run             %6d" % tasks)
    print("  API calls             %6d   writes %d" % (len(median.calls), len(writes)))
    print("  managed resources     %6d   calls per resource %.2f" % (total, figures["calls_per_resource"]))
    print("  secret reads          %6d   for %d secrets" % (secret_reads, secrets))
    print("  GetCallerIdentity     %6d" % figures["get_caller_identity"])
    print("  calls by action:")
    for action, count in by_action.most_common():
        print("    %4d  %s" % (count, action))
    print("  resources: " + ", ".join("%s %d" % item for item in resources.items()))
    print("  slowest tasks:")
    for task, seconds in figures["slowest_tasks"]:
        print("    %5.2f s  %s" % (seconds, task))
    write_figures(args.json, figures)


if __name__ == "__main__":
    main()
