"""Extensions of moto 5.2.5, installed in-process before the endpoint serves requests.

Each module in EXTENSION_MODULES has an ``install()`` that patches moto. Rules:

* Wrap, never replace: keep a reference to the original method and call it from the
  wrapper (``functools.wraps``), so several extensions can hook the same method, e.g.
  ``RDSBackend.reboot_db_instance`` is hooked by ``rds_instances`` (restart, failover)
  and by ``rds_parameters`` (pending-reboot -> in-sync). New attributes and properties
  may be added where moto has none.
* Answer in the AWS API's exact shape: moto serializes results from the botocore model,
  so new actions are methods on moto's Response class returning dicts shaped like the
  AWS output, and new model fields are attributes named as botocore's xform_name of the
  member (``SecondaryAvailabilityZone`` -> ``secondary_availability_zone``).
* ``install()`` runs once per process; install() below guards against a second call.
"""

import importlib

# Installed in this order.
EXTENSION_MODULES = [
    "account_network",
    "rds_instances",
    "rds_backups",
    "rds_parameters",
    "rds_event_subscriptions",
    "elasticache_replication_groups",
    "elasticache_parameters",
    "rds_snapshots",
    "elasticache_snapshots",
    "engine_catalog",
    "secretsmanager_deleted",
    "cloudwatch_alarms",
]

_installed = []


def install():
    if _installed:
        return _installed
    for name in EXTENSION_MODULES:
        importlib.import_module(f"{__name__}.{name}").install()
        _installed.append(name)
    return _installed
