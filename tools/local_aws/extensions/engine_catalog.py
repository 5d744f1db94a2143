"""What AWS offers each engine: DB instance classes and cache node types.

moto 5.2.5 lists orderable DB instance options for Aurora and Neptune only, accepts any
string as a DB instance class or cache node type, and lists no node-type-specific
ElastiCache parameters. This extension adds, from the tables below:

- DescribeOrderableDBInstanceOptions for ``postgres``: one option per DB instance class,
  engine version and storage type, filtered by Engine, EngineVersion, DBInstanceClass and
  Vpc, paginated.
- CreateDBInstance, CreateDBInstanceReadReplica and ModifyDBInstance refuse a ``postgres``
  class or version that is not orderable, with AWS's InvalidParameterCombination; without
  EngineVersion a postgres instance gets the newest version of the table (moto: 9.3.3).
- ``maxmemory`` with one value per node type the family runs on, which
  elasticache_parameters lists in DescribeEngineDefaultParameters'
  ``CacheNodeTypeSpecificParameters`` as AWS does (the only list of node types the
  ElastiCache API gives).
- CreateReplicationGroup and ModifyReplicationGroup refuse a node type that is not in it.

Sources, as published in December 2026: the RDS User Guide's "Supported DB engines for
DB instance classes" (PostgreSQL column) and "Supported PostgreSQL minor versions"; the
ElastiCache User Guide's "Redis OSS node-type specific parameters" (maxmemory in bytes).
"""


from moto.core.responses import PaginatedResult
from moto.elasticache.exceptions import InvalidParameterValueException
from moto.elasticache.models import ElastiCacheBackend
from moto.elasticache.responses import ElastiCacheResponse
from moto.rds.exceptions import RDSClientError
from moto.rds.models import DBInstance, RDSBackend
from moto.rds.responses import RDSResponse

from .patching import wrap

# --- RDS for PostgreSQL ---------------------------------------------------------------

POSTGRES_MINOR_VERSIONS = {14: range(1, 20), 15: range(2, 15), 16: range(1, 11), 17: range(1, 7)}
POSTGRES_VERSIONS = tuple(f"{major}.{minor}" for major, minors in POSTGRES_MINOR_VERSIONS.items()
                          for minor in minors)
# The version CreateDBInstance gives postgres without EngineVersion (AWS: the default minor of
# the newest major; moto: 9.3.3, which RDS no longer runs).
DEFAULT_POSTGRES_VERSION = POSTGRES_VERSIONS[-1]

_SIZES_8_24 = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge")
_SIZES_8_16 = _SIZES_8_24[:-1]
_SIZES_8_32 = _SIZES_8_24 + ("32xlarge",)
_SIZES_8_48 = _SIZES_8_24 + ("48xlarge",)
_BURSTABLE = ("micro", "small", "medium", "large", "xlarge", "2xlarge")
POSTGRES_CLASS_SIZES = {
    "t3": _BURSTABLE, "t4g": _BURSTABLE,
    "m5": _SIZES_8_24, "m5d": _SIZES_8_24, "m6g": _SIZES_8_16, "m6gd": _SIZES_8_16,
    "m6i": _SIZES_8_32, "m6id": _SIZES_8_32, "m6idn": _SIZES_8_32, "m6in": _SIZES_8_32,
    "m7g": _SIZES_8_16, "m7i": _SIZES_8_48, "m8g": _SIZES_8_48,
    "r5": _SIZES_8_24, "r5b": _SIZES_8_24, "r5d": _SIZES_8_24,
    "r6g": _SIZES_8_16, "r6gd": _SIZES_8_16,
    "r6i": _SIZES_8_32, "r6id": _SIZES_8_32, "r6idn": _SIZES_8_32, "r6in": _SIZES_8_32,
    "r7g": _SIZES_8_16, "r7i": _SIZES_8_48, "r8g": _SIZES_8_48,
    "x2g": _SIZES_8_16, "x2iedn": ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge",
                                   "24xlarge", "32xlarge"),
}
POSTGRES_CLASSES = tuple(f"db.{family}.{size}" for family, sizes in POSTGRES_CLASS_SIZES.items()
                         for size in sizes)
STORAGE_TYPES = ("gp2", "gp3", "io1", "io2")
ORDERABLE_ENGINES = ("postgres",)


def orderable(engine_version, instance_class):
    return engine_version in POSTGRES_VERSIONS and instance_class in POSTGRES_CLASSES


