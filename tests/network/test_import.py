"""Importing the member list through the resource (the command is in test_import_command.py)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.core import mail

from network.models import Ambassador, Interest, Locality
from network.resources import AmbassadorResource
from tests.factories import AmbassadorFactory, InterestFactory, LocalityFactory

pytestmark = pytest.mark.django_db

HEADER = ["Förnamn", "Efternamn", "E-post", "Mobil", "Ort", "Intressen", "Ambassadör sedan", "Kommentar"]


def csv_bytes(rows, *, sep=";", encoding="utf-8", bom=False, header=HEADER) -> bytes:
    def quote(cell) -> str:
        text = str(cell)
        if any(ch in text for ch in (sep, '"', "\n", "\r")):
            return '"' + text.replace('"', '""') + '"'
        return text

    text = "\r\n".join(sep.join(quote(c) for c in row) for row in [header, *rows]) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def xlsx_bytes(rows, header=HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    for row in [header, *rows]:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def do_import(data: bytes, **options):
    return AmbassadorResource().import_file(data, **options)


def counts() -> tuple[int, int, int, int]:
    models = (Ambassador, Locality, Interest, Ambassador.interests.through)
    return tuple(model.objects.count() for model in models)


@pytest.fixture(autouse=True)
def known_names():
    """The localities and interests the files below treat as known (seeded by a migration, but a flush drops them)."""
    for name in ("Kramfors", "Nyland", "Dal", "Ullånger"):
        LocalityFactory(name=name)
    for name in ("Kultur", "Turism", "Föreningsliv"):
        InterestFactory(name=name)


ANNA = ["Anna", "Ödmark", "anna@example.se", "070-190 64 48", "Kramfors", "Kultur, Turism", "2020-03-01", ""]
BO = ["Bo", "Åström", "bo@example.se", "", "Nyland", "", "2019", ""]


# Formats and encodings ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("sep", [";", ","])
def test_a_csv_file_is_read_with_either_separator(sep):
    report = do_import(csv_bytes([ANNA, BO], sep=sep))
    assert report.counts == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    anna = Ambassador.objects.get(email="anna@example.se")
    assert (anna.first_name, anna.last_name, anna.phone) == ("Anna", "Ödmark", "+46701906448")
    assert anna.locality.name == "Kramfors"
    assert sorted(anna.interests.values_list("name", flat=True)) == ["Kultur", "Turism"]
    assert anna.member_since == dt.date(2020, 3, 1)
    assert Ambassador.objects.get(email="bo@example.se").member_since == dt.date(2019, 1, 1)


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", False), ("utf-8", True), ("cp1252", False)], ids=["utf8", "utf8-bom", "cp1252"]
)
def test_swedish_letters_survive_every_encoding_excel_writes(encoding, bom):
    row = ["Åsa", "Ärlig-Öst", "asa@example.se", "0701906448", "Ullånger", "Föreningsliv", "", "Bor på Högbo"]
    data = csv_bytes([row], encoding=encoding, bom=bom)
    if encoding == "cp1252":
        assert "Å".encode("cp1252") in data and b"\xc3" not in data
    report = do_import(data)
    assert report.counts["created"] == 1, report.rejected
    asa = Ambassador.objects.get(email="asa@example.se")
    assert (asa.first_name, asa.last_name, asa.notes) == ("Åsa", "Ärlig-Öst", "Bor på Högbo")
    assert asa.locality.name == "Ullånger"
    assert list(asa.interests.values_list("name", flat=True)) == ["Föreningsliv"]


def test_a_bom_does_not_hide_the_first_column():
    report = do_import(csv_bytes([["Anna", "anna@example.se"]], bom=True, header=["Förnamn", "E-post"]))
    assert not report.rejected
    assert Ambassador.objects.get().first_name == "Anna"


def test_quoted_fields_may_hold_semicolons_and_line_breaks():
    notes = "Ringer helst kvällar; inte helger.\nHar bil.\r\nKan köra andra."
    rows = [["Cia", "Berg", "cia@example.se", "", "Dal", "Kultur; film", "", notes], BO]
    report = do_import(csv_bytes(rows))
    assert report.counts["created"] == 2, report.rejected
    cia = Ambassador.objects.get(email="cia@example.se")
    assert cia.notes.replace("\r\n", "\n") == notes.replace("\r\n", "\n")
    assert list(cia.interests.values_list("name", flat=True)) == ["Kultur; film"]


def test_an_xlsx_workbook_is_read_with_date_cells_and_numeric_phone_cells():
    rows = [
        [
            "Anna",
            "Ödmark",
            "anna@example.se",
            701906448,
            "Kramfors",
            "Kultur",
            dt.datetime(2021, 4, 5),
            "=inte en formel",
        ],
        ["Bo", "Åström", "", 46701112233, "Nyland", "", 2018, None],
        ["Cia", "Berg", "CIA@example.se", "070-555 12 34", None, None, "5/6/2022", None],
    ]
    rows[0][7] = "'=inte en formel"
    report = do_import(xlsx_bytes(rows))
    assert report.counts["created"] == 3, report.rejected
    anna = Ambassador.objects.get(email="anna@example.se")
    assert anna.phone == "+46701906448"
    assert anna.member_since == dt.date(2021, 4, 5)
    assert anna.notes == "=inte en formel"
    bo = Ambassador.objects.get(first_name="Bo")
    assert (bo.email, bo.phone, bo.member_since) == (None, "+46701112233", dt.date(2018, 1, 1))
    cia = Ambassador.objects.get(email="cia@example.se")
    assert (cia.phone, cia.member_since) == ("+46705551234", dt.date(2022, 6, 5))


@pytest.mark.parametrize(
    "header",
    [
        [" FÖRNAMN ", "efterNAMN", " e-POST ", "Mobil", " ort", "INTRESSEN", "Medlem sedan", "kommentar "],
        [
            "Förnamn",
            "Efternamn",
            "E-postadress",
            "Telefon",
            "Bostadsort",
            "Intresse",
            "Ambassadör sedan",
            "Anteckningar",
        ],
        ["First name", "Last Name", "Email", "Phone", "Town", "Interests", "Member since", "Notes"],
        ["first_name", "LAST-NAME", "E-mail", "mobile", "City", "interests", "Ambassador since", "Comment"],
    ],
    ids=["swedish-odd-case", "swedish-other-words", "english", "english-odd"],
)
def test_headers_are_recognised_in_swedish_or_english_ignoring_case_and_spaces(header):
    report = do_import(csv_bytes([ANNA], header=header))
    assert report.counts["created"] == 1, report.rejected
    anna = Ambassador.objects.get()
    assert (anna.email, anna.phone, anna.locality.name) == ("anna@example.se", "+46701906448", "Kramfors")
    assert anna.member_since == dt.date(2020, 3, 1)
    assert anna.interests.count() == 2


# Values -------------------------------------------------------------------------------------------------------


def test_addresses_are_trimmed_and_lowercased():
    do_import(csv_bytes([["Anna", "", "  Anna.Odmark@Example.SE ", "", "", "", "", ""]]))
    assert Ambassador.objects.get().email == "anna.odmark@example.se"


@pytest.mark.parametrize("phone", ["070-190 64 48", "0701906448", "+46 70 190 64 48", "0046 70 190 64 48"])
def test_phones_in_every_swedish_form_are_stored_as_e164(phone):
    do_import(csv_bytes([["Anna", "", "", phone, "", "", "", ""]]))
    assert Ambassador.objects.get().phone == "+46701906448"


def test_localities_are_matched_ignoring_case_and_spaces_and_unknown_ones_are_created_and_reported():
    rows = [
        ["A", "", "a@example.se", "", "  kramfors ", "", "", ""],
        ["B", "", "b@example.se", "", "NYLAND", "", "", ""],
        ["C", "", "c@example.se", "", "Östra  Utmarken", "", "", ""],
        ["D", "", "d@example.se", "", "östra utmarken", "", "", ""],
    ]
    before = Locality.objects.count()
    report = do_import(csv_bytes(rows))
    assert Locality.objects.count() == before + 1
    assert [name.casefold() for name in report.new_localities] == ["östra utmarken"]
    assert Ambassador.objects.get(email="a@example.se").locality == Locality.objects.get(name="Kramfors")
    assert Ambassador.objects.get(email="b@example.se").locality == Locality.objects.get(name="Nyland")
    new = Locality.objects.get(name__in=["Östra Utmarken", "östra utmarken"])
    assert set(Ambassador.objects.filter(locality=new).values_list("first_name", flat=True)) == {"C", "D"}


def test_interests_are_split_on_commas_and_created_as_needed():
    before = Interest.objects.count()
    rows = [["A", "", "a@example.se", "", "", " kultur ,Fiske,, Fågelskådning , fiske", "", ""]]
    report = do_import(csv_bytes(rows))
    assert sorted(name.casefold() for name in report.new_interests) == ["fiske", "fågelskådning"]
    assert Interest.objects.count() == before + 2
    names = {name.casefold() for name in Ambassador.objects.get().interests.values_list("name", flat=True)}
    assert names == {"kultur", "fiske", "fågelskådning"}


def test_a_new_locality_or_interest_is_named_as_it_is_first_written_in_the_file():
    towns = [f"Nyby{i}" for i in range(10)]
    rows = [[f"P{i}", "", f"p{i}@example.se", "", town, town + "ing", "", ""] for i, town in enumerate(towns)]
    rows += [
        [f"Q{i}", "", f"q{i}@example.se", "", town.upper(), town.lower() + "ing", "", ""]
        for i, town in enumerate(towns)
    ]
    report = do_import(csv_bytes(rows))
    assert sorted(report.new_localities) == towns
    assert sorted(report.new_interests) == [town + "ing" for town in towns]
    assert set(Locality.objects.filter(name__istartswith="nyby").values_list("name", flat=True)) == set(towns)


def test_imported_people_are_marked_as_imported_and_get_no_email():
    do_import(csv_bytes([ANNA, BO]))
    assert set(Ambassador.objects.values_list("source", flat=True)) == {Ambassador.Source.IMPORT}
    assert mail.outbox == []


# Matching existing people -------------------------------------------------------------------------------------


def test_an_existing_person_is_updated_by_address_not_duplicated():
    existing = AmbassadorFactory(first_name="Anna", last_name="Ödmark", email="anna@example.se", phone="", notes="")
    report = do_import(csv_bytes([[*ANNA[:2], "ANNA@example.se", *ANNA[3:7], "Ny kommentar"]]))
    assert report.counts == {"created": 0, "updated": 1, "unchanged": 0, "rejected": 0}
    assert Ambassador.objects.count() == 1
    existing.refresh_from_db()
    assert (existing.phone, existing.notes, existing.locality.name) == ("+46701906448", "Ny kommentar", "Kramfors")
    assert existing.source == Ambassador.Source.MANUAL
    assert existing.interests.count() == 2


def test_an_existing_person_without_address_is_matched_by_phone_and_name():
    existing = AmbassadorFactory(first_name="Anna", last_name="Ödmark", email=None, phone="+46701906448")
    report = do_import(csv_bytes([["anna", "ÖDMARK", "anna@example.se", "0701906448", "", "", "", ""]]))
    assert report.counts["updated"] == 1 and report.counts["created"] == 0
    existing.refresh_from_db()
    assert existing.email == "anna@example.se"
    assert Ambassador.objects.count() == 1


def test_the_same_phone_with_another_name_is_another_person():
    AmbassadorFactory(first_name="Anna", last_name="Ödmark", email=None, phone="+46701906448")
    report = do_import(csv_bytes([["Per", "Ödmark", "", "070-190 64 48", "", "", "", ""]]))
    assert report.counts["created"] == 1
    assert Ambassador.objects.filter(phone="+46701906448").count() == 2


def test_rows_in_one_file_that_are_the_same_person_become_one_person():
    rows = [
        ANNA,
        ["Anna", "Ödmark", "Anna@Example.se ", "", "", "Friluftsliv", "", "Andra raden"],
        ["Bo", "Åström", "", "070-111 22 33", "Nyland", "", "", ""],
        ["bo", "åström", "", "0701112233", "", "Kultur", "", ""],
    ]
    report = do_import(csv_bytes(rows))
    assert report.counts["created"] == 2
    assert Ambassador.objects.count() == 2
    anna = Ambassador.objects.get(email="anna@example.se")
    assert set(anna.interests.values_list("name", flat=True)) == {"Kultur", "Turism", "Friluftsliv"}
    assert anna.notes == "Andra raden"
    assert sorted(report.created[0].rows + report.created[1].rows) == [2, 3, 4, 5]


def test_reimporting_the_same_file_creates_no_duplicates():
    data = csv_bytes([ANNA, BO, ["Cia", "Berg", "", "070-555 12 34", " dal ", "kultur", "1/2/2020", "x"]])
    first = do_import(data)
    assert first.counts["created"] == 3
    snapshot = list(Ambassador.objects.order_by("pk").values())
    second = do_import(data)
    assert second.counts == {"created": 0, "updated": 0, "unchanged": 3, "rejected": 0}
    assert list(Ambassador.objects.order_by("pk").values()) == snapshot


def test_two_people_sharing_a_phone_and_name_but_with_different_addresses_are_both_kept():
    AmbassadorFactory(first_name="Lars", last_name="Berg", email=None, phone="+46612123456")
    rows = [
        ["Lars", "Berg", "lars.senior@example.se", "0612-12 34 56", "", "", "", ""],
        ["Lars", "Berg", "lars.junior@example.se", "0612-12 34 56", "", "", "", ""],
    ]
    do_import(csv_bytes(rows))
    emails = set(Ambassador.objects.values_list("email", flat=True))
    assert {"lars.senior@example.se", "lars.junior@example.se"} <= emails


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("Aktiv", "active"),
        ("PAUSAD", "paused"),
        ("alumn", "alumni"),
        ("Active", "active"),
        ("Paused", "paused"),
        ("Alumni", "alumni"),
    ],
)
def test_a_status_is_read_in_swedish_or_english(word, status):
    do_import(csv_bytes([["Anna", "anna@example.se", word]], header=["Förnamn", "E-post", "Status"]))
    assert Ambassador.objects.get().status == status


def test_an_unknown_status_rejects_the_row_naming_the_column():
    report = do_import(csv_bytes([["Anna", "anna@example.se", "sjuk"]], header=["Förnamn", "E-post", "Status"]))
    assert [(e.row, e.column) for e in report.rejected] == [(2, "Status")]


# Rejected rows ------------------------------------------------------------------------------------------------


def rejected_file() -> bytes:
    rows = [
        ANNA,  # row 2
        ["Ingen", "Kontakt", "", "", "Dal", "", "", ""],  # row 3: neither address nor phone
        ["Cia", "Berg", "cia@", "", "", "", "", "rad\ntvå\ntre"],  # row 4: malformed address, 3 lines
        ["Dan", "Ek", "dan@example.se", "", "", "", "2023-02-30", ""],  # row 5: impossible date
        BO,  # row 6
    ]
    return csv_bytes(rows, header=[*HEADER[:6], "Medlem sedan", HEADER[7]])


def test_rejected_rows_name_the_excel_row_number_and_the_column():
    report = do_import(rejected_file())
    problems = {error.row: error for error in report.rejected}
    assert sorted(problems) == [3, 4, 5]
    assert problems[4].column == "E-post" and "cia@" in problems[4].message
    assert problems[5].column == "Medlem sedan" and "2023-02-30" in problems[5].message
    assert "4" in str(problems[4]) and "E-post" in str(problems[4])


def test_rejected_rows_in_a_workbook_are_numbered_as_excel_numbers_them():
    rows = [
        ANNA,
        [None] * 8,
        ["Dan", "Ek", "dan@example.se", None, None, None, "2023-02-30", None],
        ["Eva", None, None, None, None, None, None, None],
    ]
    report = do_import(xlsx_bytes(rows))
    assert [(e.row, e.column) for e in report.rejected] == [(4, "Ambassadör sedan"), (5, "")]


def test_a_row_without_first_name_is_rejected_naming_the_column():
    report = do_import(csv_bytes([["", "Ek", "dan@example.se", "", "", "", "", ""]]))
    assert [(e.row, e.column) for e in report.rejected] == [(2, "Förnamn")]


def test_a_value_too_long_for_the_register_rejects_the_row_instead_of_failing_the_import():
    rows = [ANNA, ["A" * 150, "", "long@example.se", "", "", "", "", ""]]
    report = do_import(csv_bytes(rows), skip_invalid=True)
    assert [(e.row, e.column) for e in report.rejected] == [(3, "Förnamn")]
    assert not Ambassador.objects.filter(email="long@example.se").exists()


def test_nothing_is_imported_when_a_row_is_rejected_without_skip_invalid():
    before = counts()
    report = do_import(rejected_file())
    assert not report.applied
    assert report.counts["created"] == 2  # what would have happened
    assert counts() == before


def test_skip_invalid_imports_the_valid_rows():
    report = do_import(rejected_file(), skip_invalid=True)
    assert report.applied
    assert set(Ambassador.objects.values_list("email", flat=True)) == {"anna@example.se", "bo@example.se"}


def test_a_dry_run_writes_nothing():
    AmbassadorFactory(first_name="Bo", last_name="Åström", email="bo@example.se", phone="")
    before = counts()
    snapshot = list(Ambassador.objects.values())
    data = csv_bytes([ANNA, BO, ["C", "", "c@example.se", "", "Ny ort", "Nytt intresse", "", ""]])
    report = do_import(data, dry_run=True, skip_invalid=True)
    assert report.dry_run and not report.applied
    assert report.counts == {"created": 2, "updated": 1, "unchanged": 0, "rejected": 0}
    assert report.new_localities == ["Ny ort"]
    assert counts() == before
    assert list(Ambassador.objects.values()) == snapshot
    assert mail.outbox == []


def _boom(*args, **kwargs):
    raise RuntimeError("the database went away")


@pytest.mark.parametrize("target", ["bulk_update", "interest_links"])
def test_a_failure_half_way_leaves_nothing_behind(monkeypatch, target):
    existing = AmbassadorFactory(first_name="Bo", last_name="Åström", email="bo@example.se", phone="", notes="")
    before = counts()
    if target == "bulk_update":
        monkeypatch.setattr(Ambassador.objects, "bulk_update", _boom)
    else:
        monkeypatch.setattr("network.importing.writing.insert_links", _boom)
    rows = [ANNA, [*BO[:7], "ändrad"], ["C", "", "c@example.se", "", "Ny ort", "Nytt intresse", "", ""]]
    with pytest.raises(RuntimeError):
        do_import(csv_bytes(rows))
    assert counts() == before
    existing.refresh_from_db()
    assert existing.notes == ""
    assert not Locality.objects.filter(name="Ny ort").exists()
