"""up / reset / down of a separate endpoint instance with its own port and state dir."""

import json
import os
import stat
import uuid
from contextlib import closing

from conftest import pg_connect, port_answers

from tools.local_aws.dataplane import postgres


def create_instance(endpoint, password=None):
    identifier = f"life-{uuid.uuid4().hex[:8]}"
    instance = endpoint.client("rds").create_db_instance(
        DBInstanceIdentifier=identifier, Engine="postgres", DBInstanceClass="db.t3.micro",
        AllocatedStorage=20, MasterUsername="fleetadmin",
        MasterUserPassword=password or uuid.uuid4().hex, DBName="app")["DBInstance"]
    return identifier, (instance["Endpoint"]["Address"], instance["Endpoint"]["Port"])


def test_data_plane_runs_from_a_directory_only_root_can_enter(own_endpoint):
    """As a checkout in root's home or in `mktemp -d`: the clusters live where the
    `postgres` user can enter, and the instance holds its master user and database."""
    private = own_endpoint.state_dir.parent
    assert stat.S_IMODE(private.stat().st_mode) & 0o077 == 0, "the test needs a 0700 directory"
    started = own_endpoint.cli("up")
    assert started.returncode == 0, started.stderr
    password = uuid.uuid4().hex
    identifier, endpoint = create_instance(own_endpoint, password)

    with closing(pg_connect(*endpoint, "fleetadmin", password, "app")) as session:
        cursor = session.cursor()
        cursor.execute("CREATE TABLE t AS SELECT 1 AS id")
        cursor.execute("SELECT current_database(), current_user, count(*) FROM t")
        assert cursor.fetchone() == ("app", "fleetadmin", 1)
    root = postgres.pg_root(own_endpoint.state_dir)
    if os.geteuid() == 0:
        assert not str(root).startswith(str(private))
    assert postgres.exists(own_endpoint.state_dir, "us-east-1", identifier)

    # purge (make clean) stops it and removes its data, also where it was kept outside.
    assert own_endpoint.cli("purge").returncode == 0
    assert not port_answers(*endpoint)
    assert not root.exists() and not own_endpoint.state_dir.exists()


def test_up_reset_down_and_restart_after_a_crash(own_endpoint):
    assert own_endpoint.cli("status").returncode == 1
    started = own_endpoint.cli("up")
    assert started.returncode == 0, started.stderr
    assert (own_endpoint.state_dir / "local_aws.pid").exists()
    assert (own_endpoint.state_dir / "local_aws.log").exists()
    assert own_endpoint.cli("up").stdout.startswith("local AWS endpoint already running")

    _identifier, endpoint = create_instance(own_endpoint)
    assert port_answers(*endpoint)
    assert own_endpoint.cli("reset").returncode == 0
    assert own_endpoint.client("rds").describe_db_instances()["DBInstances"] == []
    assert not port_answers(*endpoint)
    # The account's network is there again after the reset.
    assert len(own_endpoint.client("ec2").describe_subnets(
        SubnetIds=["subnet-0dbf1ee7000000001", "subnet-0dbf1ee7000000002"])["Subnets"]) == 2

    create_instance(own_endpoint)
    _identifier, endpoint = create_instance(own_endpoint)
    assert own_endpoint.cli("down").returncode == 0
    assert not port_answers(*endpoint)
    assert not own_endpoint.healthy()
    assert not (own_endpoint.state_dir / "local_aws.pid").exists()

    # A pid file left by a crashed endpoint does not prevent the next start.
    (own_endpoint.state_dir / "local_aws.pid").write_text("999999\n")
    rules = [{"action": "ListTopics", "first_n": 1, "error": "503"}]
    assert own_endpoint.cli("up", LOCAL_AWS_FAULTS=json.dumps({"rules": rules}),
                            LOCAL_AWS_STATE_DELAY="7").returncode == 0
    assert own_endpoint.client("rds").describe_db_instances()["DBInstances"] == []
    assert not list(postgres.clusters_dir(own_endpoint.state_dir).glob("*/life-*"))
    assert own_endpoint.control("GET", "faults") == {
        "faults": [{"action": "ListTopics", "service": None, "error": "503", "remaining": 1}],
        "delay_seconds": 7.0}