def _option(region, engine_version, instance_class, storage_type):
    return {
        "Engine": "postgres", "EngineVersion": engine_version, "DBInstanceClass": instance_class,
        "LicenseModel": "postgresql-license", "AvailabilityZoneGroup": region,
        "AvailabilityZones": [{"Name": region + zone} for zone in "abc"],
        "MultiAZCapable": True, "ReadReplicaCapable": True, "Vpc": True,
        "SupportsStorageEncryption": True, "StorageType": storage_type,
        "SupportsIops": storage_type != "gp2", "SupportsStorageThroughput": storage_type == "gp3",
        "SupportsEnhancedMonitoring": True, "SupportsIAMDatabaseAuthentication": True,
        "SupportsPerformanceInsights": True, "SupportsStorageAutoscaling": True,
        "MinStorageSize": 20, "MaxStorageSize": 65536, "SupportedEngineModes": ["provisioned"],
        "SupportedNetworkTypes": ["IPV4", "DUAL"],
    }


def _describe_orderable_db_instance_options(original):
    def describe_orderable_db_instance_options(self):
        engine = self.params.get("Engine")
        if engine not in ORDERABLE_ENGINES:
            return original(self)
        version = self.params.get("EngineVersion")
        instance_class = self.params.get("DBInstanceClass")
        vpc = self.params.get("Vpc")
        options = [] if vpc is False or str(vpc).lower() == "false" else [
            _option(self.region, engine_version, class_name, storage_type)
            for engine_version in POSTGRES_VERSIONS if version in (None, engine_version)
            for class_name in POSTGRES_CLASSES if instance_class in (None, class_name)
            for storage_type in STORAGE_TYPES]
        return PaginatedResult({"OrderableDBInstanceOptions": options})
    return describe_orderable_db_instance_options


def _refuse_unless_orderable(verb, instance_class, engine, engine_version):
    if engine in ORDERABLE_ENGINES and not orderable(engine_version, instance_class):
        raise RDSClientError(
            "InvalidParameterCombination",
            f"RDS does not support {verb} a DB instance with the following combination: "
            f"DBInstanceClass={instance_class}, Engine={engine}, EngineVersion={engine_version}, "
            "LicenseModel=postgresql-license. For supported combinations of instance class and "
            "database engine version, see the documentation.")


def _create_db_instance(original):
    def create_db_instance(self, db_kwargs):
        if db_kwargs.get("engine") in ORDERABLE_ENGINES and db_kwargs.get("engine_version"):
            _refuse_unless_orderable("creating", db_kwargs.get("db_instance_class"),
                                     db_kwargs["engine"], db_kwargs["engine_version"])
        return original(self, db_kwargs)
    return create_db_instance


def _create_db_instance_read_replica(original):
    def create_db_instance_read_replica(self, db_kwargs):
        source = self.find_db_from_id(db_kwargs["source_db_instance_identifier"])
        _refuse_unless_orderable("creating", db_kwargs.get("db_instance_class") or source.db_instance_class,
                                 source.engine, source.engine_version)
        return original(self, db_kwargs)
    return create_db_instance_read_replica


def _modify_db_instance(original):
    def modify_db_instance(self, db_instance_identifier, db_kwargs):
        instance = self.describe_db_instances(db_instance_identifier)[0]
        if db_kwargs.get("db_instance_class") or db_kwargs.get("engine_version"):
            _refuse_unless_orderable("modifying",
                                     db_kwargs.get("db_instance_class") or instance.db_instance_class,
                                     instance.engine,
                                     db_kwargs.get("engine_version") or instance.engine_version)
        return original(self, db_instance_identifier, db_kwargs)
    return modify_db_instance


# --- ElastiCache ------------------------------------------------------------------------

# maxmemory in bytes per node type; previous generations (t2, m4, r4) run Redis OSS only.
NODE_TYPE_MAXMEMORY = {
    "cache.t3.micro": 536870912, "cache.t3.small": 1471026299, "cache.t3.medium": 3317862236,
    "cache.t4g.micro": 536870912, "cache.t4g.small": 1471026299, "cache.t4g.medium": 3317862236,
    "cache.m5.large": 6854542746, "cache.m5.xlarge": 13891921715, "cache.m5.2xlarge": 27966669210,
    "cache.m5.4xlarge": 56116178125, "cache.m5.12xlarge": 168715971994,
    "cache.m5.24xlarge": 337500562842,
    "cache.r5.large": 14037181030, "cache.r5.xlarge": 28261849702, "cache.r5.2xlarge": 56711183565,
    "cache.r5.4xlarge": 113609865216, "cache.r5.12xlarge": 341206346547,
    "cache.r5.24xlarge": 682485973811,
    "cache.c7gn.large": 3317862236, "cache.c7gn.xlarge": 6854542746,
    "cache.c7gn.2xlarge": 13891921715, "cache.c7gn.4xlarge": 27966669210,
    "cache.c7gn.8xlarge": 56116178125, "cache.c7gn.12xlarge": 84357985997,
    "cache.c7gn.16xlarge": 113609865216,
}
for _family in ("m6g", "m7g"):
    NODE_TYPE_MAXMEMORY.update({
        f"cache.{_family}.large": 6854542746, f"cache.{_family}.xlarge": 13891921715,
        f"cache.{_family}.2xlarge": 27966669210, f"cache.{_family}.4xlarge": 56116178125,
        f"cache.{_family}.8xlarge": 111325552312, f"cache.{_family}.12xlarge": 168715971994,
        f"cache.{_family}.16xlarge": 225000375228})
