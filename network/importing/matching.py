"""Matching the people of the file to the ambassadors on file: by address, else by phone and name.

Existing people are loaded in a few queries (lookups of a few thousand values), not one query per row, and each
lookup costs the same however many people are on file (see `lookup`).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import connection

from ..models import Ambassador
from .parsing import Person

LOOKUP = 5000  # values per IN (...) lookup
# The fields an import may change: all that is loaded of a matched ambassador, and all that is written back.
UPDATABLE = ("first_name", "last_name", "email", "phone", "locality_id", "member_since", "status", "notes")
_FIELDS = ("pk", *UPDATABLE)


def chunks(items: list, size: int):
    """`items` in slices of at most `size`: one IN lookup or one statement each, within what databases accept."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def lookup(column: str, values: list, *, without_email: bool = False) -> Iterator[Ambassador]:
    """The ambassadors whose `column` (email or phone) is one of `values`, only those without an address with
    `without_email`; in the model's order (last name, first name, id) within each LOOKUP values.

    On PostgreSQL each value is one probe of the column's index, whatever the size of the table: a LATERAL
    subquery that the planner may not flatten (OFFSET 0) forces the nested loop. `column IN (...)` with thousands
    of values is planned as a scan of the whole table up to a few million rows, and an import makes one lookup per
    block of people, so its cost per row grew with the table (and the file): 2 ms for a block at 5,000 rows on
    file, 26 ms at 95,000 (plus 20 ms of planning the 5,000 values, where the array here is one value).
    """
    values = list(dict.fromkeys(value for value in values if value))
    if connection.vendor != "postgresql":
        for chunk in chunks(values, LOOKUP):
            queryset = Ambassador.objects.filter(**{f"{column}__in": chunk})
            yield from (queryset.filter(email__isnull=True) if without_email else queryset).only(*_FIELDS)
        return
    quote = connection.ops.quote_name
    names = ", ".join(f"a.{quote(Ambassador._meta.get_field(name).column)}" for name in ("id", *UPDATABLE))
    condition = f"{quote(column)} = wanted.value" + (" AND email IS NULL" if without_email else "")
    sql = (
        f"SELECT {names} FROM unnest(%s::text[]) AS wanted(value) CROSS JOIN LATERAL "  # noqa: S608 - our names
        f"(SELECT * FROM {quote(Ambassador._meta.db_table)} WHERE {condition} OFFSET 0) AS a "
        "ORDER BY a.last_name, a.first_name, a.id"
    )
    for chunk in chunks(values, LOOKUP):
        yield from Ambassador.objects.raw(sql, [chunk])


def ambassadors_matching(people: list[Person], *, taken: set[int]) -> dict[int, Ambassador]:
    """Match each person (by index) to an existing ambassador: by address, else by phone and name.

    Each existing ambassador is matched at most once (`taken` spans the whole import): the others are new."""
    matches, unmatched = _match_by_email(people, taken)
    matches.update(_match_by_phone_and_name(people, unmatched, taken))
    return matches


def _match_by_email(people: list[Person], taken: set[int]) -> tuple[dict[int, Ambassador], list[int]]:
    """The people whose address is on file, and (by index) those left to match by phone and name."""
    by_email = {a.email: a for a in lookup("email", [p.email for p in people])}
    matches: dict[int, Ambassador] = {}
    unmatched: list[int] = []
    for index, person in enumerate(people):
        found = by_email.get(person.email) if person.email else None
        if found is not None:
            matches[index] = found
            taken.add(found.pk)
        elif person.phone:
            unmatched.append(index)
    return matches, unmatched


def _match_by_phone_and_name(people: list[Person], unmatched: list[int], taken: set[int]) -> dict[int, Ambassador]:
    """The people (by index) on file with the same phone and name, where at most one of the two has an address:
    two different addresses are two different people."""
    by_phone = _ambassadors_by_phone_and_name([people[i] for i in unmatched])
    matches: dict[int, Ambassador] = {}
    for index in unmatched:
        person = people[index]
        found = by_phone.get((person.phone, person.name_key))
        if found is not None and found.pk not in taken and (not person.email or not found.email):
            matches[index] = found
            taken.add(found.pk)
    return matches


def _ambassadors_by_phone_and_name(people: list[Person]) -> dict[tuple[str, str], Ambassador]:
    """The ambassadors these people could be, by phone and casefolded name (the first one on file wins, and one
    without an address before one with, when someone here has an address)."""
    candidates = []
    if any(person.email for person in people) and Ambassador.objects.filter(email__isnull=True).exists():
        # Someone with an address can only be someone on file without one (checked in the caller).
        candidates.append(lookup("phone", [person.phone for person in people], without_email=True))
    candidates.append(lookup("phone", [person.phone for person in people if not person.email]))
    by_phone: dict[tuple[str, str], Ambassador] = {}
    for found in candidates:
        for ambassador in found:
            by_phone.setdefault((ambassador.phone, ambassador.full_name.casefold()), ambassador)
    return by_phone
