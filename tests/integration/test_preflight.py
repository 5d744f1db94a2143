"""Bad input to playbooks/provision.yml on the local inventory: the preflight stops the run
with the rule that was broken, before any AWS call. Nothing needs to be provisioned, so
these run apart from the shared environment (moved here from test_provision.py and
test_provision_elasticache.py). A rule broken on its own is a line of bad_input.yml
(test_bad_input.py); these are the runs that break several at once."""


from conftest import LOCAL_INVENTORY as INVENTORY, PROVISION as PLAYBOOK, ansible_environment, run_playbook


def fails_in_the_preflight(local_aws, bad_vars):
    since = local_aws.recorder.mark()
    result = run_playbook(PLAYBOOK, INVENTORY, extra_vars=bad_vars, env=ansible_environment(local_aws),
                          expect_rc=2)
    assert local_aws.recorder.calls(since) == []
    return result.stdout


def test_type_range_and_family_problems_in_one_message(local_aws):
    """A wrong type, a range and a family that does not match the engine version: one
    failure lists all three, each naming its variable, and nothing else."""
    output = fails_in_the_preflight(local_aws, {
        "rds_port": "abc", "rds_read_replica_count": 16, "elasticache_parameter_group_family": "redis6.x"})
    assert "3 problem(s) with the variables, before any AWS call" in output
    assert "rds_port: argument 'rds_port' is of type str and we were unable to convert to int" in output
    assert "rds_read_replica_count: must be between 0 and 15 (got 16)" in output
    assert "elasticache_parameter_group_family: must be redis7, the family of redis 7.1 (got 'redis6.x')" in output
    assert "argument_spec" not in output


def test_what_aws_does_not_offer_fails_before_any_change(local_aws):
    """A class, a node type and a parameter that do not exist: the preflight reads what AWS
    offers (read-only calls) and lists all three before the first write."""
    since = local_aws.recorder.mark()
    result = run_playbook(PLAYBOOK, INVENTORY, env=ansible_environment(local_aws), expect_rc=2, extra_vars={
        "rds_instance_class": "db.r6g.larg", "elasticache_node_type": "cache.r6g.lrge",
        "rds_parameters": {"rds.force_ssl": 1, "max_conections": 100}})
    assert "3 problem(s) with the variables against what AWS offers, before any change" in result.stdout
    assert ("rds_instance_class: db.r6g.larg is not offered for postgres 15.10 in this region; "
            "did you mean db.r6g.large?") in result.stdout
    assert "rds_parameters.max_conections: unknown parameter for family postgres15 (did you mean max_connections?)" \
        in result.stdout
    assert ("elasticache_node_type: cache.r6g.lrge is not offered for family redis7 in this region; "
            "did you mean cache.r6g.large?") in result.stdout
    actions = {call["action"] for call in local_aws.recorder.calls(since)}
    assert {"DescribeOrderableDBInstanceOptions", "DescribeEngineDefaultParameters"} <= actions
    assert result.mutating == []


def test_every_role_in_one_message(local_aws):
    """rds, alarms and dr variables broken at once: one failure names all three."""
    output = fails_in_the_preflight(local_aws, {"rds_port": 80, "alarms_period": 45, "dr_rpo_minutes": 0})
    assert "3 problem(s) with the variables, before any AWS call" in output
    assert "rds_port: must be between 1150 and 65535 (got 80)" in output
    assert "alarms_period: must be 10, 30 or a multiple of 60 seconds (got 45)" in output
    assert "dr_rpo_minutes: must be at least 1 (got 0)" in output
