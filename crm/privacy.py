"""A person's data, all of it: the export (GDPR art. 15 and 20) and the erasure (art. 17).

The rules, for whoever checks them:

1. A person is an ambassador (with their applications), or an applicant: an application that is no ambassador's.
2. A row is the person's when it is linked to them by id (their ambassador row, their applications, the
   recruitment contact that became them or their application, their answers to invitations, the notes about
   them, their sign-in links, the emails sent to them), or when it carries an address they have proven: the
   ambassador's own address, where their sign-in links go, and the address of an application they confirmed by
   the link sent there.
3. Nothing else makes a row theirs. A phone number, a name, or an address someone typed (on the signup form, on
   Mina sidor, in a recommendation's "how to reach them") may be anybody's: the admin shows the coordinator such
   a row as "may be the same person as …" with a button to link it, and only her link makes it theirs.
4. The export holds the person's rows without other people's names (who recommended them, the staff). The
   erasure deletes the rows; the emails sent to them keep their campaign, status and times (campaign reports
   count the same) without address or name; the proof of consent and, for an ambassador, their address on the
   list of addresses never to be mailed again stay only as a pseudonym (crm.pseudonyms).
5. Every way to remove someone ends in a privacy module: the "erase" action and the admin's delete of
   ambassadors (`person_erase`, here), of applicants (network.privacy.applications_erase), the delete of
   recruitment contacts and the recommended person's objection (network.privacy.contacts_erase), and the nightly
   retention job (crm.retention). The audit log records an erasure of an ambassador when one happened, here and
   nowhere else.

This is the loop and the bookkeeping, and it imports none of the apps (they are above it). Which apps take part
comes from settings, as pretix registers its data shredders: PRIVACY_SCOPE reads rule 2 once per person (the app
that holds the people: network.privacy.Scope, read by its `of(ambassador)`), and every module in PRIVACY_PROVIDERS
offers `person_data(ambassador, scope)` and `person_erase(ambassador, scope)` for its own rows; `person_erase`
returns the ids by model of rows it removed that the admin's log names, and this module clears what that log keeps
of them (the name in "Anna Ödmark was changed").
tests/crm/test_privacy.py walks every model with a link to a person, or a field holding an address, a name or a
phone number, and fails when a model is missing here; tests/crm/test_one_way_out.py removes a person by every
delete path the admin offers and searches every table for them.

`person_data` returns {"<app>.<model>": [one dict per row, keyed by field name]}: JSON-ready, and what Mina sidor
offers as a download and as a readable page.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from importlib import import_module
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils.module_loading import import_string

from .audit import Action, audit_record

if TYPE_CHECKING:
    from network.models import Ambassador


# Reading ---------------------------------------------------------------------------------------------------


def exportable(value):
    """A value as JSON holds it: times and dates in ISO 8601, related objects by their name."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    return value


def row(obj: models.Model, *, exclude: tuple[str, ...] = (), only: tuple[str, ...] = ()) -> dict:
    """The object's fields (its many-to-many ones as lists of names), as a JSON-ready dict keyed by field name.

    Every field unless excluded: a field added later is exported without anyone remembering to."""
    data = {}
    fields = [*obj._meta.concrete_fields, *obj._meta.many_to_many]
    for field in fields:
        if (only and field.name not in only) or field.name in exclude:
            continue
        if field.many_to_many:
            data[field.name] = [str(item) for item in getattr(obj, field.name).all()]
        elif field.is_relation:
            data[field.name] = exportable(getattr(obj, field.name))
        else:
            data[field.name] = exportable(field.value_from_object(obj))
    return data


# The loop --------------------------------------------------------------------------------------------------


def _providers():
    """The apps' privacy modules, in the order they erase (the one that deletes the person comes last)."""
    return [import_module(name) for name in settings.PRIVACY_PROVIDERS]


def _scope(ambassador: Ambassador):
    return import_string(settings.PRIVACY_SCOPE).of(ambassador)


def person_data(ambassador: Ambassador) -> dict[str, list[dict]]:
    scope = _scope(ambassador)
    data: dict[str, list[dict]] = {}
    for provider in reversed(_providers()):  # the person first, then what hangs on them
        data.update(provider.person_data(ambassador, scope))
    return data


@transaction.atomic
def person_erase(ambassador: Ambassador, *, actor=None) -> None:
    """Erase the person everywhere. Campaign reports count the same afterwards, and their address is never mailed
    again (it stays on the suppression list as a pseudonym, see campaigns.privacy). The audit log records it, by
    `actor` (a member of staff; None: the system, such as the retention job, or the person themself)."""
    pk = ambassador.pk
    scope = _scope(ambassador)
    removed: dict = {}
    for provider in _providers():
        removed.update(provider.person_erase(ambassador, scope) or {})
    admin_log_forget(removed)
    audit_record(action=Action.ERASE, ambassador_ids=[pk], actor=actor)


def admin_log_forget(ids: dict) -> None:
    """The admin log keeps who changed what and when; of a removed person it keeps only the row's id.
    `ids`: {model: [primary keys]}."""
    for model, pks in ids.items():
        pks = list(pks)
        for start in range(0, len(pks), 1000):
            LogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(model),
                object_id__in=[str(pk) for pk in pks[start : start + 1000]],
            ).update(object_repr="–", change_message="")
