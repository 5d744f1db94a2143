"""The guardrail preflight of playbooks/provision.yml: a production policy over a
production-like inventory stops the run before any AWS call, naming every rule and
variable; a waiver with a reason lets the run through."""

import re
import shutil

import pytest
import yaml

from conftest import REPO_ROOT, ansible_environment, run_playbook

PLAYBOOK = "playbooks/provision.yml"
PROD_POLICY = REPO_ROOT / "examples/skillancer/prod/group_vars/prod/guardrails.yml"


@pytest.fixture(scope="module")
def prod_like(tmp_path_factory):
    """inventories/local (so it talks to the local endpoint) under the production policy,
    with four violations; rds_multi_az is left out so that the role default (false) counts."""
    inventory = tmp_path_factory.mktemp("guardrails") / "prod_like"
    shutil.copytree(REPO_ROOT / "inventories/local", inventory)
    group_vars = inventory / "group_vars/local"
    shutil.copy(PROD_POLICY, group_vars / "guardrails.yml")
    rds = yaml.safe_load((group_vars / "rds.yml").read_text())
    del rds["rds_multi_az"]
    rds.update(rds_backup_retention_period=3, rds_deletion_protection=True)
    rds["rds_parameters"]["rds.force_ssl"] = 0
    (group_vars / "rds.yml").write_text(yaml.safe_dump(rds))
    elasticache = yaml.safe_load((group_vars / "elasticache.yml").read_text())
    elasticache["elasticache_auth_token_enabled"] = False
    (group_vars / "elasticache.yml").write_text(yaml.safe_dump(elasticache))
    return inventory


def guardrails_only(local_aws):
    """As `--tags guardrails`: the preflight's policy check alone."""
    return {**ansible_environment(local_aws), "ANSIBLE_RUN_TAGS": "guardrails"}


VIOLATIONS = {
    "rds_multi_az": "rule rds_multi_az: rds_multi_az is false, must be true",
    "rds_encryption_in_transit": "rule rds_encryption_in_transit: rds_parameters['rds.force_ssl'] is 0, must be 1",
    "rds_backup_retention": "rule rds_backup_retention: rds_backup_retention_period is 3, must be at least 7",
    "elasticache_auth_token": "rule elasticache_auth_token: elasticache_auth_token_enabled is false, must be true",
}


def test_violations_stop_provision_before_any_aws_call(prod_like, local_aws):
    since = local_aws.recorder.mark()
    waivers = [{"rule": "rds_multi_az"}, {"rule": "rds_public_ip", "reason": "legacy"}]
    result = run_playbook(PLAYBOOK, prod_like, extra_vars={"dbfleet_guardrail_waivers": waivers},
                          env=ansible_environment(local_aws), expect_rc=2)
    assert "guardrails of local: 4 violation(s)" in result.stdout
    for message in VIOLATIONS.values():
        assert message in result.stdout
    assert "dbfleet_guardrail_waivers[0].reason must say in words why rule rds_multi_az is accepted" in result.stdout
    assert "dbfleet_guardrail_waivers[1].rule 'rds_public_ip' is not a rule of this environment's policy" in result.stdout
    assert result.recap["local-us-east-1"]["failed"] == 1
    # Only the preflight ran: no play after it, no call reached the endpoint.
    assert "Provision databases and caches" not in result.stdout
    assert local_aws.recorder.calls(since) == []


def test_waivers_with_reasons_pass_the_preflight(prod_like, local_aws):
    since = local_aws.recorder.mark()
    waivers = [{"rule": rule, "reason": f"accepted for the test of {rule}"} for rule in VIOLATIONS]
    result = run_playbook(PLAYBOOK, prod_like, extra_vars={"dbfleet_guardrail_waivers": waivers},
                          env=guardrails_only(local_aws))
    assert result.recap["local-us-east-1"]["failed"] == 0
    assert "guardrails of local: 11 rule(s) pass, 4 waived, 0 skipped" in result.stdout
    for rule, message in VIOLATIONS.items():
        assert f"waived: {message} (reason: accepted for the test of {rule})" in result.stdout
    assert local_aws.recorder.calls(since) == []


def test_deleting_without_a_final_snapshot_or_the_backups_needs_a_waiver_in_prod(prod_like, local_aws):
    waivers = [{"rule": rule, "reason": f"accepted for the test of {rule}"} for rule in VIOLATIONS]
    skip = {"rds_skip_final_snapshot": True, "rds_delete_automated_backups": True}
    refused = run_playbook(PLAYBOOK, prod_like, extra_vars={"dbfleet_guardrail_waivers": waivers, **skip},
                           env=guardrails_only(local_aws), expect_rc=2)
    assert "rule rds_final_snapshot: rds_skip_final_snapshot is true, must be false" in refused.stdout
    assert "rule rds_automated_backups_kept: rds_delete_automated_backups is true, must be false" in refused.stdout
    waived = waivers + [{"rule": rule, "reason": "a scratch copy of prod, its data is not needed"}
                        for rule in ("rds_final_snapshot", "rds_automated_backups_kept")]
    passed = run_playbook(PLAYBOOK, prod_like, extra_vars={"dbfleet_guardrail_waivers": waived, **skip},
                          env=guardrails_only(local_aws))
    assert passed.recap["local-us-east-1"]["failed"] == 0


# The demo and the first fleet's environments; every example's policy is also evaluated,
# without a playbook run, in tests/unit/plugins/plugin_utils/test_guardrails.py.
@pytest.mark.parametrize("inventory", ["inventories/local", "examples/skillancer/dev", "examples/skillancer/staging",
                                       "examples/skillancer/prod"])
def test_every_inventory_passes_its_own_policy(inventory, local_aws):
    """Every rule of the inventory's policy is evaluated on its primary target and passes,
    none waived; a DR-only target with every role off skips them all."""
    environment = inventory.rsplit("/", 1)[1]
    policy = yaml.safe_load((REPO_ROOT / inventory / "group_vars" / environment / "guardrails.yml")
                            .read_text())["dbfleet_guardrails"]
    result = run_playbook(PLAYBOOK, inventory, env=guardrails_only(local_aws))
    counts = re.findall(rf"guardrails of {environment}: (\d+) rule\(s\) pass, (\d+) waived, (\d+) skipped",
                        result.stdout)
    assert counts, result.stdout[-2000:]
    counts = {tuple(map(int, found)) for found in counts}
    assert (len(policy), 0, 0) in counts
    assert counts <= {(len(policy), 0, 0), (0, 0, len(policy))}
    assert "violation" not in result.stdout
