# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""RDS event categories: what RDS offers a source type (DescribeEventCategories), and the
rule dbfleet.aws.rds_event_subscription applies before a create or change."""


def offered_event_categories(client, source_type):
    """Sorted event categories of a source type (DescribeEventCategories, one call)."""
    answer = client.describe_event_categories(aws_retry=True, SourceType=source_type)
    return sorted(set(category for entry in answer.get("EventCategoriesMapList", [])
                      if entry.get("SourceType") == source_type for category in entry.get("EventCategories", [])))


def event_category_problems(wanted, offered, source_type, option="event_categories"):
    """One problem naming every wanted category RDS does not offer for the source type."""
    unknown = sorted(set(wanted or []) - set(offered))
    if not unknown:
        return []
    what = "is not an event category" if len(unknown) == 1 else "are not event categories"
    return ["%s: %s %s of %s (one of: %s)" % (option, ", ".join(unknown), what, source_type, ", ".join(offered))]
