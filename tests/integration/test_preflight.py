"""Bad input to playbooks/provision.yml on the local inventory: the preflight stops the run
with the rule that was broken, before any AWS call. Nothing needs to be provisioned, so
these run apart from the shared environment (moved here from test_provision.py and
test_provision_elasticache.py)."""

import pytest

from conftest import LOCAL_INVENTORY as INVENTORY, PROVISION as PLAYBOOK, ansible_environment, run_playbook


def fails_in_the_preflight(local_aws, bad_vars):
    since = local_aws.recorder.mark()
    result = run_playbook(PLAYBOOK, INVENTORY, extra_vars=bad_vars, env=ansible_environment(local_aws),
                          expect_rc=2)
    assert local_aws.recorder.calls(since) == []
    return result.stdout


def test_bad_rds_input_fails_before_any_aws_call(local_aws):
    output = fails_in_the_preflight(local_aws, {"rds_backup_retention_period": 40})
    assert "rds_backup_retention_period must be between 0 and 35 days" in output


@pytest.mark.parametrize("bad_vars, rule", [
    ({"elasticache_num_cache_clusters": 7},
     "elasticache_num_cache_clusters must be between 1 and 6"),
    ({"elasticache_num_cache_clusters": 1, "elasticache_automatic_failover": False},
     "elasticache_multi_az needs elasticache_automatic_failover and elasticache_num_cache_clusters of at least 2"),
    ({"elasticache_snapshot_window": "05:30-06:30"},
     "elasticache_snapshot_window and elasticache_maintenance_window must not overlap"),
    ({"elasticache_auth_token_length": 32},
     "elasticache_auth_token_length must be between 64 and 128"),
], ids=["seven-nodes", "multi-az-on-one-node", "overlapping-windows", "short-token"])
def test_bad_elasticache_input_fails_before_any_aws_call(local_aws, bad_vars, rule):
    assert rule in fails_in_the_preflight(local_aws, bad_vars)