for _family in ("r6g", "r7g"):
    NODE_TYPE_MAXMEMORY.update({
        f"cache.{_family}.large": 14037181030, f"cache.{_family}.xlarge": 28261849702,
        f"cache.{_family}.2xlarge": 56711183565, f"cache.{_family}.4xlarge": 113609865216,
        f"cache.{_family}.8xlarge": 225000375228, f"cache.{_family}.12xlarge": 341206346547,
        f"cache.{_family}.16xlarge": 450000750456})
NODE_TYPE_MAXMEMORY.update({
    "cache.r6gd.xlarge": 28261849702, "cache.r6gd.2xlarge": 56711183565,
    "cache.r6gd.4xlarge": 113609865216, "cache.r6gd.8xlarge": 225000375228,
    "cache.r6gd.12xlarge": 341206346547, "cache.r6gd.16xlarge": 450000750456})
PREVIOUS_GENERATION_MAXMEMORY = {
    "cache.t2.micro": 581959680, "cache.t2.small": 1665138688, "cache.t2.medium": 3461349376,
    "cache.m4.large": 6892593152, "cache.m4.xlarge": 15328501760, "cache.m4.2xlarge": 31889126359,
    "cache.m4.4xlarge": 65257290629, "cache.m4.10xlarge": 166047614239,
    "cache.r4.large": 13201781556, "cache.r4.xlarge": 26898228162, "cache.r4.2xlarge": 54197537997,
    "cache.r4.4xlarge": 108858546586, "cache.r4.8xlarge": 218255432090,
    "cache.r4.16xlarge": 437021573120,
}


def node_types(family):
    """{node type: maxmemory} of a parameter group family."""
    if family and family.startswith("redis"):
        return {**PREVIOUS_GENERATION_MAXMEMORY, **NODE_TYPE_MAXMEMORY}
    return dict(NODE_TYPE_MAXMEMORY)


def node_type_specific_parameters(family):
    """DescribeEngineDefaultParameters' CacheNodeTypeSpecificParameters of a family."""
    return [{
        "ParameterName": "maxmemory",
        "Description": "The maximum configurable amount of memory to use to store items, in bytes.",
        "Source": "system", "DataType": "integer", "AllowedValues": "0-",
        "IsModifiable": False, "MinimumEngineVersion": "6.0.5", "ChangeType": "immediate",
        "CacheNodeTypeSpecificValues": [{"CacheNodeType": node_type, "Value": str(memory)}
                                        for node_type, memory in sorted(node_types(family).items())],
    }]


def _refuse_unknown_node_type(node_type):
    if node_type and node_type not in node_types("redis"):
        raise InvalidParameterValueException(f"Invalid Cache Node Type: {node_type}")


def _create_replication_group(original):
    def create_replication_group(self, **kwargs):
        _refuse_unknown_node_type(kwargs.get("cache_node_type"))
        return original(self, **kwargs)
    return create_replication_group


def _modify_replication_group(original):
    def modify_replication_group(self):
        _refuse_unknown_node_type(self._get_param("CacheNodeType"))
        return original(self)
    return modify_replication_group


def install():
    DBInstance.default_engine_versions = {**DBInstance.default_engine_versions, "postgres": DEFAULT_POSTGRES_VERSION}
    wrap(RDSResponse, "describe_orderable_db_instance_options", _describe_orderable_db_instance_options)
    wrap(RDSBackend, "create_db_instance", _create_db_instance)
    wrap(RDSBackend, "create_db_instance_read_replica", _create_db_instance_read_replica)
    wrap(RDSBackend, "modify_db_instance", _modify_db_instance)
    wrap(ElastiCacheBackend, "create_replication_group", _create_replication_group)
    wrap(ElastiCacheResponse, "modify_replication_group", _modify_replication_group)
