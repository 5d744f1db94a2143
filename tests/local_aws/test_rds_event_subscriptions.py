"""RDS event subscriptions on the local endpoint: the actions the extension adds to moto
(ModifyEventSubscription, Add/RemoveSourceIdentifier...) and AWS's Enabled default,
through boto3 (which must parse every answer)."""

import uuid

import pytest
from botocore.exceptions import ClientError

TOPIC = "arn:aws:sns:us-east-1:123456789012:events-test"


@pytest.fixture
def rds(local_aws):
    return local_aws.client("rds")


@pytest.fixture
def subscription(rds):
    name = "events-test-%s" % uuid.uuid4().hex[:8]
    rds.create_event_subscription(SubscriptionName=name, SnsTopicArn=TOPIC, SourceType="db-instance",
                                  SourceIds=["db-a"], EventCategories=["failover"])
    yield name
    rds.delete_event_subscription(SubscriptionName=name)


def described(rds, name):
    return rds.describe_event_subscriptions(SubscriptionName=name)["EventSubscriptionsList"][0]


def test_created_enabled_by_default(rds, subscription):
    assert described(rds, subscription)["Enabled"] is True


def test_modify(rds, subscription):
    answer = rds.modify_event_subscription(SubscriptionName=subscription, EventCategories=["failover", "deletion"],
                                           Enabled=False, SnsTopicArn=TOPIC + "-2")["EventSubscription"]
    assert answer["CustSubscriptionId"] == subscription
    stored = described(rds, subscription)
    assert sorted(stored["EventCategoriesList"]) == ["deletion", "failover"]
    assert stored["Enabled"] is False and stored["SnsTopicArn"] == TOPIC + "-2"
    assert stored["SourceIdsList"] == ["db-a"]


def test_add_and_remove_source_identifiers(rds, subscription):
    rds.add_source_identifier_to_subscription(SubscriptionName=subscription, SourceIdentifier="db-b")
    rds.add_source_identifier_to_subscription(SubscriptionName=subscription, SourceIdentifier="db-b")
    assert described(rds, subscription)["SourceIdsList"] == ["db-a", "db-b"]
    answer = rds.remove_source_identifier_from_subscription(SubscriptionName=subscription, SourceIdentifier="db-a")
    assert answer["EventSubscription"]["SourceIdsList"] == ["db-b"]
    with pytest.raises(ClientError) as error:
        rds.remove_source_identifier_from_subscription(SubscriptionName=subscription, SourceIdentifier="db-a")
    assert error.value.response["Error"]["Code"] == "SourceNotFound"


def test_unknown_subscription(rds):
    with pytest.raises(ClientError) as error:
        rds.modify_event_subscription(SubscriptionName="no-such-subscription", Enabled=True)
    assert error.value.response["Error"]["Code"] == "SubscriptionNotFound"


def test_event_categories_per_source_type(rds):
    answer = rds.describe_event_categories(SourceType="db-snapshot")["EventCategoriesMapList"]
    assert answer == [{"SourceType": "db-snapshot",
                       "EventCategories": ["creation", "deletion", "notification", "restoration"]}]
    every = dict((entry["SourceType"], entry["EventCategories"])
                 for entry in rds.describe_event_categories()["EventCategoriesMapList"])
    assert {"failover", "low storage", "read replica"} <= set(every["db-instance"])


def test_a_category_the_source_type_lacks_is_refused(rds, subscription):
    with pytest.raises(ClientError) as refused:
        rds.create_event_subscription(SubscriptionName=subscription + "-x", SnsTopicArn=TOPIC,
                                      SourceType="db-snapshot", EventCategories=["failover"])
    assert refused.value.response["Error"]["Code"] == "SubscriptionCategoryNotFound"
    with pytest.raises(ClientError) as refused:
        rds.modify_event_subscription(SubscriptionName=subscription, EventCategories=["teatime"])
    assert refused.value.response["Error"]["Code"] == "SubscriptionCategoryNotFound"
    assert described(rds, subscription)["EventCategoriesList"] == ["failover"]
