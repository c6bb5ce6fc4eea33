"""Writing the member list: upsert the people of the file in one transaction, with bulk statements.

Nothing is kept on a dry run, or when rows were rejected and the coordinator did not ask to skip them; the report
then shows what would have happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from ..models import Ambassador, Interest, Locality
from .matching import LOOKUP, UPDATABLE, ambassadors_matching, chunks
from .parsing import Person, RowError, parse_people
from .reading import gc_paused

CHUNK = 900  # rows per INSERT/UPDATE statement
BLOCK = 5000  # people written at a time, so memory stays flat however long the file


@dataclass
class ImportReport:
    created: list[Person] = field(default_factory=list)
    updated: list[Person] = field(default_factory=list)
    unchanged: list[Person] = field(default_factory=list)
    rejected: list[RowError] = field(default_factory=list)
    new_localities: list[str] = field(default_factory=list)
    new_interests: list[str] = field(default_factory=list)
    dry_run: bool = False
    applied: bool = False

    @property
    def rejected_rows(self) -> list[int]:
        """The rows rejected (a row with three problems is one row)."""
        return sorted({error.row for error in self.rejected})

    @property
    def merged(self) -> list[Person]:
        """The people several rows of the file were merged into (duplicates), with those rows."""
        return [
            person
            for people in (self.created, self.updated, self.unchanged)
            for person in people
            if len(person.rows) > 1
        ]

    @property
    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "rejected": len(self.rejected_rows),
        }


def _named(model, names: list[str], report_list: list[str], **new) -> dict[str, int]:
    """Ids by casefolded name, creating the unknown ones as first written in the file (named in the report), with
    the field values `new`."""
    known = {name.casefold(): pk for pk, name in model.objects.values_list("pk", "name")}
    missing = {}
    for name in names:
        if name and name.casefold() not in known:
            missing.setdefault(name.casefold(), name)
    if missing:
        model.objects.bulk_create([model(name=name, **new) for name in missing.values()])
        report_list.extend(missing.values())
        known = {name.casefold(): pk for pk, name in model.objects.values_list("pk", "name")}
    return known


def insert_links(pairs: list[tuple[int, int]]) -> None:
    """(ambassador, interest) rows, straight into the join table: model instances here cost more than the SQL."""
    if not pairs:
        return
    table = connection.ops.quote_name(Ambassador.interests.through._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} (ambassador_id, interest_id) "  # noqa: S608 - the table name is ours
                "SELECT * FROM unnest(%s::bigint[], %s::bigint[]) ON CONFLICT DO NOTHING",
                [[a for a, _i in pairs], [i for _a, i in pairs]],
            )
        elif connection.vendor == "sqlite":
            cursor.executemany(f"INSERT OR IGNORE INTO {table} (ambassador_id, interest_id) VALUES (%s, %s)", pairs)  # noqa: S608
        else:
            through = Ambassador.interests.through
            through.objects.bulk_create(
                [through(ambassador_id=a, interest_id=i) for a, i in pairs], batch_size=CHUNK, ignore_conflicts=True
            )


def _apply(person: Person, ambassador: Ambassador, locality_id: int | None) -> bool:
    """Copy the file's non-empty values onto the ambassador; True when something changed."""
    wanted = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email or None,
        "phone": person.phone,
        "locality_id": locality_id,
        "member_since": person.member_since,
        "status": person.status,
        "notes": person.notes,
    }
    changed = False
    for name, value in wanted.items():
        if value and getattr(ambassador, name) != value:
            setattr(ambassador, name, value)
            changed = True
    return changed


def ambassadors_import(
    *, header: list[str], body: list[tuple[int, list]], dry_run: bool = False, skip_invalid: bool = False
) -> ImportReport:
    """Validate and upsert the rows in one transaction.

    Nothing is kept when it is a dry run, or when rows were rejected and `skip_invalid` is off: the report then
    shows what would have happened. Importing never sends email.
    """
    # Tens of thousands of long-lived objects make the cyclic garbage collector rescan them again and again,
    # slowing big files down more than in proportion; nothing here makes cycles, so it can pause.
    with gc_paused():
        people, rejected = parse_people(header, body)
        report = ImportReport(rejected=rejected, dry_run=dry_run)
        report.applied = not dry_run and (skip_invalid or not rejected)
        with transaction.atomic():
            _write(people, report)
            if not report.applied:
                transaction.set_rollback(True)
    return report


def _write(people: list[Person], report: ImportReport) -> None:
    # Not offered on the public form until the coordinator has checked the spelling and ticked it.
    localities = _named(Locality, [p.locality for p in people], report.new_localities, is_public=False)
    interests = _named(Interest, [i for p in people for i in p.interests], report.new_interests)
    taken: set[int] = set()
    for block in chunks(people, BLOCK):
        _write_block(block, report, localities, interests, taken)


def _write_block(
    people: list[Person], report: ImportReport, localities: dict, interests: dict, taken: set[int]
) -> None:
    matches = ambassadors_matching(people, taken=taken)
    now = timezone.now()
    new: list[tuple[Ambassador, list[int]]] = []
    changed: list[Ambassador] = []
    links: list[tuple[int, int]] = []
    existing_links: set[tuple[int, int]] = set()
    through = Ambassador.interests.through
    for chunk in chunks([a.pk for a in matches.values()], LOOKUP):
        existing_links.update(
            through.objects.filter(ambassador_id__in=chunk).values_list("ambassador_id", "interest_id")
        )
    for index, person in enumerate(people):
        locality_id = localities.get(person.locality.casefold()) if person.locality else None
        interest_ids = [interests[name.casefold()] for name in person.interests]
        ambassador = matches.get(index)
        if ambassador is None:
            ambassador = Ambassador(
                first_name=person.first_name,
                last_name=person.last_name,
                email=person.email or None,
                phone=person.phone,
                locality_id=locality_id,
                member_since=person.member_since,
                status=person.status or Ambassador.Status.ACTIVE,
                notes=person.notes,
                source=Ambassador.Source.IMPORT,
                created_at=now,
                updated_at=now,
            )
            new.append((ambassador, interest_ids))
            report.created.append(person)
            continue
        missing = [i for i in interest_ids if (ambassador.pk, i) not in existing_links]
        links.extend((ambassador.pk, interest_id) for interest_id in missing)
        if _apply(person, ambassador, locality_id):
            ambassador.updated_at = now
            changed.append(ambassador)
            report.updated.append(person)
        elif missing:
            report.updated.append(person)
        else:
            report.unchanged.append(person)
    Ambassador.objects.bulk_create([a for a, _i in new], batch_size=CHUNK)
    links.extend((ambassador.pk, interest_id) for ambassador, ids in new for interest_id in ids)
    if changed:
        Ambassador.objects.bulk_update(changed, [*UPDATABLE, "updated_at"], batch_size=200)
    insert_links(links)
