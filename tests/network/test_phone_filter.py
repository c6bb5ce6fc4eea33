"""`{{ number|phone }}` (network/templatetags/phones.py): a phone number as Swedes write it wherever a template shows
one, whatever form it is stored in; anything that is not a number as it is."""

from __future__ import annotations

import pytest
from django.template import Context, Template


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+46703653498", "070-365 34 98"),
        ("0703653498", "070-365 34 98"),
        ("+4661280000", "0612-800 00"),
        ("+4799887766", "+47 99 88 77 66"),
        ("", ""),
        (None, ""),
        ("ring efter fem", "ring efter fem"),
        ("<b>", "&lt;b&gt;"),
    ],
)
def test_the_phone_filter_shows_numbers_as_swedes_write_them(stored, shown):
    rendered = Template("{% load phones %}{{ number|phone }}").render(Context({"number": stored}))
    assert rendered == shown
