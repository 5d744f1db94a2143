"""plugins/module_utils/cost.py: each priced component, the reserved comparison and the input
rules, on a small price table written here (the shipped table is checked against the
reference documents in tests/unit/examples/test_reference_costs.py)."""

from pathlib import Path

import pytest
import yaml

from ansible_collections.dbfleet.aws.plugins.module_utils import cost

REPO = Path(__file__).resolve().parents[4]
REGION = {
    "rds": {
        "instances": {"db.t3.micro": {"hourly": 0.02, "vcpus": 2}, "db.r6g.xlarge": {"hourly": 0.5, "vcpus": 4}},
        "storage_gb_month": {"gp3": 0.1, "io1": 0.125},
        "gp3_iops_month": 0.02, "gp3_throughput_mibps_month": 0.08, "provisioned_iops_month": {"io1": 0.1},
        "backup_gb_month": 0.1, "transfer_to_region_gb": 0.02,
        "performance_insights_vcpu_month": {"first_month": 1.5, "further_month": 0.1},
    },
    "elasticache": {"nodes": {"cache.t3.small": {"hourly": 0.03, "memory_gib": 1.0}}, "valkey_factor": 0.8,
                    "backup_gb_month": 0.1},
    "cloudwatch": {"logs_ingested_gb": 0.5},
}
TABLE = {"currency": "USD", "as_of": "2026-12-01", "source": "test", "hours_per_month": 700,
         "reserved": {"rds": {"1-year": 0.3, "3-year": 0.5}, "elasticache": {"1-year": 0.2}},
         "regions": {"us-east-1": REGION, "us-west-2": REGION}}
WRITER = {"dbfleet_region": "us-east-1", "rds_identifier": "app", "rds_instance_class": "db.t3.micro",
          "rds_allocated_storage": 100, "rds_storage_type": "gp3", "rds_backup_retention_period": 0,
          "rds_replica_instance_class": "db.t3.micro", "elasticache_enabled": False}
CACHE = {"dbfleet_region": "us-east-1", "rds_enabled": False, "elasticache_enabled": True,
         "elasticache_replication_group_id": "app", "elasticache_node_type": "cache.t3.small",
         "elasticache_num_cache_clusters": 2, "elasticache_snapshot_retention_limit": 1}


def priced(base, **changes):
    values = dict(base, **changes)
    assert cost.problems(values, TABLE) == []
    return cost.estimate(values, TABLE)


def component(estimate, name):
    return sum(line["monthly"] for line in estimate["lines"] if line["component"] == name)


def test_the_writer_its_storage_and_multi_az():
    single = priced(WRITER)
    assert [(line["resource"], line["component"], line["monthly"]) for line in single["lines"]] == [
        ("app", "instances", 14.0), ("app", "storage", 10.0)]
    double = priced(WRITER, rds_multi_az="true")
    assert (component(double, "instances"), component(double, "storage")) == (28.0, 20.0)
    assert double["monthly_total"] == 48.0 and double["currency"] == "USD" and double["as_of"] == "2026-12-01"


def test_gp3_above_its_baseline_and_io1_iops():
    at_baseline = priced(WRITER, rds_iops=3000, rds_storage_throughput=125)
    assert component(at_baseline, "storage") == 10.0
    # From 400 GiB the baseline is 12,000 IOPS and 500 MiB/s.
    large = priced(WRITER, rds_allocated_storage=500, rds_iops=15000, rds_storage_throughput=600)
    assert component(large, "storage") == pytest.approx(500 * 0.1 + 3000 * 0.02 + 100 * 0.08)
    io1 = priced(WRITER, rds_storage_type="io1", rds_iops=1000)
    assert component(io1, "storage") == pytest.approx(100 * 0.125 + 1000 * 0.1)


def test_performance_insights_beyond_the_free_week_per_vcpu():
    assert component(priced(WRITER, rds_performance_insights_enabled=True), "performance_insights") == 0
    three_months = priced(WRITER, rds_performance_insights_enabled=True,
                          rds_performance_insights_retention_period=93, rds_multi_az=True)
    assert component(three_months, "performance_insights") == pytest.approx(4 * (1.5 + 2 * 0.1))
    two_years = priced(WRITER, rds_performance_insights_enabled=True,
                       rds_performance_insights_retention_period=731)
    assert component(two_years, "performance_insights") == pytest.approx(2 * (1.5 + 23 * 0.1))


