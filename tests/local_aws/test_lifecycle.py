"""up / reset / down of a separate endpoint instance with its own port and state dir."""

import json
import uuid

from conftest import port_answers


def create_instance(endpoint):
    identifier = f"life-{uuid.uuid4().hex[:8]}"
    instance = endpoint.client("rds").create_db_instance(
        DBInstanceIdentifier=identifier, Engine="postgres", DBInstanceClass="db.t3.micro",
        AllocatedStorage=20, MasterUsername="fleetadmin", MasterUserPassword=uuid.uuid4().hex,
        DBName="app")["DBInstance"]
    return identifier, instance["Endpoint"]["Port"]


def test_up_reset_down_and_restart_after_a_crash(own_endpoint):
    assert own_endpoint.cli("status").returncode == 1
    started = own_endpoint.cli("up")
    assert started.returncode == 0, started.stderr
    assert (own_endpoint.state_dir / "local_aws.pid").exists()
    assert (own_endpoint.state_dir / "local_aws.log").exists()
    assert own_endpoint.cli("up").stdout.startswith("local AWS endpoint already running")

    _identifier, port = create_instance(own_endpoint)
    assert port_answers(port)
    assert own_endpoint.cli("reset").returncode == 0
    assert own_endpoint.client("rds").describe_db_instances()["DBInstances"] == []
    assert not port_answers(port)

    create_instance(own_endpoint)
    _identifier, port = create_instance(own_endpoint)
    assert own_endpoint.cli("down").returncode == 0
    assert not port_answers(port)
    assert not own_endpoint.healthy()
    assert not (own_endpoint.state_dir / "local_aws.pid").exists()

    # A pid file left by a crashed endpoint does not prevent the next start.
    (own_endpoint.state_dir / "local_aws.pid").write_text("999999\n")
    rules = [{"action": "ListTopics", "first_n": 1, "error": "503"}]
    assert own_endpoint.cli("up", LOCAL_AWS_FAULTS=json.dumps({"rules": rules}),
                            LOCAL_AWS_STATE_DELAY="7").returncode == 0
    assert own_endpoint.client("rds").describe_db_instances()["DBInstances"] == []
    assert not list((own_endpoint.state_dir / "pg").glob("*/life-*"))
    assert own_endpoint.control("GET", "faults") == {
        "faults": [{"action": "ListTopics", "service": None, "error": "503", "remaining": 1}],
        "delay_seconds": 7.0}
