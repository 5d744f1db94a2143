"""RDS parameter metadata and pending-reboot status of the local endpoint, through boto3."""

import math
import subprocess
import time
import uuid
from contextlib import closing
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from conftest import pg_connect
from psycopg2 import sql

FAMILIES = ["postgres14", "postgres15", "postgres16", "postgres17"]
POSTGRES_BINARY = Path("/usr/lib/postgresql/15/bin/postgres")
MASTER_USER, MASTER_PASSWORD, DB_NAME = "fleetadmin", uuid.uuid4().hex, "app"
DYNAMIC_BOOLEANS = [
    "log_connections", "log_disconnections", "log_lock_waits", "log_hostname", "log_duration",
    "log_checkpoints", "log_replication_commands", "track_io_timing", "enable_hashagg", "jit",
    "enable_seqscan", "enable_indexscan", "enable_bitmapscan", "enable_hashjoin",
    "enable_mergejoin", "enable_nestloop", "enable_sort", "enable_material", "enable_memoize",
    "enable_tidscan", "enable_gathermerge", "enable_partitionwise_join",
    "enable_partitionwise_aggregate", "enable_parallel_append", "enable_parallel_hash",
]


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def engine_default_pages(rds, family, max_records=100):
    """Every page of DescribeEngineDefaultParameters, following EngineDefaults.Marker."""
    pages, marker = [], None
    while True:
        kwargs = {"DBParameterGroupFamily": family, "MaxRecords": max_records}
        if marker:
            kwargs["Marker"] = marker
        engine_defaults = rds.describe_engine_default_parameters(**kwargs)["EngineDefaults"]
        assert engine_defaults["DBParameterGroupFamily"] == family
        pages.append(engine_defaults["Parameters"])
        marker = engine_defaults.get("Marker")
        if not marker:
            return pages


def engine_defaults(rds, family):
    return {parameter["ParameterName"]: parameter
            for page in engine_default_pages(rds, family) for parameter in page}


def group_parameters(rds, group_name, **filters):
    """{name: Parameter} of DescribeDBParameters over all pages."""
    paginator = rds.get_paginator("describe_db_parameters")
    return {parameter["ParameterName"]: parameter
            for page in paginator.paginate(DBParameterGroupName=group_name, **filters)
            for parameter in page["Parameters"]}


def apply_status(rds, instance_id):
    instance = rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"][0]
    return {group["DBParameterGroupName"]: group["ParameterApplyStatus"]
            for group in instance["DBParameterGroups"]}


def wait_available(rds, instance_id):
    rds.get_waiter("db_instance_available").wait(
        DBInstanceIdentifier=instance_id, WaiterConfig={"Delay": 1, "MaxAttempts": 120})


def wait_for_setting(rds, instance_id, name, expected, timeout=10):
    """SHOW `name` in the instance's PostgreSQL until it reads `expected` (a reload is
    asynchronous); returns the last value read."""
    endpoint = rds.describe_db_instances(
        DBInstanceIdentifier=instance_id)["DBInstances"][0]["Endpoint"]
    deadline = time.monotonic() + timeout
    while True:
        with closing(pg_connect(endpoint["Address"], endpoint["Port"], MASTER_USER,
                                MASTER_PASSWORD, DB_NAME)) as connection, \
                connection.cursor() as cursor:
            cursor.execute(sql.SQL("SHOW {}").format(sql.Identifier(name)))
            value = cursor.fetchone()[0]
        if value == expected or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def change(name, value, apply_method):
    return {"ParameterName": name, "ParameterValue": value, "ApplyMethod": apply_method}


@pytest.fixture(scope="module")
def rds(local_aws):
    return local_aws.client("rds")


@pytest.fixture
def make_group(rds):
    """Create postgres parameter groups for one test; deleted afterwards."""
    created = []

    def make(family="postgres15"):
        name = unique("params")
        rds.create_db_parameter_group(DBParameterGroupName=name, DBParameterGroupFamily=family,
                                      Description="parameter metadata test")
        created.append(name)
        return name

    yield make
    for name in created:
        rds.delete_db_parameter_group(DBParameterGroupName=name)


@pytest.fixture
def make_instance(rds):
    """Create PostgreSQL 15 DB instances for one test; deleted afterwards."""
    created = []

    def make(group_name=None):
        instance_id = unique("paramsdb")
        kwargs = {"DBParameterGroupName": group_name} if group_name else {}
        rds.create_db_instance(
            DBInstanceIdentifier=instance_id, DBInstanceClass="db.t3.micro",
            Engine="postgres", EngineVersion="15.4", AllocatedStorage=20,
            MasterUsername=MASTER_USER, MasterUserPassword=MASTER_PASSWORD, DBName=DB_NAME,
            **kwargs)
        created.append(instance_id)
        wait_available(rds, instance_id)
        return instance_id

    yield make
    for instance_id in created:
        rds.delete_db_instance(DBInstanceIdentifier=instance_id, SkipFinalSnapshot=True)


