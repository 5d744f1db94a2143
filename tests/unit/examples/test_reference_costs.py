"""Each cost figure of the reference documents, against the estimate of the example fleet that
converts the document (examples/<fleet>/, whose README names it), priced with the shipped
table (playbooks/prices/aws.yml). docs/cost.md explains each figure that differs.

A figure "about X" agrees within 10 % of X; a range "A-B" agrees from 5 % below A to 5 %
above B. A figure that differs is asserted to differ, so that a change of the table or of
the model that makes it agree (or one that agreed disagree) is seen here and in the docs.
The example's variables come from Ansible's own inventory and templating
(planned_settings.py); test_cost_playbook_matches checks playbooks/cost.yml against them.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.dbfleet.aws.plugins.module_utils import cost

REPO = Path(__file__).resolve().parents[3]
TABLE = yaml.safe_load((REPO / "playbooks" / "prices" / "aws.yml").read_text())
INVENTORIES = ["examples/%s" % name for name in (
    "mosaic/prod", "dbmodule/dev", "dbmodule/prod", "aldeia/staging", "aldeia/prod",
    "skillancer/dev", "skillancer/staging", "skillancer/prod", "accunode/dev", "accunode/prod")]


@pytest.fixture(scope="module")
def planned():
    output = subprocess.run([sys.executable, str(Path(__file__).with_name("planned_settings.py"))] + INVENTORIES,
                            cwd=REPO, capture_output=True, text=True, check=True).stdout
    return json.loads(output)


def month(planned, inventory, host="prod-us-east-1", **changes):
    values = dict(planned[inventory][host], **changes)
    assert cost.problems(values, TABLE) == []
    return cost.estimate(values, TABLE)


def lines(estimate, component=None, resource=None):
    return sum(line["monthly"] for line in estimate["lines"]
               if component in (None, line["component"]) and resource in (None, line["resource"]))


def reserved(estimate, option):
    return [entry for entry in estimate["reserved"] if entry["option"] == option][0]["monthly_total"]


def about(value, figure):
    return abs(value - figure) <= 0.10 * figure


def within(value, low, high):
    return low * 0.95 <= value <= high * 1.05


def test_every_example_is_priced_without_a_problem(planned):
    for inventory, hosts in planned.items():
        for host, values in hosts.items():
            assert cost.problems(values, TABLE) == [], (inventory, host)
            assert cost.estimate(values, TABLE)["monthly_total"] >= 0


def test_004_mosaic(planned):
    """004: "Total Monthly Cost: ~$15-19", db.t3.micro $13-15, 20 GB gp3 $2-3 (and $2-4),
    7 days of backups $0.10-0.20, Performance Insights 1-month retention ~$2-3, db.t3.small
    ~$30, db.t3.medium ~$60, Multi-AZ and each replica +100 % of the instance."""
    base = month(planned, "examples/mosaic/prod")
    assert within(base["monthly_total"], 15, 19)
    assert within(lines(base, "instances"), 13, 15)
    assert within(lines(base, "storage"), 2, 3) and within(lines(base, "storage"), 2, 4)
    assert within(lines(base, "backups"), 0.10, 0.20)
    insights = month(planned, "examples/mosaic/prod", rds_performance_insights_enabled=True,
                     rds_performance_insights_retention_period=31)
    assert within(lines(insights, "performance_insights"), 2, 3)
    assert about(month(planned, "examples/mosaic/prod", rds_instance_class="db.t3.small")["monthly_total"], 30)
    assert about(month(planned, "examples/mosaic/prod", rds_instance_class="db.t3.medium")["monthly_total"], 60)
    multi_az = month(planned, "examples/mosaic/prod", rds_multi_az=True)
    assert lines(multi_az, "instances") == pytest.approx(2 * lines(base, "instances"))
    replica = month(planned, "examples/mosaic/prod", rds_read_replica_count=1)
    assert lines(replica, "instances") == pytest.approx(2 * lines(base, "instances"))


def test_003_dbmodule(planned):
    """003's cost table: dev ~$15-20 and prod ~$60-80 a month; "t3.micro ($15)" and "t3.small
    ($30)" are the instance with its 20 GB, not the instance alone; Multi-AZ +100 %; Enhanced
    Monitoring "$2" is ten times its log volume at the 60 s it sets; the replica "t3.micro ($15)"."""
    dev = month(planned, "examples/dbmodule/dev", host="dev-us-east-1")
    prod = month(planned, "examples/dbmodule/prod")
    assert within(dev["monthly_total"], 15, 20) and within(prod["monthly_total"], 60, 80)
    assert not about(lines(dev, "instances"), 15) and about(lines(dev, "instances") + lines(dev, "storage"), 15)
    small = month(planned, "examples/dbmodule/prod", rds_multi_az=False, rds_read_replica_count=0)
    assert not about(lines(small, "instances"), 30)
    assert about(lines(small, "instances") + lines(small, "storage"), 30)
    assert lines(prod, "instances", "realworld-prod") == pytest.approx(2 * lines(small, "instances"))
    writer_monitoring = lines(prod, "monitoring", "realworld-prod")
    assert 0.1 < writer_monitoring < 0.5 and not about(writer_monitoring, 2)
    replica = "realworld-prod-replica-1"
    assert about(lines(prod, "instances", replica) + lines(prod, "storage", replica), 15)


def test_001_aldeia(planned):
    """001: staging RDS ~$34 and Redis ~$12, prod RDS ~$236 and Redis ~$50; the optional
    db.t3.medium replica "+$56" (its instance, its own 100 GB, less the backups they make
    free); reserved (1 year):
    db.t3.small $28 -> $18, db.t3.large $225 -> $145 (Multi-AZ), ~$960 a year saved in
    production, cache.t3.small $25 -> $16."""
    staging = month(planned, "examples/aldeia/staging", host="staging-us-east-1")
    prod = month(planned, "examples/aldeia/prod")
    assert about(lines(staging, resource="aldeia-staging-db"), 34)
    assert about(lines(staging, resource="aldeia-staging-redis"), 12)
    assert about(lines(prod, resource="aldeia-prod-db"), 236)
    assert about(lines(prod, resource="aldeia-prod-redis"), 50)
    with_replica = month(planned, "examples/aldeia/prod", rds_read_replica_count=1,
                         rds_replica_instance_class="db.t3.medium")
    added = with_replica["monthly_total"] - prod["monthly_total"]
    replica_instance = lines(with_replica, "instances", "aldeia-prod-db-replica-1")
    assert about(added, 56) and about(replica_instance, 56)
    # Its own 100 GB, less the backup storage its allocation makes free.
    assert lines(with_replica, "storage", "aldeia-prod-db-replica-1") == pytest.approx(100 * 0.115)
    assert lines(with_replica, "backups") < lines(prod, "backups")
    discount = TABLE["reserved"]["rds"]["1-year all upfront"]
    small = lines(staging, "instances")
    assert about(small, 28) and about(small * (1 - discount), 18)
    large = lines(prod, "instances", "aldeia-prod-db")
    assert about(large, 225) and about(large * (1 - discount), 145)
    assert about(12 * large * discount, 960)
    cache_node = lines(prod, "cache_nodes") / 2
    assert about(cache_node, 25) and about(cache_node * (1 - TABLE["reserved"]["elasticache"]["1-year all upfront"]), 16)


def test_000_skillancer(planned):
    """000's reserved table: db.r6g.large $190 on demand and cache.r6g.large $130 are not the
    table's rates (164.25 and 150.38 a month, Single-AZ, one node), but its savings (37 % and
    55 % for the RDS class, 35 % and 58 % for the node) are the table's 1-year and 3-year
    all upfront discounts within 3 points."""
    prod = month(planned, "examples/skillancer/prod")
    writer = [line for line in prod["lines"] if line["resource"] == "skillancer-prod" and line["component"] == "instances"]
    r6g = writer[0]["monthly"] / 2     # Multi-AZ: two of them
    node = lines(prod, "cache_nodes") / 3
    assert not about(r6g, 190) and not about(node, 130)
    for service, (on_demand, one_year, three_year) in (("rds", (190, 120, 85)), ("elasticache", (130, 85, 55))):
        discounts = TABLE["reserved"][service]
        assert abs((1 - one_year / on_demand) - discounts["1-year all upfront"]) <= 0.03
        assert abs((1 - three_year / on_demand) - discounts["3-year all upfront"]) <= 0.03
    assert reserved(prod, "3-year all upfront") < reserved(prod, "1-year all upfront") < prod["monthly_total"]


def test_002_accunode_is_priced_in_both_regions(planned):
    """002 states no price; its fleet is priced all the same, the DR replica in us-west-2."""
    prod = month(planned, "examples/accunode/prod")
    assert {line["region"] for line in prod["lines"]} == {"us-east-1", "us-west-2"}


def test_cost_playbook_matches(planned, tmp_path):
    """playbooks/cost.yml on a fleet gives the estimate of the variables planned_settings.py
    read: the same variables as Ansible's play."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build" / "collections"),
               ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    subprocess.run([str(Path(sys.executable).with_name("ansible-playbook")), str(REPO / "playbooks" / "cost.yml"),
                    "-i", str(REPO / "examples" / "aldeia" / "staging"), "-i", str(REPO / "examples" / "aldeia" / "prod"),
                    "-e", "report_dir=%s" % tmp_path],
                   cwd=tmp_path, env=env, check=True, capture_output=True, text=True)
    fleet = json.loads((tmp_path / "cost-fleet.json").read_text())
    expected = {"staging-us-east-1": month(planned, "examples/aldeia/staging", host="staging-us-east-1"),
                "prod-us-east-1": month(planned, "examples/aldeia/prod")}
    assert dict((entry["host"], entry["cost"]) for entry in fleet["environments"]) == expected
    assert fleet["monthly_total"] == round(sum(entry["monthly_total"] for entry in expected.values()), 2)
    markdown = (tmp_path / "cost-fleet.md").read_text()
    assert "| **Fleet** | **%.2f** |" % fleet["monthly_total"] in markdown
    assert "| aldeia-prod-db | us-east-1 | writer db.t3.large, Multi-AZ, 730 h | 211.70 |" in markdown