def test_enhanced_monitoring_by_its_log_volume():
    every_minute = priced(WRITER, rds_monitoring_interval=60, cost_enhanced_monitoring_event_kb=20)
    gigabytes = 700 * 60 * 20 / 1024 / 1024
    assert component(every_minute, "monitoring") == pytest.approx(round(gigabytes * 0.5, 2))
    assert component(priced(WRITER, rds_monitoring_interval=5), "monitoring") == pytest.approx(
        round(700 * 720 * 10 / 1024 / 1024 * 0.5, 2))


def test_backups_beyond_the_free_amount():
    # 100 GB of data, 2 % written again a day for 10 days: 20 GB beyond the free 100.
    week = priced(WRITER, rds_backup_retention_period=10, cost_daily_change_percent=2)
    assert component(week, "backups") == pytest.approx(20 * 0.1)
    # Half full: 50 + 10 GB, within the free 100.
    assert component(priced(WRITER, rds_backup_retention_period=10, cost_daily_change_percent="2",
                            cost_storage_used_percent=50), "backups") == 0
    # A replica's storage is free backup storage too.
    assert component(priced(WRITER, rds_backup_retention_period=10, cost_daily_change_percent=2,
                            rds_read_replica_count=1), "backups") == 0


def test_manual_snapshots_kept_beyond_the_automated_window():
    # Kept 12 months of 30 days, 7 days of automated backups: 353 days of 1 GB changes.
    kept = priced(WRITER, rds_backup_retention_period=7, dr_rds_snapshot_retention={"daily": 7, "monthly": 12})
    assert component(kept, "snapshots") == pytest.approx(round(353 * 1.0 * 0.1, 2))
    capped = priced(WRITER, rds_backup_retention_period=7,
                    dr_rds_snapshot_retention={"monthly": 12, "max_age_days": 30})
    assert component(capped, "snapshots") == pytest.approx(23 * 0.1)
    # A snapshot holds at most the data: 2 snapshots of a 100 GB database that changes fast.
    assert component(priced(WRITER, rds_backup_retention_period=1, cost_daily_change_percent=50,
                            dr_rds_snapshot_retention={"keep_last": 2, "max_age_days": 400}),
                     "snapshots") == pytest.approx(min(200, 50 * 1) * 0.1)


def test_cross_region_copies_and_the_dr_replica():
    dr = priced(WRITER, dr_copy_region="us-west-2", dr_copy_retention={"daily": 14},
                dr_replica_enabled=True, dr_replica_region="us-west-2", dr_replica_identifier="app-dr",
                dr_replica_instance_class="db.r6g.xlarge")
    by_resource = dict(((line["resource"], line["what"].split(" ")[0]), line) for line in dr["lines"])
    copies = [line for line in dr["lines"] if line["component"] == "cross_region"]
    assert [(line["region"], line["monthly"]) for line in copies] == [
        ("us-west-2", round((100 + 13 * 1.0) * 0.1, 2)),
        ("us-east-1", round(700 / 24.0 * 1.0 * 0.02, 2)),
        ("us-east-1", round(700 / 24.0 * 1.0 * 0.02, 2))]
    assert by_resource[("app-dr", "DR")]["monthly"] == 350.0 and by_resource[("app-dr", "DR")]["region"] == "us-west-2"
    # The DR switches need rds and dr on.
    assert component(priced(WRITER, dr_enabled=False, dr_copy_region="us-west-2"), "cross_region") == 0


def test_elasticache_nodes_valkey_and_snapshots():
    assert component(priced(CACHE), "cache_nodes") == pytest.approx(2 * 0.03 * 700)
    sharded = priced(CACHE, elasticache_cluster_mode="enabled", elasticache_num_node_groups=3,
                     elasticache_replicas_per_node_group=2, elasticache_engine="valkey",
                     elasticache_snapshot_retention_limit=5)
    assert component(sharded, "cache_nodes") == pytest.approx(round(9 * 0.03 * 0.8 * 700, 2))
    assert component(sharded, "cache_snapshots") == pytest.approx(4 * 3 * 1.0 * 0.1)


def test_reserved_discounts_the_hours_only():
    cache = dict((key, value) for key, value in CACHE.items() if key.startswith("elasticache_"))
    both = priced(WRITER, **cache)
    instances, storage, nodes = component(both, "instances"), component(both, "storage"), component(both, "cache_nodes")
    assert both["reserved"] == [
        {"option": "1-year", "monthly_total": round(instances * 0.7 + storage + nodes * 0.8, 2),
         "monthly_saving": round(instances * 0.3 + nodes * 0.2, 2),
         "saving_percent": round(100 * (instances * 0.3 + nodes * 0.2) / both["monthly_total"], 1)},
        {"option": "3-year", "monthly_total": round(instances * 0.5 + storage + nodes, 2),
         "monthly_saving": round(instances * 0.5, 2),
         "saving_percent": round(100 * instances * 0.5 / both["monthly_total"], 1)}]


