"""The plain functions that turn typed or exported values into stored ones (network.normalize)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from network.normalize import (
    collapse_spaces,
    escape_formula,
    format_phone,
    normalize_email,
    normalize_phone,
    parse_date,
    unescape_formula,
)

# Phones -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "070-190 64 48",
        "0701906448",
        "070 190 64 48",
        "070-1906448",
        "(070) 190 64 48",
        "070.190.64.48",
        "070/190 64 48",
        "+46 70 190 64 48",
        "+46701906448",
        "+46 (0)70-190 64 48",
        "0046 70 190 64 48",
        "0046701906448",
        "46701906448",
        "  070-190 64 48  ",
        "070\u00a0190\u00a064\u00a048",
    ],
)
def test_a_swedish_mobile_number_in_any_common_form_is_stored_as_e164(typed):
    assert normalize_phone(typed) == "+46701906448"


def test_a_kramfors_landline_number_is_stored_as_e164():
    assert normalize_phone("0612-12 34 56") == "+46612123456"


@pytest.mark.parametrize("typed", ["+47 412 34 567", "0047 412 34 567", "+4741234567"])
def test_a_foreign_number_keeps_its_country_code(typed):
    assert normalize_phone(typed) == "+4741234567"


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_an_empty_phone_is_stored_as_an_empty_string(empty):
    assert normalize_phone(empty) == ""


@pytest.mark.parametrize(
    "typed", ["abc", "123", "0", "+46", "070-19", "0701906448000000", "070 190 64 48 ankn 12", "ring mig"]
)
def test_something_that_cannot_be_a_phone_number_is_refused_naming_the_value(typed):
    with pytest.raises(ValueError) as raised:
        normalize_phone(typed)
    assert typed.strip() in str(raised.value)


def test_a_refused_phone_number_is_explained_in_english_when_english_is_active():
    with translation.override("en"), pytest.raises(ValueError, match="is not a phone number"):
        normalize_phone("abc")


def test_a_swedish_number_is_formatted_the_way_swedes_write_it():
    assert format_phone("+46701906448") == "070-190 64 48"


def test_a_foreign_number_is_formatted_internationally():
    assert format_phone("+4741234567").startswith("+47 ")


def test_formatting_an_empty_phone_gives_an_empty_string():
    assert format_phone("") == ""


@pytest.mark.parametrize("e164", ["+46701906448", "+4741234567", "+46612123456", "+4915112345678"])
def test_a_formatted_number_normalises_back_to_the_same_number(e164):
    assert normalize_phone(format_phone(e164)) == e164


# Email --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["anna@example.se", "  Anna@Example.SE  ", "ANNA@EXAMPLE.SE", "\tanna@example.se\n"])
def test_an_email_address_is_trimmed_and_lowercased(typed):
    assert normalize_email(typed) == "anna@example.se"


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_an_empty_email_address_is_stored_as_an_empty_string(empty):
    assert normalize_email(empty) == ""


@pytest.mark.parametrize(
    "typed", ["anna", "anna@", "@example.se", "anna@@example.se", "anna example.se", "anna@exa mple.se"]
)
def test_a_malformed_email_address_is_refused_naming_the_value(typed):
    with pytest.raises(ValueError) as raised:
        normalize_email(typed)
    assert typed.strip().lower() in str(raised.value)


# Dates --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2023-05-17", dt.date(2023, 5, 17)),
        ("2023-5-7", dt.date(2023, 5, 7)),
        (" 2023-05-17 ", dt.date(2023, 5, 17)),
        ("2023-05-17 00:00:00", dt.date(2023, 5, 17)),
        ("17/5/2023", dt.date(2023, 5, 17)),
        ("1/2/2023", dt.date(2023, 2, 1)),
        ("01/02/2023", dt.date(2023, 2, 1)),
        ("31/12/2023", dt.date(2023, 12, 31)),
        ("1.2.2023", dt.date(2023, 2, 1)),
        ("2019", dt.date(2019, 1, 1)),
        ("2019.0", dt.date(2019, 1, 1)),
        (2019, dt.date(2019, 1, 1)),
        (2019.0, dt.date(2019, 1, 1)),
    ],
)
def test_a_date_is_read_as_iso_day_month_year_or_a_bare_year(typed, expected):
    assert parse_date(typed) == expected


def test_an_excel_date_cell_is_taken_as_it_is():
    assert parse_date(dt.datetime(2021, 3, 4, 0, 0)) == dt.date(2021, 3, 4)
    assert parse_date(dt.date(2021, 3, 4)) == dt.date(2021, 3, 4)


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_an_empty_date_is_no_date(empty):
    assert parse_date(empty) is None


@pytest.mark.parametrize("impossible", ["2023-02-30", "2023-13-01", "31/2/2023", "12/31/2023", "0000"])
def test_an_impossible_date_is_refused_naming_the_value(impossible):
    with pytest.raises(ValueError) as raised:
        parse_date(impossible)
    assert impossible in str(raised.value)


@pytest.mark.parametrize("garbage", ["igår", "20230101", "2023/01/05", "maj 2020", "23-05-17"])
def test_something_that_is_not_a_date_is_refused(garbage):
    with pytest.raises(ValueError) as raised:
        parse_date(garbage)
    assert garbage in str(raised.value)


# Spreadsheet formulas -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dangerous", ["=1+1", "+46701906448", "-2", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x")']
)
def test_a_cell_that_a_spreadsheet_would_run_gets_a_leading_apostrophe(dangerous):
    assert escape_formula(dangerous) == "'" + dangerous


@pytest.mark.parametrize("harmless", ["Anna", "070-190 64 48", "", "a=b", " =x", "2023-05-17"])
def test_a_harmless_cell_is_exported_unchanged(harmless):
    assert escape_formula(harmless) == harmless


@pytest.mark.parametrize("not_text", [None, 5, -3, 1.5, dt.date(2020, 1, 1)])
def test_values_that_are_not_text_are_never_escaped(not_text):
    assert escape_formula(not_text) == not_text


@pytest.mark.parametrize("dangerous", ["=1+1", "+47 412 34 567", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_an_escaped_cell_reads_back_as_the_original(dangerous):
    assert unescape_formula(escape_formula(dangerous)) == dangerous


@pytest.mark.parametrize("plain", ["'", "'Anna", "Anna", "", "it's", "'070-190 64 48"])
def test_an_apostrophe_that_does_not_guard_a_formula_is_kept(plain):
    assert unescape_formula(plain) == plain


@pytest.mark.parametrize("text", ["'=already quoted", "''=1", "'+1"])
def test_escaping_then_unescaping_never_changes_a_value_that_already_starts_with_an_apostrophe(text):
    assert unescape_formula(escape_formula(text)) == text


def test_runs_of_whitespace_collapse_to_one_space():
    assert collapse_spaces("  Anna \t  Maria\n Ödmark ") == "Anna Maria Ödmark"
