"""What the tests of tests/awx share: one job launched as the controller launches it, and
its outcome as the tests read it."""

import json
from contextlib import closing
from types import SimpleNamespace

from conftest import ansible_environment, describe_db_instance, pg_connect, read_secret, record_playbook_run
from tools.awx import launch as awx


def launch(local_aws, work, name=None, answers=None, schedule=None, **prompts):
    """One job: the template `name` (or the schedule's), run by ansible-runner in `work`
    (its private data dir, whose reports/ the runbooks write to). Returns the
    runner's rc, status, stats and stdout, the endpoint calls during the job, and the JSON
    reports written."""
    if schedule:
        job = awx.scheduled_job(schedule, awx.LOCAL_CREDENTIAL)
    else:
        job = awx.job(name, answers, credential=awx.LOCAL_CREDENTIAL, **prompts)
    work.mkdir(parents=True, exist_ok=True)
    since = local_aws.recorder.mark()
    runner = awx.run(job, work, local=True, environment=ansible_environment(local_aws))
    calls = local_aws.recorder.calls(since, local_aws.recorder.mark())
    record_playbook_run(job.playbook, calls)
    return SimpleNamespace(
        rc=runner.rc, status=runner.status, stats=runner.stats or {}, stdout=runner.stdout.read(),
        calls=calls, mutating=local_aws.recorder.mutating(since),
        reports=[json.loads(path.read_text()) for path in sorted(work.glob("reports/*.json"))])


def succeeded(job):
    assert (job.rc, job.status) == (0, "successful"), job.stdout[-6000:]
    assert not job.stats.get("failures") and not job.stats.get("dark"), job.stats
    return job


def assert_answers_read(report, answers):
    """The runbook ran with each answer (its report's parameters): a survey variable the
    playbook does not read would leave the playbook's default there."""
    for variable, value in answers.items():
        if variable != "confirm":
            assert str(report["parameters"][variable]) == value, (variable, report["parameters"])


def delete_restored(local_aws, identifier, region="us-east-1"):
    """Delete an instance a restore job made; it keeps its source's deletion protection."""
    rds = local_aws.client("rds", region)
    rds.modify_db_instance(DBInstanceIdentifier=identifier, DeletionProtection=False, ApplyImmediately=True)
    rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True)


def fail_over_and_check_the_zones_swap(local_aws, work, environment, identifier, region="us-east-1"):
    """The failover template of `environment` with target=rds: the writer's primary and
    standby zones swap."""
    rds = local_aws.client("rds", region)
    before = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    answers = {"target": "rds", "confirm": environment}
    job = succeeded(launch(local_aws, work, f"dbfleet failover {environment}", answers))
    assert_answers_read(job.reports[0], answers)
    after = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    assert (after["AvailabilityZone"], after["SecondaryAvailabilityZone"]) == (
        before["SecondaryAvailabilityZone"], before["AvailabilityZone"])


def instance(local_aws, identifier, region="us-east-1"):
    return describe_db_instance(local_aws.client("rds", region), identifier)


def connect(local_aws, identifier, master_secret, password=None):
    """A session on `identifier`'s database `skillancer` as the master user (with `password`
    instead of the stored one, to try an old password)."""
    master = read_secret(local_aws, master_secret)
    endpoint = instance(local_aws, identifier)["Endpoint"]
    return pg_connect(endpoint["Address"], endpoint["Port"], master["username"], password or master["password"],
                      "skillancer")


def sql(local_aws, identifier, master_secret, statement, parameters=None):
    """Run one statement as the master user; its rows, or None for a statement without."""
    with closing(connect(local_aws, identifier, master_secret)) as connection:
        cursor = connection.cursor()
        cursor.execute(statement, parameters)
        return cursor.fetchall() if cursor.description else None
