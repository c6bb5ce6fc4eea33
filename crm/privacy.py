"""A person's data, all of it: the export (GDPR art. 15 and 20) and the erasure (art. 17).

Every app offers `person_data(ambassador)` and `person_erase(ambassador)` for its own rows in its `privacy`
module; this one puts them together, and also clears what Django's admin log keeps of the person (the name in
"Anna Ödmark was changed"). tests/crm/test_privacy.py walks every model with a link to a person, or a field
holding an address, a name or a phone number, and fails when a model is missing here.

`person_data` returns {"<app>.<model>": [one dict per row, keyed by field name]}: JSON-ready, and what Mina sidor
offers as a download and as a readable page. It holds the person's data and nobody else's.
"""

from __future__ import annotations

from importlib import import_module

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from network.models import Ambassador, RecruitmentContact

# The apps with rows about people. Erased in this order: `network` deletes the person, so it comes last.
PROVIDERS = ("mypages.privacy", "campaigns.privacy", "network.privacy")


def _providers():
    return [import_module(name) for name in PROVIDERS]


def person_data(ambassador: Ambassador) -> dict[str, list[dict]]:
    data: dict[str, list[dict]] = {}
    for provider in reversed(_providers()):  # the person first, then what hangs on them
        data.update(provider.person_data(ambassador))
    return data


@transaction.atomic
def person_erase(ambassador: Ambassador, *, actor=None) -> None:
    """Erase the person everywhere. Campaign reports count the same afterwards, and their address is never mailed
    again (it stays on the suppression list as a pseudonym, see campaigns.privacy). The audit log records it, by
    `actor` (a member of staff; None: the system, such as the retention job, or the person themself)."""
    from network.privacy import person_object_ids

    from .audit import Action, audit_record

    pk = ambassador.pk
    ids = person_object_ids(ambassador)
    for provider in _providers():
        provider.person_erase(ambassador)
    _admin_log_forget(ids)
    audit_record(action=Action.ERASE, ambassador_ids=[pk], actor=actor)


@transaction.atomic
def contact_erase(contact: RecruitmentContact) -> None:
    """A recommended person objected (GDPR art. 21): their contact row goes, the emails to them keep no address,
    and the address is never mailed or recommended again (it stays on the suppression list as a pseudonym)."""
    from campaigns.privacy import contact_erase as campaigns_contact_erase
    from network.privacy import contact_addresses
    from network.privacy import contact_erase as network_contact_erase

    campaigns_contact_erase(contact_id=contact.pk, addresses=contact_addresses(contact.contact))
    network_contact_erase(contact)
    _admin_log_forget({RecruitmentContact: [contact.pk]})


def _admin_log_forget(ids: dict) -> None:
    """The admin log keeps who changed what and when; of the person it keeps only the row's id."""
    for model, pks in ids.items():
        if pks:
            LogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(model), object_id__in=[str(pk) for pk in pks]
            ).update(object_repr="–", change_message="")
