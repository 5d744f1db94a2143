"""module_utils/rds_events.py: the event-category rule of rds_event_subscription."""

from ansible_collections.dbfleet.aws.plugins.module_utils.rds_events import event_category_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.rds_events import offered_event_categories

from ..stubbed_aws import stubbed_client

SNAPSHOT_CATEGORIES = ["creation", "deletion", "notification", "restoration"]


def test_offered_categories_are_read_once_for_the_source_type():
    for stubber, client in stubbed_client("rds"):
        stubber.add_response("describe_event_categories", {"EventCategoriesMapList": [
            {"SourceType": "db-snapshot", "EventCategories": ["restoration", "creation", "deletion", "notification"]}]},
            {"SourceType": "db-snapshot"})
        assert offered_event_categories(client, "db-snapshot") == SNAPSHOT_CATEGORIES


def test_every_unknown_category_in_one_problem():
    assert event_category_problems(["creation"], SNAPSHOT_CATEGORIES, "db-snapshot") == []
    assert event_category_problems([], SNAPSHOT_CATEGORIES, "db-snapshot") == []
    assert event_category_problems(["failover", "creation", "backup"], SNAPSHOT_CATEGORIES, "db-snapshot") == [
        "event_categories: backup, failover are not event categories of db-snapshot "
        "(one of: creation, deletion, notification, restoration)"]
    assert event_category_problems(["teatime"], SNAPSHOT_CATEGORIES, "db-snapshot", option="categories") == [
        "categories: teatime is not an event category of db-snapshot (one of: creation, deletion, notification, "
        "restoration)"]
