"""Matching the people of the file to the ambassadors on file: by address, else by phone and name.

Existing people are loaded in a few queries (IN lookups of a few thousand values), not one query per row.
"""

from __future__ import annotations

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


def ambassadors_matching(people: list[Person], *, taken: set[int]) -> dict[int, Ambassador]:
    """Match each person (by index) to an existing ambassador: by address, else by phone and name.

    Each existing ambassador is matched at most once (`taken` spans the whole import): the others are new."""
    matches, unmatched = _match_by_email(people, taken)
    matches.update(_match_by_phone_and_name(people, unmatched, taken))
    return matches


def _match_by_email(people: list[Person], taken: set[int]) -> tuple[dict[int, Ambassador], list[int]]:
    """The people whose address is on file, and (by index) those left to match by phone and name."""
    by_email: dict[str, Ambassador] = {}
    for chunk in chunks([p.email for p in people if p.email], LOOKUP):
        by_email.update({a.email: a for a in Ambassador.objects.filter(email__in=chunk).only(*_FIELDS)})
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
    """The ambassadors these people could be, by phone and casefolded name (the first one on file wins)."""
    candidates = []
    if any(person.email for person in people):
        # Someone with an address can only be someone on file without one: the few phone-only people, at once.
        candidates.append(Ambassador.objects.filter(email__isnull=True).exclude(phone=""))
    for chunk in chunks([person.phone for person in people if not person.email], LOOKUP):
        candidates.append(Ambassador.objects.filter(phone__in=chunk))
    by_phone: dict[tuple[str, str], Ambassador] = {}
    for queryset in candidates:
        for ambassador in queryset.only(*_FIELDS):
            by_phone.setdefault((ambassador.phone, ambassador.full_name.casefold()), ambassador)
    return by_phone
