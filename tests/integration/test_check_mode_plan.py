"""provision.yml --check on an environment that does not exist yet, the plan before a first
run: it succeeds, shows what the run would create (the alarm topic included, which
community.aws.sns_topic cannot plan by itself), and makes no mutating call."""

from conftest import REPO_ROOT, ansible_environment, parse_recap, run_playbook

PROJECT = "freshplan"


def test_check_mode_plans_a_new_environment(local_aws):
    since = local_aws.recorder.mark()
    # The rds and alarms roles: the alarms need the rds role's result.
    result = run_playbook(REPO_ROOT / "playbooks" / "provision.yml", REPO_ROOT / "inventories" / "local",
                          extra_vars={"dbfleet_project": PROJECT, "elasticache_enabled": False,
                                      "db_users_enabled": False, "dr_enabled": False},
                          check=True, env=ansible_environment(local_aws))
    assert local_aws.recorder.mutating(since) == []
    assert f"TASK [dbfleet.aws.alarms : SNS topic to create, {PROJECT}-local-alarms]" in result.stdout
    assert "does not exist yet; a run creates it" in " ".join(result.stdout.split())
    [recap] = parse_recap(result.stdout).values()
    assert recap["failed"] == 0 and recap["changed"] > 0
    topics = local_aws.client("sns").list_topics()["Topics"]
    assert not [topic for topic in topics if topic["TopicArn"].endswith(f":{PROJECT}-local-alarms")]