# --- DescribeEngineDefaultParameters --------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_engine_defaults_list_every_parameter_once_across_pages(rds, family):
    pages = engine_default_pages(rds, family)
    names = [parameter["ParameterName"] for page in pages for parameter in page]

    assert len(names) > 350
    assert len(names) == len(set(names))
    assert [len(page) for page in pages[:-1]] == [100] * (len(pages) - 1)
    assert len(pages) == math.ceil(len(names) / 100)
    assert {"shared_buffers", "work_mem", "max_connections", "rds.force_ssl",
            "rds.logical_replication", "shared_preload_libraries",
            "pg_stat_statements.track"} <= set(names)


def test_small_pages_and_the_boto3_paginator_return_the_same_list(rds):
    by_hundred = [parameter["ParameterName"]
                  for page in engine_default_pages(rds, "postgres15") for parameter in page]
    by_twenty = [parameter["ParameterName"]
                 for page in engine_default_pages(rds, "postgres15", max_records=20)
                 for parameter in page]
    paginator = rds.get_paginator("describe_engine_default_parameters")
    by_paginator = [parameter["ParameterName"]
                    for page in paginator.paginate(DBParameterGroupFamily="postgres15")
                    for parameter in page["EngineDefaults"]["Parameters"]]

    assert by_twenty == by_hundred == by_paginator


@pytest.mark.parametrize("max_records", [19, 101])
def test_max_records_outside_aws_bounds_is_rejected(rds, max_records):
    with pytest.raises(ClientError) as raised:
        rds.describe_engine_default_parameters(DBParameterGroupFamily="postgres15",
                                               MaxRecords=max_records)
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_unknown_family_is_rejected(rds):
    with pytest.raises(ClientError) as raised:
        rds.describe_engine_default_parameters(DBParameterGroupFamily="postgres99")
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_known_parameters_carry_rds_metadata(rds):
    defaults = engine_defaults(rds, "postgres15")

    def summary(name):
        parameter = defaults[name]
        return (parameter["ApplyType"], parameter["DataType"], parameter["IsModifiable"],
                parameter["Source"], parameter.get("AllowedValues"),
                parameter.get("ParameterValue"), parameter["ApplyMethod"])

    assert summary("shared_buffers") == (
        "static", "integer", True, "system", "16-1073741823",
        "{DBInstanceClassMemory/32768}", "pending-reboot")
    assert summary("max_connections")[:2] == ("static", "integer")
    assert summary("max_connections")[5] == "LEAST({DBInstanceClassMemory/9531392},5000)"
    assert summary("work_mem") == (
        "dynamic", "integer", True, "engine-default", "64-2147483647", "4096",
        "pending-reboot")
    assert summary("log_statement") == (
        "dynamic", "string", True, "engine-default", "none,ddl,mod,all", "none",
        "pending-reboot")
    assert summary("log_connections")[:2] == ("dynamic", "boolean")
    assert summary("log_connections")[4:6] == ("0,1", "0")
    assert summary("random_page_cost")[:2] == ("dynamic", "real")
    assert summary("rds.force_ssl")[:6] == (
        "dynamic", "boolean", True, "engine-default", "0,1", "0")
    assert summary("rds.logical_replication")[:2] == ("static", "boolean")
    assert summary("wal_level")[2:4] == (False, "system")
    assert summary("block_size")[:4] == ("static", "integer", False, "system")
    assert defaults["shared_buffers"]["Description"].startswith("(8kB) ")
    assert defaults["work_mem"]["Description"].startswith("(kB) ")
    assert defaults["shared_preload_libraries"]["DataType"] == "list"
    assert {"pg_stat_statements", "pg_cron", "auto_explain", "pgaudit"} <= set(
        defaults["shared_preload_libraries"]["AllowedValues"].split(","))
    assert all(parameter["MinimumEngineVersion"] == "15.2" for parameter in defaults.values())