def test_nothing_to_price():
    assert priced(WRITER, rds_state="absent")["lines"] == []
    assert priced(WRITER, rds_enabled="false")["monthly_total"] == 0


def test_each_problem_names_its_variable():
    assert cost.problems(dict(WRITER, rds_instance_class="db.x9.huge"), TABLE) == [
        "rds_instance_class: db.x9.huge has no price in the price table for us-east-1; add it or set cost_price_table"]
    assert cost.problems(dict(WRITER, dbfleet_region="eu-west-1"), TABLE) == [
        "dbfleet_region: the price table has no region eu-west-1 (it has us-east-1, us-west-2); "
        "add it or set cost_price_table"]
    assert cost.problems(dict(WRITER, rds_storage_type="gp2"), TABLE) == [
        "rds_storage_type: gp2 has no price in the price table for us-east-1; add it or set cost_price_table"]
    assert cost.problems(dict(WRITER, rds_read_replicas=[{"identifier": "r", "instance_class": "db.x9.huge"}]),
                         TABLE) == ["rds_read_replicas[0].instance_class: db.x9.huge has no price in the price "
                                    "table for us-east-1; add it or set cost_price_table"]
    assert cost.problems(dict(WRITER, dr_replica_enabled=True, dr_replica_region="eu-west-1",
                              dr_replica_instance_class="db.t3.micro"), TABLE)[0].startswith(
        "dr_replica_region: the price table has no region eu-west-1")
    assert cost.problems(dict(WRITER, dr_copy_region="eu-west-1"), TABLE)[0].startswith(
        "dr_copy_region: the price table has no region eu-west-1")
    assert cost.problems(dict(CACHE, elasticache_node_type="cache.x9.huge"), TABLE)[0].startswith(
        "elasticache_node_type: cache.x9.huge has no price")
    assert cost.problems(dict(WRITER, cost_daily_change_percent="lots", cost_storage_used_percent=0), TABLE) == [
        "cost_storage_used_percent: must be a number from 1 to 100, the share of the allocated storage that holds "
        "data (got 0)",
        "cost_daily_change_percent: must be a number from 0 to 100, the share of the data written again each day "
        "(got 'lots')"]


def test_the_price_table_shape():
    assert cost.problems(WRITER, {"currency": "USD"}) == [
        "cost_price_table: has no as_of", "cost_price_table: has no hours_per_month",
        "cost_price_table: has no regions", "cost_price_table: has no reserved"]
    broken = dict(TABLE, hours_per_month=0, reserved={"rds": {"1-year": 1.5}}, regions={})
    assert cost.problems(WRITER, broken) == [
        "cost_price_table.hours_per_month: must be a positive number",
        "cost_price_table.reserved.rds.1-year: must be a discount from 0 to below 1 (got 1.5)",
        "cost_price_table.regions: must map at least one region to its prices"]
    # A region the target uses must hold every price the estimate reads.
    rds = dict(REGION["rds"], backup_gb_month="cheap", instances={"db.t3.micro": {"hourly": 0.02}})
    holed = dict(TABLE, regions={"us-east-1": dict(REGION, rds=rds)})
    assert cost.problems(WRITER, holed) == [
        "cost_price_table.regions.us-east-1.rds.instances.db.t3.micro.vcpus: must be a price, a number of 0 or more "
        "(got None)",
        "cost_price_table.regions.us-east-1.rds.backup_gb_month: must be a price, a number of 0 or more (got 'cheap')"]
    assert cost.problems(WRITER, ["not", "a", "table"]) == [
        "cost_price_table: must be a mapping with currency, as_of, hours_per_month, regions, reserved"]


def test_the_shipped_table_and_the_playbook_read_the_same_variables():
    shipped = yaml.safe_load((REPO / "playbooks" / "prices" / "aws.yml").read_text())
    assert cost.table_problems(shipped) == []
    assert {"currency": "USD", "hours_per_month": 730}.items() <= shipped.items() and shipped["as_of"]
    [block] = yaml.safe_load((REPO / "playbooks" / "tasks" / "cost.yml").read_text())
    assert block["vars"]["cost_variables"] == list(cost.PLANNED_VARIABLES) + [
        "cost_" + name for name in cost.ASSUMPTIONS]
