#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: sns_topic_encryption
version_added: 0.1.0
short_description: Set the server-side encryption key of an SNS topic
description:
  - Sets or removes the KMS key (C(KmsMasterKeyId) attribute) of an existing Amazon SNS topic, which
    C(community.aws.sns_topic) does not manage. Create the topic with C(community.aws.sns_topic) first.
  - Changes the attribute only when it differs. In check mode a topic that does not exist yet is
    reported as changed when a key is given.
author:
  - dbfleet maintainers (@dbfleet)
options:
  topic_arn:
    description:
      - ARN of the topic.
    required: true
    type: str
  kms_key_id:
    description:
      - KMS key id, ARN, alias (V(alias/...)) or alias ARN; an empty string turns encryption off.
    required: true
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Encrypt the alarm topic with the AWS managed SNS key
  dbfleet.aws.sns_topic_encryption:
    topic_arn: arn:aws:sns:us-east-1:123456789012:app-prod-alarms
    kms_key_id: alias/aws/sns
"""

RETURN = r"""
kms_key_id:
  description: The key of the topic after the change (in check mode, the requested one); empty when unencrypted.
  returned: always
  type: str
  sample: alias/aws/sns
"""

import re

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.dbfleet.aws.plugins.module_utils.problems import fail_with_problems

TOPIC = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]{1,256}$")


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(topic_arn=dict(type="str", required=True), kms_key_id=dict(type="str", required=True, no_log=False)),
        supports_check_mode=True,
    )
    arn, wanted = module.params["topic_arn"], module.params["kms_key_id"]
    if not TOPIC.match(arn):
        fail_with_problems(module, ["topic_arn: not an SNS topic ARN (%s)" % arn])
    client = module.client("sns", retry_decorator=AWSRetry.jittered_backoff())
    try:
        try:
            current = client.get_topic_attributes(aws_retry=True, TopicArn=arn)["Attributes"].get("KmsMasterKeyId", "")
        except is_boto3_error_code("NotFound"):
            if module.check_mode:
                module.exit_json(changed=bool(wanted), kms_key_id=wanted)
            module.fail_json(msg="SNS topic %s does not exist; create it first" % arn)
        if current == wanted:
            module.exit_json(changed=False, kms_key_id=current)
        if not module.check_mode:
            client.set_topic_attributes(aws_retry=True, TopicArn=arn, AttributeName="KmsMasterKeyId", AttributeValue=wanted)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="SNS call failed for topic %s" % arn)
    module.exit_json(changed=True, kms_key_id=wanted, diff={"before": {"kms_key_id": current}, "after": {"kms_key_id": wanted}})


if __name__ == "__main__":
    main()
