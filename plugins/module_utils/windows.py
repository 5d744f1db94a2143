# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The daily backup (RDS) or snapshot (ElastiCache) window and the weekly maintenance
window: their formats, lengths, and whether they overlap. RDS and ElastiCache refuse
overlapping windows; RDS wants each at least 30 minutes long, ElastiCache 60."""

import re

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")

_TIME = r"(?P<{0}h>[01]\d|2[0-3]):(?P<{0}m>[0-5]\d)"
_DAILY = re.compile(r"^%s-%s$" % (_TIME.format("start"), _TIME.format("end")))
_WEEKLY = re.compile(r"^(?P<startd>%s):%s-(?P<endd>%s):%s$" % (
    "|".join(DAYS), _TIME.format("start"), "|".join(DAYS), _TIME.format("end")), re.IGNORECASE)


def parse_daily_window(window, min_minutes):
    """(start, end) minutes of the day; end may be past midnight (end > MINUTES_PER_DAY).
    Raises ValueError naming the rule."""
    match = _DAILY.match(window or "")
    if not match:
        raise ValueError("must have the format hh24:mi-hh24:mi (UTC), for example 05:00-06:00")
    start = int(match["starth"]) * 60 + int(match["startm"])
    end = int(match["endh"]) * 60 + int(match["endm"])
    if end <= start:
        end += MINUTES_PER_DAY
    if end - start < min_minutes:
        raise ValueError("must be at least %d minutes long" % min_minutes)
    return start, end


def parse_weekly_window(window, min_minutes):
    """(start, end) minutes of the week from Sunday 00:00 UTC; end may be past the week's end.
    Raises ValueError naming the rule."""
    match = _WEEKLY.match(window or "")
    if not match:
        raise ValueError("must have the format ddd:hh24:mi-ddd:hh24:mi (UTC), for example sun:23:00-mon:01:30")
    start = DAYS.index(match["startd"].lower()) * MINUTES_PER_DAY + int(match["starth"]) * 60 + int(match["startm"])
    end = DAYS.index(match["endd"].lower()) * MINUTES_PER_DAY + int(match["endh"]) * 60 + int(match["endm"])
    if end <= start:
        end += MINUTES_PER_WEEK
    if end - start < min_minutes:
        raise ValueError("must be at least %d minutes long" % min_minutes)
    if end - start > MINUTES_PER_DAY:
        raise ValueError("must not be longer than 24 hours")
    return start, end


def windows_overlap(daily_window, weekly_window, min_minutes=0):
    """Whether the daily window shares a minute with the weekly one (touching is fine)."""
    daily_start, daily_end = parse_daily_window(daily_window, min_minutes)
    weekly_start, weekly_end = parse_weekly_window(weekly_window, min_minutes)
    # Compare on a two-week line so that windows running past Saturday midnight are covered.
    for day in range(14):
        start = day * MINUTES_PER_DAY + daily_start
        end = day * MINUTES_PER_DAY + daily_end
        for offset in (0, MINUTES_PER_WEEK):
            if start < weekly_end + offset and weekly_start + offset < end:
                return True
    return False


def window_problems(daily_option, daily_window, weekly_option, weekly_window, min_minutes):
    """"<option>: <rule>" for each malformed window, then their overlap when both are valid."""
    problems = []
    for option, window, parse in ((daily_option, daily_window, parse_daily_window),
                                  (weekly_option, weekly_window, parse_weekly_window)):
        if window is not None:
            try:
                parse(window, min_minutes)
            except ValueError as problem:
                problems.append("%s: %s" % (option, problem))
    if not problems and daily_window and weekly_window and windows_overlap(daily_window, weekly_window):
        problems.append("%s: %s overlaps %s %s" % (daily_option, daily_window, weekly_option, weekly_window))
    return problems
