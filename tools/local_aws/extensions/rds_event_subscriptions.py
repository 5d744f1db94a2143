"""RDS event subscriptions: the actions moto 5.2.5 lacks, and AWS's defaults.

- ModifyEventSubscription: SnsTopicArn, SourceType, EventCategories, Enabled.
- AddSourceIdentifierToSubscription / RemoveSourceIdentifierFromSubscription.
- CreateEventSubscription without Enabled creates an enabled subscription, as on AWS
  (moto creates a disabled one).

Unknown subscriptions answer SubscriptionNotFound, as moto's own actions do. Source
identifiers are not checked against existing resources (AWS checks them).
"""

import functools

from moto.core.responses import ActionResult
from moto.rds.exceptions import RDSClientError
from moto.rds.models import RDSBackend
from moto.rds.responses import RDSResponse


def _subscription(response):
    name = response.params.get("SubscriptionName")
    return response.backend.describe_event_subscriptions(name)[0]


def modify_event_subscription(self):
    subscription = _subscription(self)
    if self.params.get("SnsTopicArn"):
        subscription.sns_topic_arn = self.params["SnsTopicArn"]
    if self.params.get("SourceType"):
        subscription.source_type = self.params["SourceType"]
    if "EventCategories" in self.params:
        subscription.event_categories = list(self.params.get("EventCategories") or [])
    if self.params.get("Enabled") is not None:
        subscription.enabled = self.params["Enabled"] in (True, "true", "True")
    return ActionResult({"EventSubscription": subscription})


def add_source_identifier_to_subscription(self):
    subscription = _subscription(self)
    source_id = self.params.get("SourceIdentifier")
    if not source_id:
        raise RDSClientError("InvalidParameterValue", "SourceIdentifier is required.")
    if source_id not in subscription.source_ids:
        subscription.source_ids = list(subscription.source_ids) + [source_id]
    return ActionResult({"EventSubscription": subscription})


def remove_source_identifier_from_subscription(self):
    subscription = _subscription(self)
    source_id = self.params.get("SourceIdentifier")
    if source_id not in subscription.source_ids:
        raise RDSClientError("SourceNotFound", "Source %s not found in subscription." % source_id)
    subscription.source_ids = [value for value in subscription.source_ids if value != source_id]
    return ActionResult({"EventSubscription": subscription})


def _create(original):
    def create_event_subscription(self, kwargs):
        if kwargs.get("enabled") is None and kwargs.get("Enabled") is None:
            kwargs = dict(kwargs, enabled=True)
        return original(self, kwargs)
    return create_event_subscription


def install():
    original = RDSBackend.create_event_subscription
    RDSBackend.create_event_subscription = functools.wraps(original)(_create(original))
    RDSResponse.modify_event_subscription = modify_event_subscription
    RDSResponse.add_source_identifier_to_subscription = add_source_identifier_to_subscription
    RDSResponse.remove_source_identifier_from_subscription = remove_source_identifier_from_subscription