@pytest.mark.parametrize("family, force_ssl, present, absent", [
    ("postgres14", "0", {"stats_temp_directory"}, {"recovery_prefetch", "archive_library"}),
    ("postgres15", "0", {"recovery_prefetch", "vacuum_defer_cleanup_age"},
     {"debug_io_direct", "stats_temp_directory"}),
    ("postgres16", "1", {"debug_io_direct", "reserved_connections"},
     {"vacuum_defer_cleanup_age", "io_combine_limit"}),
    ("postgres17", "1", {"io_combine_limit", "transaction_timeout", "debug_io_direct"},
     {"vacuum_defer_cleanup_age", "old_snapshot_threshold"}),
])
def test_families_differ_as_the_postgresql_majors_do(rds, family, force_ssl, present, absent):
    defaults = engine_defaults(rds, family)

    assert defaults["rds.force_ssl"]["ParameterValue"] == force_ssl
    assert present <= set(defaults)
    assert not absent & set(defaults)


def test_postgres15_covers_every_setting_of_the_installed_server(rds):
    """Compare with `postgres --describe-config`: names, apply type, data type, range.
    The binaries come with `make system-deps`: a machine without them fails here."""
    assert POSTGRES_BINARY.exists(), f"{POSTGRES_BINARY} is missing: run `make system-deps`"
    described = subprocess.run(
        [str(POSTGRES_BINARY), "--describe-config"], check=True, capture_output=True,
        text=True).stdout
    defaults = engine_defaults(rds, "postgres15")
    data_types = {"BOOLEAN": "boolean", "INTEGER": "integer", "REAL": "real",
                  "ENUM": "string", "STRING": "string"}
    rows = [line.split("\t") for line in described.splitlines()]
    assert len(rows) > 300

    for name, context, _group, vartype, _reset, minimum, maximum, *_rest in rows:
        parameter = defaults[name]
        assert parameter["ApplyType"] == ("static" if context == "postmaster" else "dynamic"), name
        if name != "shared_preload_libraries":
            assert parameter["DataType"] == data_types[vartype], name
        if vartype == "INTEGER":
            assert parameter["AllowedValues"] == f"{minimum}-{maximum}", name


# --- parameter groups ---------------------------------------------------------------


def test_describe_db_parameters_overlays_user_values_on_the_full_list(rds, make_group):
    group = make_group()
    rds.modify_db_parameter_group(DBParameterGroupName=group, Parameters=[
        change("work_mem", "65536", "immediate"),
        change("shared_buffers", "{DBInstanceClassMemory/4}", "pending-reboot"),
    ])

    user = group_parameters(rds, group, Source="user")
    everything = group_parameters(rds, group)
    engine_default = group_parameters(rds, group, Source="engine-default")
    system = group_parameters(rds, group, Source="system")

    assert {name: (parameter["ParameterValue"], parameter["ApplyMethod"],
                   parameter["ApplyType"]) for name, parameter in user.items()} == {
        "work_mem": ("65536", "immediate", "dynamic"),
        "shared_buffers": ("{DBInstanceClassMemory/4}", "pending-reboot", "static"),
    }
    assert set(everything) == set(engine_defaults(rds, "postgres15"))
    assert everything["work_mem"]["Source"] == "user"
    assert set(engine_default) | set(system) | set(user) == set(everything)
    assert not set(engine_default) & set(user)
    # "system": set by RDS, either not modifiable or with an RDS default such as a formula.
    assert not system["wal_level"]["IsModifiable"]
    assert system["max_connections"]["IsModifiable"]
    assert "random_page_cost" in engine_default


def test_describe_db_parameters_pages_like_aws(rds, make_group):
    group = make_group("postgres16")
    first = rds.describe_db_parameters(DBParameterGroupName=group, MaxRecords=20)
    second = rds.describe_db_parameters(DBParameterGroupName=group, MaxRecords=20,
                                        Marker=first["Marker"])

    assert len(first["Parameters"]) == len(second["Parameters"]) == 20
    assert not {p["ParameterName"] for p in first["Parameters"]} & {
        p["ParameterName"] for p in second["Parameters"]}
    assert len(group_parameters(rds, group)) == len(engine_defaults(rds, "postgres16"))


def test_describe_db_parameters_rejects_a_bad_source_and_a_missing_group(rds, make_group):
    group = make_group()
    with pytest.raises(ClientError) as raised:
        rds.describe_db_parameters(DBParameterGroupName=group, Source="nobody")
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValue"

    with pytest.raises(ClientError) as raised:
        rds.describe_db_parameters(DBParameterGroupName=unique("missing"))
    assert raised.value.response["Error"]["Code"] == "DBParameterGroupNotFound"


