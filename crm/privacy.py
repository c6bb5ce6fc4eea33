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
5. Every way to remove someone ends here: the "erase" action and the admin's delete of ambassadors
   (`person_erase`) and of applicants (`applications_erase`), the delete of recruitment contacts and the
   recommended person's objection (`contacts_erase`), and the nightly retention job (crm.retention). The audit
   log records an erasure of an ambassador when one happened, here and nowhere else.

Every app offers `person_data(ambassador, scope)` and `person_erase(ambassador, scope)` for its own rows in its
`privacy` module (`scope`: network.privacy.Scope, rule 2 read once); this one puts them together, and also
clears what Django's admin log keeps of the person (the name in "Anna Ödmark was changed").
tests/crm/test_privacy.py walks every model with a link to a person, or a field holding an address, a name or a
phone number, and fails when a model is missing here; tests/crm/test_one_way_out.py removes a person by every
delete path the admin offers and searches every table for them.

`person_data` returns {"<app>.<model>": [one dict per row, keyed by field name]}: JSON-ready, and what Mina sidor
offers as a download and as a readable page.
"""

from __future__ import annotations

from importlib import import_module

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from network.models import Ambassador, Application, RecruitmentContact

# The apps with rows about people. Erased in this order: `network` deletes the person, so it comes last.
PROVIDERS = ("mypages.privacy", "campaigns.privacy", "network.privacy")


def _providers():
    return [import_module(name) for name in PROVIDERS]


def _scope(ambassador: Ambassador):
    from network.privacy import Scope

    return Scope.of(ambassador)


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
    from network.privacy import person_object_ids

    from .audit import Action, audit_record

    pk = ambassador.pk
    scope = _scope(ambassador)
    ids = person_object_ids(ambassador, scope)
    for provider in _providers():
        provider.person_erase(ambassador, scope)
    _admin_log_forget(ids)
    audit_record(action=Action.ERASE, ambassador_ids=[pk], actor=actor)


@transaction.atomic
def applications_erase(application_ids) -> int:
    """Erase applicants: the applications (none may be an ambassador's: that person is erased with
    `person_erase`), the recruitment contacts that became them, the emails to them and about them. Their consent
    proof stays under a pseudonym. Returns how many applications went."""
    from campaigns import privacy as email_privacy
    from network import privacy as network_privacy

    ids = list(
        Application.objects.filter(pk__in=list(application_ids), ambassador__isnull=True).values_list("pk", flat=True)
    )
    contact_ids = network_privacy.applicant_contact_ids(ids)
    email_privacy.applications_erase(ids, contact_ids)
    network_privacy.applications_erase(ids, contact_ids)
    _admin_log_forget({Application: ids, RecruitmentContact: contact_ids})
    return len(ids)


@transaction.atomic
def contacts_erase(contact_ids, *, objected: bool = False) -> int:
    """Erase recruitment contacts: the rows, their history and notes, and the emails about them. `objected`: the
    recommended person objected by the link mailed to them (GDPR art. 21), so the addresses in "how to reach them"
    are never mailed or recommended again (they stay on the suppression list as pseudonyms), and the emails to
    them keep no address. Returns how many went."""
    from campaigns import privacy as email_privacy
    from network import privacy as network_privacy

    contacts = RecruitmentContact.objects.filter(pk__in=list(contact_ids))
    ids = list(contacts.values_list("pk", flat=True))
    addresses = set()
    if objected:
        for text, address in contacts.values_list("contact", "email"):
            addresses |= network_privacy.contact_addresses(text) | {address}
    email_privacy.contacts_erase(ids, objected=addresses)
    network_privacy.contacts_erase(ids)
    _admin_log_forget({RecruitmentContact: ids})
    return len(ids)


def _admin_log_forget(ids: dict) -> None:
    """The admin log keeps who changed what and when; of the person it keeps only the row's id."""
    for model, pks in ids.items():
        for start in range(0, len(pks), 1000):
            LogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(model),
                object_id__in=[str(pk) for pk in pks[start : start + 1000]],
            ).update(object_repr="–", change_message="")
