"""Prints, as JSON, each host's planned variables of plugins/module_utils/cost.py in the
inventories given, as a play of playbooks/cost.yml sees them: the rds, elasticache and dr
roles' defaults and the playbooks' group_vars under the inventory's variables, templated.

    python tests/unit/examples/planned_settings.py examples/aldeia/staging ...

A script of its own: Ansible's collection loader must own the ansible_collections package,
which the unit tests import from .build/collections directly."""

import json
import sys
from pathlib import Path

from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader
from ansible.template import Templar
from ansible.vars.manager import VariableManager

REPO = Path(__file__).resolve().parents[3]
init_plugin_loader([str(REPO / ".build" / "collections")])

from ansible_collections.dbfleet.aws.plugins.module_utils import cost  # noqa: E402  (after the loader)


def planned(inventory):
    loader = DataLoader()
    hosts = InventoryManager(loader=loader, sources=[inventory])
    variables = VariableManager(loader=loader, inventory=hosts)
    found = {}
    for host in hosts.get_hosts():
        available = {}
        for role in ("rds", "elasticache", "dr"):
            available.update(loader.load_from_file(str(REPO / "roles" / role / "defaults" / "main.yml"),
                                                   trusted_as_template=True) or {})
        for part in sorted((REPO / "playbooks" / "group_vars" / "all").glob("*.yml")):
            available.update(loader.load_from_file(str(part), trusted_as_template=True) or {})
        available.update(variables.get_vars(host=host))
        templar = Templar(loader=loader, variables=available)
        found[host.name] = dict((name, templar.template(available[name]))
                                for name in cost.PLANNED_VARIABLES if name in available)
    return found


if __name__ == "__main__":
    print(json.dumps(dict((inventory, planned(inventory)) for inventory in sys.argv[1:])))
