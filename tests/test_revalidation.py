"""revalidation: the one conditional-GET rule the web app and the demo publisher share."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gazette.revalidation import http_date, is_not_modified

CHANGED = datetime(2026, 2, 20, 9, 30, 15, 250_000, tzinfo=UTC)
TAG = '"abc"'


@pytest.mark.parametrize(
    "inm, ims, expected",
    [
        ('"abc"', None, True),
        ('W/"abc"', None, True),  # a weak tag matches for GET
        ('"x", "abc"', None, True),
        ("*", None, True),
        ('"other"', None, False),
        ('"other"', "Fri, 20 Feb 2026 09:30:15 GMT", False),  # If-None-Match wins over a current date
        (None, "Fri, 20 Feb 2026 09:30:15 GMT", True),  # to the second: the fraction is not in the header
        (None, "Fri, 20 Feb 2026 09:30:14 GMT", False),
        (None, "not a date", False),
        (None, None, False),
    ],
)
def test_the_client_copy_is_current_only_when_its_validators_say_so(
    inm: str | None, ims: str | None, expected: bool
) -> None:
    assert is_not_modified(inm, ims, TAG, CHANGED) is expected


def test_without_a_last_modified_only_the_tag_counts() -> None:
    assert is_not_modified(None, "Fri, 20 Feb 2026 09:30:15 GMT", TAG, None) is False
    assert http_date(CHANGED) == "Fri, 20 Feb 2026 09:30:15 GMT"
