"""RDS event subscriptions: the actions moto 5.2.5 lacks, and AWS's defaults.

- ModifyEventSubscription: SnsTopicArn, SourceType, EventCategories, Enabled.
- AddSourceIdentifierToSubscription / RemoveSourceIdentifierFromSubscription.
- CreateEventSubscription without Enabled creates an enabled subscription, as on AWS
  (moto creates a disabled one).

- DescribeEventCategories: AWS's event categories per source type (EVENT_CATEGORIES, from
  the RDS User Guide's event tables); CreateEventSubscription and ModifyEventSubscription
  refuse a category the source type does not have (SubscriptionCategoryNotFound), as AWS does.

Unknown subscriptions answer SubscriptionNotFound, as moto's own actions do. Source
identifiers are not checked against existing resources (AWS checks them).
"""

import functools

from moto.core.responses import ActionResult
from moto.rds.exceptions import RDSClientError
from moto.rds.models import RDSBackend
from moto.rds.responses import RDSResponse


EVENT_CATEGORIES = {
    "db-instance": ["availability", "backup", "configuration change", "creation", "deletion", "failover",
                    "failure", "low storage", "maintenance", "notification", "read replica", "recovery",
                    "restoration", "security", "security patching"],
    "db-cluster": ["configuration change", "creation", "deletion", "failover", "failure", "global-failover",
                   "maintenance", "migration", "notification", "serverless"],
    "db-parameter-group": ["configuration change"],
    "db-security-group": ["configuration change", "failure"],
    "db-snapshot": ["creation", "deletion", "notification", "restoration"],
    "db-cluster-snapshot": ["backup", "creation", "deletion", "notification", "restoration"],
    "db-proxy": ["configuration change", "creation", "deletion"],
}


def describe_event_categories(self):
    source_type = self.params.get("SourceType")
    if source_type and source_type not in EVENT_CATEGORIES:
        raise RDSClientError("InvalidParameterValue", "Invalid source type: %s" % source_type)
    types = [source_type] if source_type else sorted(EVENT_CATEGORIES)
    return ActionResult({"EventCategoriesMapList": [
        {"SourceType": name, "EventCategories": EVENT_CATEGORIES[name]} for name in types]})


def _check_categories(source_type, categories):
    unknown = [category for category in categories or [] if category not in EVENT_CATEGORIES.get(source_type, [])]
    if unknown:
        raise RDSClientError("SubscriptionCategoryNotFound",
                             "Event categories %s not found for source type %s" % (", ".join(unknown), source_type))


def _subscription(response):
    name = response.params.get("SubscriptionName")
    return response.backend.describe_event_subscriptions(name)[0]


def modify_event_subscription(self):
    subscription = _subscription(self)
    if self.params.get("SnsTopicArn"):
        subscription.sns_topic_arn = self.params["SnsTopicArn"]
    source_type = self.params.get("SourceType") or subscription.source_type
    categories = (list(self.params.get("EventCategories") or []) if "EventCategories" in self.params
                  else subscription.event_categories)
    _check_categories(source_type, categories)
    subscription.source_type = source_type
    subscription.event_categories = categories
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
        source_type = kwargs.get("source_type") or kwargs.get("SourceType")
        if source_type:  # without one, the subscription is for every source type
            _check_categories(source_type, kwargs.get("event_categories") or kwargs.get("EventCategories"))
        if kwargs.get("enabled") is None and kwargs.get("Enabled") is None:
            kwargs = dict(kwargs, enabled=True)
        return original(self, kwargs)
    return create_event_subscription


def install():
    original = RDSBackend.create_event_subscription
    RDSBackend.create_event_subscription = functools.wraps(original)(_create(original))
    RDSResponse.modify_event_subscription = modify_event_subscription
    RDSResponse.describe_event_categories = describe_event_categories
    RDSResponse.add_source_identifier_to_subscription = add_source_identifier_to_subscription
    RDSResponse.remove_source_identifier_from_subscription = remove_source_identifier_from_subscription
