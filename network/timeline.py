"""One timeline per person: what happened to an ambassador (or a recruitment contact), newest first, with who did
it. Read-only: a selector for the admin pages.

Each source is one query bounded by `limit` (newest first), so the page costs the same number of queries, and about
the same time, for a person with ten events as for one with ten thousand; the merged list is cut to `limit`.
Email comes from campaigns through `campaigns.selectors.person_email_events`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.selectors import person_email_events

from . import selectors
from .models import Ambassador, Application, Note, RecruitmentContact, Registration, StageChange

LIMIT = 50


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # imported, created, applied, confirmed, approved, declined, email, rsvp, attended, stage, note
    text: str  # plain text: escaped where it is shown
    by: str = ""  # the member of staff who did it, when one did


def _staff(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _email_texts() -> dict[str, str]:
    return {
        "sent": _("Email sent: %(what)s"),
        "failed": _("Email could not be sent: %(what)s"),
        "bounced": _("Email bounced: %(what)s"),
        "complained": _("Email marked as spam: %(what)s"),
        "unsubscribed": _("Unsubscribed from %(what)s"),
    }


def _applications(applications, limit: int) -> list[Entry]:
    entries = []
    for application in applications.select_related("decided_by").order_by("-created_at", "-pk")[:limit]:
        entries.append(Entry(application.created_at, "applied", _("Applied on the website")))
        if application.confirmed_at:
            entries.append(Entry(application.confirmed_at, "confirmed", _("Confirmed their email address")))
        if application.decided_at and application.status == Application.Status.APPROVED:
            entries.append(
                Entry(application.decided_at, "approved", _("Application approved"), _staff(application.decided_by))
            )
        elif application.decided_at and application.status == Application.Status.DECLINED:
            entries.append(
                Entry(application.decided_at, "declined", _("Application declined"), _staff(application.decided_by))
            )
    return entries


def _stage_changes(changes, limit: int, *, name: bool = False) -> list[Entry]:
    entries = []
    for change in changes.select_related("changed_by", "contact").order_by("-created_at", "-pk")[:limit]:
        if change.reason == StageChange.Reason.INVITED:
            text = _("Invited to apply")
        elif change.from_status:
            text = _("Stage: %(from)s → %(to)s") % {
                "from": change.get_from_status_display(),
                "to": change.get_to_status_display(),
            }
        else:
            text = _("Stage: %(to)s") % {"to": change.get_to_status_display()}
        if name:
            text = f"{change.contact.name}: {text}"
        entries.append(Entry(change.created_at, "stage", text, _staff(change.changed_by)))
    return entries


def _notes(notes, limit: int) -> list[Entry]:
    return [
        Entry(note.created_at, "note", note.text, _staff(note.author))
        for note in notes.select_related("author").order_by("-created_at", "-pk")[:limit]
    ]


def _emails(ambassador_id: int | None, application_ids: list[int], limit: int) -> list[Entry]:
    texts = _email_texts()
    return [
        Entry(event.at, "email", texts[event.kind] % {"what": event.what})
        for event in person_email_events(ambassador_id=ambassador_id, application_ids=application_ids, limit=limit)
    ]


def _registrations(ambassador: Ambassador, limit: int) -> list[Entry]:
    """Their answers to invitations (RSVPs) and the events they attended."""
    entries = []
    answers = {
        Registration.Answer.YES: _("Answered yes to %(event)s"),
        Registration.Answer.NO: _("Answered no to %(event)s"),
        Registration.Answer.WAITLIST: _("On the waiting list for %(event)s"),
    }
    registrations = (
        Registration.objects.filter(ambassador=ambassador)
        .select_related("event")
        .only("answer", "answered_at", "attended", "event__title", "event__starts_at", "event__ends_at")
        .order_by("-answered_at", "-pk")[:limit]
    )
    now = timezone.now()
    for registration in registrations:
        title = registration.event.title
        walk_in = registration.answer == Registration.Answer.WALK_IN
        if not walk_in:
            text = answers.get(registration.answer, "") % {"event": title}
            entries.append(Entry(registration.answered_at, "rsvp", text))
        if registration.attended and registration.event.starts_at <= now:  # as selectors.trained has it
            came = _("Came to %(event)s without answering") if walk_in else _("Attended %(event)s")
            entries.append(Entry(registration.event.ends_at, "attended", came % {"event": title}))
    return entries


def _newest(entries: list[Entry], limit: int) -> list[Entry]:
    return sorted(entries, key=lambda entry: entry.at, reverse=True)[:limit]


def person_timeline(ambassador: Ambassador, *, limit: int = LIMIT) -> list[Entry]:
    """An ambassador's timeline: added (imported or otherwise), their applications (applied, confirmed, approved
    or declined, by whom), each email sent, bounced or unsubscribed, their RSVPs and attendance, the stages of the
    recruitment contacts that became them, and the coordinators' notes; newest first, at most `limit` entries."""
    applications = selectors.person_applications(ambassador)
    application_ids = list(applications.values_list("pk", flat=True))
    added = (
        _("Imported from the member list")
        if ambassador.source == Ambassador.Source.IMPORT
        else _("Added to the register (%(source)s)") % {"source": ambassador.get_source_display().lower()}
    )
    entries = [Entry(ambassador.created_at, "imported" if ambassador.source == "import" else "created", added)]
    entries += _applications(Application.objects.filter(pk__in=application_ids), limit)
    entries += _emails(ambassador.pk, application_ids, limit)
    entries += _registrations(ambassador, limit)
    contacts = RecruitmentContact.objects.filter(Q(ambassador=ambassador) | Q(application_id__in=application_ids))
    entries += _stage_changes(StageChange.objects.filter(contact__in=contacts), limit)
    entries += _notes(Note.objects.filter(ambassador=ambassador), limit)
    return _newest(entries, limit)


def contact_timeline(contact: RecruitmentContact, *, limit: int = LIMIT) -> list[Entry]:
    """A recruitment contact's timeline: noted, invited, stage changes (by whom, or by itself when they applied or
    were approved), their application and its emails, and the coordinators' notes; newest first."""
    source = contact.get_source_display().lower()
    entries = [Entry(contact.created_at, "created", _("Noted as a contact (%(source)s)") % {"source": source})]
    entries += _stage_changes(contact.stage_changes.all(), limit)
    entries += _notes(contact.timeline_notes.all(), limit)
    if contact.application_id:
        entries += _applications(Application.objects.filter(pk=contact.application_id), limit)
        entries += _emails(contact.ambassador_id, [contact.application_id], limit)
    return _newest(entries, limit)