def test_reset_returns_parameters_to_the_family_defaults(rds, make_group):
    group = make_group()
    rds.modify_db_parameter_group(DBParameterGroupName=group, Parameters=[
        change("work_mem", "65536", "immediate"),
        change("log_statement", "ddl", "immediate"),
        change("max_connections", "200", "pending-reboot"),
    ])

    rds.reset_db_parameter_group(DBParameterGroupName=group, Parameters=[
        {"ParameterName": "work_mem", "ApplyMethod": "immediate"}])
    assert set(group_parameters(rds, group, Source="user")) == {"log_statement",
                                                                "max_connections"}
    assert group_parameters(rds, group)["work_mem"]["ParameterValue"] == "4096"

    rds.reset_db_parameter_group(DBParameterGroupName=group, ResetAllParameters=True)
    assert group_parameters(rds, group, Source="user") == {}
    assert group_parameters(rds, group)["max_connections"]["ParameterValue"] == \
        "LEAST({DBInstanceClassMemory/9531392},5000)"


def test_copying_a_group_keeps_all_its_values(rds, make_group):
    source = make_group()
    values = [change(name, "0", "immediate") for name in DYNAMIC_BOOLEANS]
    for batch in (values[:20], values[20:]):
        rds.modify_db_parameter_group(DBParameterGroupName=source, Parameters=batch)
    target = unique("params-copy")
    rds.copy_db_parameter_group(SourceDBParameterGroupIdentifier=source,
                                TargetDBParameterGroupIdentifier=target,
                                TargetDBParameterGroupDescription="copy")
    try:
        copied = group_parameters(rds, target, Source="user")
    finally:
        rds.delete_db_parameter_group(DBParameterGroupName=target)

    assert {name: parameter["ParameterValue"] for name, parameter in copied.items()} == {
        name: "0" for name in DYNAMIC_BOOLEANS}


def test_default_groups_exist_and_cannot_be_modified(rds):
    groups = rds.describe_db_parameter_groups(
        DBParameterGroupName="default.postgres17")["DBParameterGroups"]
    assert [(group["DBParameterGroupName"], group["DBParameterGroupFamily"])
            for group in groups] == [("default.postgres17", "postgres17")]
    assert group_parameters(rds, "default.postgres17", Source="user") == {}
    assert len(group_parameters(rds, "default.postgres17")) == len(
        engine_defaults(rds, "postgres17"))

    with pytest.raises(ClientError) as raised:
        rds.modify_db_parameter_group(DBParameterGroupName="default.postgres17",
                                      Parameters=[change("work_mem", "8192", "immediate")])
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValue"


@pytest.mark.parametrize("parameters, code, message", [
    ([change(name, "1", "immediate") for name in DYNAMIC_BOOLEANS[:21]],
     "InvalidParameterValue", None),
    ([change("shared_buffers", "65536", "immediate")], "InvalidParameterCombination",
     "cannot use immediate apply method for static parameter"),
    ([change("no_such_parameter", "1", "immediate")], "InvalidParameterValue",
     "Could not find parameter with name: no_such_parameter"),
    ([change("wal_level", "logical", "pending-reboot")], "InvalidParameterValue", None),
], ids=["21-parameters", "immediate-on-static", "unknown-name", "not-modifiable"])
def test_invalid_modifications_are_rejected_and_write_nothing(
        rds, make_group, local_aws, parameters, code, message):
    group = make_group()
    since = local_aws.recorder.mark()

    with pytest.raises(ClientError) as raised:
        rds.modify_db_parameter_group(DBParameterGroupName=group, Parameters=parameters)

    error = raised.value.response["Error"]
    assert error["Code"] == code
    if message:
        assert error["Message"] == message
    assert group_parameters(rds, group, Source="user") == {}
    assert [(call["action"], call["error"]) for call in local_aws.recorder.calls(since)
            if call["action"] == "ModifyDBParameterGroup"] == [("ModifyDBParameterGroup", code)]


# --- pending-reboot -----------------------------------------------------------------------


def test_static_change_leaves_attached_instances_pending_reboot_until_reboot(
        rds, make_group, make_instance):
    group = make_group()
    attached = make_instance(group)
    elsewhere = make_instance()
    assert apply_status(rds, attached) == {group: "in-sync"}

    rds.modify_db_parameter_group(DBParameterGroupName=group, Parameters=[
        change("max_connections", "200", "pending-reboot")])
    assert apply_status(rds, attached) == {group: "pending-reboot"}
    assert apply_status(rds, elsewhere) == {"default.postgres15": "in-sync"}

    rds.reboot_db_instance(DBInstanceIdentifier=attached)
    wait_available(rds, attached)
    assert apply_status(rds, attached) == {group: "in-sync"}


