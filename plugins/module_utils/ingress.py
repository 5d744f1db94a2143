# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Ingress of a database or cache security group: one port, from each application security
group and each CIDR, nothing else (amazon.aws.ec2_security_group `rules`)."""


def ingress_rules(port, security_group_ids, cidrs, label):
    """Rules admitting `port` over TCP; `label` names the service in each rule's description."""
    rules = [{"proto": "tcp", "ports": [int(port)], "group_id": group_id,
              "rule_desc": "%s from application security group" % label}
             for group_id in security_group_ids or []]
    rules += [{"proto": "tcp", "ports": [int(port)], "cidr_ip": cidr, "rule_desc": "%s from application network" % label}
              for cidr in cidrs or []]
    return rules
