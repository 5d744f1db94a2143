"""Marker/MaxRecords pagination the way the RDS and ElastiCache query APIs do it."""

import base64

MAX_RECORDS_DEFAULT, MAX_RECORDS_MIN, MAX_RECORDS_MAX = 100, 20, 100


def page(items, marker, max_records, invalid_value_error):
    """One page of `items` and the marker of the next page (None on the last page).

    invalid_value_error: the service's InvalidParameterValue exception class,
    raised for a MaxRecords outside AWS's bounds or a marker it did not issue.
    """
    size = MAX_RECORDS_DEFAULT if max_records is None else int(max_records)
    if not MAX_RECORDS_MIN <= size <= MAX_RECORDS_MAX:
        raise invalid_value_error(
            f"Invalid value {size} for MaxRecords. Must be between "
            f"{MAX_RECORDS_MIN} and {MAX_RECORDS_MAX}")
    start = 0
    if marker:
        try:
            start = int(base64.urlsafe_b64decode(marker.encode()).decode())
        except ValueError:
            raise invalid_value_error(f"Invalid marker: {marker}") from None
    end = start + size
    next_marker = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], next_marker