def test_dynamic_immediate_change_keeps_instances_in_sync(rds, make_group, make_instance):
    group = make_group()
    instance = make_instance(group)

    rds.modify_db_parameter_group(DBParameterGroupName=group, Parameters=[
        change("work_mem", "65536", "immediate"), change("log_statement", "mod", "immediate")])

    assert apply_status(rds, instance) == {group: "in-sync"}


def test_resetting_a_static_parameter_needs_a_reboot(rds, make_group, make_instance):
    group = make_group()
    rds.modify_db_parameter_group(DBParameterGroupName=group, Parameters=[
        change("shared_buffers", "{DBInstanceClassMemory/4}", "pending-reboot")])
    instance = make_instance(group)
    assert apply_status(rds, instance) == {group: "in-sync"}

    rds.reset_db_parameter_group(DBParameterGroupName=group, ResetAllParameters=True)

    assert apply_status(rds, instance) == {group: "pending-reboot"}


def test_attaching_another_group_needs_a_reboot(rds, make_group, make_instance):
    first, second = make_group(), make_group()
    instance = make_instance(first)

    rds.modify_db_instance(DBInstanceIdentifier=instance, DBParameterGroupName=second,
                           ApplyImmediately=True)
    wait_available(rds, instance)
    assert apply_status(rds, instance) == {second: "pending-reboot"}

    rds.reboot_db_instance(DBInstanceIdentifier=instance)
    wait_available(rds, instance)
    assert apply_status(rds, instance) == {second: "in-sync"}


# --- data plane ---------------------------------------------------------------------------


def test_dynamic_values_reach_the_instance_postgresql(rds, make_group, make_instance):
    group = make_group()
    rds.modify_db_parameter_group(DBParameterGroupName=group, Parameters=[
        change("work_mem", "65536", "immediate"),
        change("log_min_duration_statement", "1000", "pending-reboot")])
    instance = make_instance(group)
    assert wait_for_setting(rds, instance, "work_mem", "64MB") == "64MB"
    assert wait_for_setting(rds, instance, "log_min_duration_statement", "1s") == "1s"

    rds.modify_db_parameter_group(DBParameterGroupName=group, Parameters=[
        change("work_mem", "32768", "immediate"),
        change("log_min_duration_statement", "5000", "pending-reboot")])
    assert wait_for_setting(rds, instance, "work_mem", "32MB") == "32MB"
    assert wait_for_setting(rds, instance, "log_min_duration_statement", "1s",
                            timeout=0) == "1s"

    rds.reboot_db_instance(DBInstanceIdentifier=instance)
    wait_available(rds, instance)
    assert wait_for_setting(rds, instance, "log_min_duration_statement", "5s") == "5s"

    rds.reset_db_parameter_group(DBParameterGroupName=group, Parameters=[
        {"ParameterName": "work_mem", "ApplyMethod": "immediate"}])
    assert wait_for_setting(rds, instance, "work_mem", "4MB") == "4MB"


def test_read_replica_starts_in_sync_while_its_source_waits_for_a_reboot(
        rds, make_group, make_instance):
    group = make_group()
    source = make_instance(group)
    rds.modify_db_parameter_group(DBParameterGroupName=group, Parameters=[
        change("max_connections", "200", "pending-reboot")])
    replica = unique("paramsreplica")
    rds.create_db_instance_read_replica(DBInstanceIdentifier=replica,
                                        SourceDBInstanceIdentifier=source)
    try:
        wait_available(rds, replica)
        assert apply_status(rds, replica) == {group: "in-sync"}
        assert apply_status(rds, source) == {group: "pending-reboot"}
    finally:
        rds.delete_db_instance(DBInstanceIdentifier=replica, SkipFinalSnapshot=True)


def test_a_group_in_use_cannot_be_deleted(rds, make_group, make_instance):
    group = make_group()
    make_instance(group)

    with pytest.raises(ClientError) as raised:
        rds.delete_db_parameter_group(DBParameterGroupName=group)

    assert raised.value.response["Error"]["Code"] == "InvalidDBParameterGroupState"
    assert rds.describe_db_parameter_groups(
        DBParameterGroupName=group)["DBParameterGroups"][0]["DBParameterGroupName"] == group


def test_describing_a_missing_group_is_an_error_as_on_aws(rds):
    with pytest.raises(ClientError) as error:
        rds.describe_db_parameter_groups(DBParameterGroupName="no-such-group-anywhere")
    assert error.value.response["Error"]["Code"] == "DBParameterGroupNotFound"
