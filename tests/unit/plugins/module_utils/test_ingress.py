"""Security group ingress of the rds and elasticache roles (plugins/module_utils/ingress.py)."""

from ansible_collections.dbfleet.aws.plugins.module_utils.ingress import ingress_rules


def test_one_port_from_each_group_and_network_nothing_else():
    assert ingress_rules("5432", ["sg-app"], ["10.0.0.0/16"], "PostgreSQL") == [
        {"proto": "tcp", "ports": [5432], "group_id": "sg-app", "rule_desc": "PostgreSQL from application security group"},
        {"proto": "tcp", "ports": [5432], "cidr_ip": "10.0.0.0/16", "rule_desc": "PostgreSQL from application network"}]
    assert ingress_rules(6379, [], None, "Redis") == []
