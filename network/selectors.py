"""Reads that other parts of the product (campaigns, the dashboard) rely on."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Replace

from .models import Ambassador, Application, Event, RecruitmentContact, Registration


def ambassador_by_email(email: str) -> Ambassador | None:
    return Ambassador.objects.filter(email=email.strip().lower()).first() if email else None


def applications_confirmed_between(start: datetime, end: datetime) -> QuerySet[Application]:
    return Application.objects.filter(
        status=Application.Status.CONFIRMED, confirmed_at__gte=start, confirmed_at__lt=end
    ).select_related("locality")


def referrals_of(*, email: str, phone: str = "") -> QuerySet[RecruitmentContact]:
    """The recruitment contacts whose "how to reach them" is this address or this phone number (E.164), however the
    number was written (070-190 64 48, +46 70 190 64 48, 0046701906448): the person was recommended before."""
    condition = Q(contact__iexact=email.strip()) if email else Q(pk__in=[])
    if phone.startswith("+"):
        compact = F("contact")
        for separator in " -()./":
            compact = Replace(compact, Value(separator), Value(""))
        forms = [phone, "00" + phone[1:]] + (["0" + phone[3:]] if phone.startswith("+46") else [])
        condition |= Q(contact_compact__in=forms)
        return RecruitmentContact.objects.alias(contact_compact=compact).filter(condition).order_by("-created_at")
    return RecruitmentContact.objects.filter(condition).order_by("-created_at")


def recruitment_contacts_created_between(start: datetime, end: datetime) -> QuerySet[RecruitmentContact]:
    return RecruitmentContact.objects.filter(created_at__gte=start, created_at__lt=end).select_related("referred_by")


def ambassadors_matching(
    *,
    statuses: list[str] | None = None,
    locality_ids: list[int] | None = None,
    interest_ids: list[int] | None = None,
    member_since_from=None,
    member_since_to=None,
    completed_training_id: int | None = None,
) -> QuerySet[Ambassador]:
    """Ambassadors by the choices a coordinator makes in an audience; empty statuses mean active only."""
    people = Ambassador.objects.filter(status__in=statuses or [Ambassador.Status.ACTIVE])
    if locality_ids:
        people = people.filter(locality_id__in=locality_ids)
    if interest_ids:
        people = people.filter(
            pk__in=Ambassador.interests.through.objects.filter(interest_id__in=interest_ids).values("ambassador_id")
        )
    if member_since_from:
        people = people.filter(member_since__gte=member_since_from)
    if member_since_to:
        people = people.filter(member_since__lte=member_since_to)
    if completed_training_id:
        people = people.filter(pk__in=completed_training(completed_training_id))
    return people


def completed_training(event_id: int) -> QuerySet:
    """The ids of the ambassadors who attended this training (an event that counts as one)."""
    return Registration.objects.filter(event_id=event_id, event__is_training=True, attended=True).values(
        "ambassador_id"
    )


def recruitment_contacts_follow_up_due(day: date) -> QuerySet[RecruitmentContact]:
    """Contacts still open (identified, contacted or interested) whose follow-up date is this day or has passed,
    oldest first."""
    return RecruitmentContact.objects.filter(
        follow_up_on__lte=day,
        status__in=[
            RecruitmentContact.Status.NEW,
            RecruitmentContact.Status.CONTACTED,
            RecruitmentContact.Status.INTERESTED,
        ],
    ).order_by("follow_up_on", "pk")


def recruitment_follow_up_owners(day: date) -> QuerySet:
    """The members of staff (with an address) who own a follow-up due this day or overdue."""
    from django.contrib.auth import get_user_model

    due = recruitment_contacts_follow_up_due(day).filter(owner__isnull=False).values("owner_id")
    return get_user_model().objects.filter(pk__in=due, is_active=True).exclude(email="").order_by("pk")


def person_applications(ambassador: Ambassador) -> QuerySet[Application]:
    """A person's applications: those linked to them, and any sent with their address."""
    linked = Application.objects.filter(ambassador=ambassador)
    return (linked | Application.objects.filter(email=ambassador.email)) if ambassador.email else linked


def person_addresses(ambassador: Ambassador) -> set[str]:
    """Every email address of the person: their own, and those their applications were sent with."""
    addresses = set(person_applications(ambassador).values_list("email", flat=True))
    addresses.add(ambassador.email or "")
    return {address.strip().lower() for address in addresses if address}


def ambassadors_approved_since(since: dict[int, datetime]) -> set[int]:
    """Of the ambassadors given (id → a time), those with an application approved after their time."""
    approved = Application.objects.filter(
        ambassador_id__in=list(since), status=Application.Status.APPROVED, decided_at__isnull=False
    ).values_list("ambassador_id", "decided_at")
    return {pk for pk, decided_at in approved if decided_at > since[pk]}


def person_events(ambassador: Ambassador, *, invited: set[int], now: datetime) -> tuple[list, list]:
    """(upcoming, trainings completed) for Mina sidor. Upcoming: events not yet ended that the person answered
    or was invited to, soonest first, each with their answer (or None); completed: trainings they attended."""
    answers = dict(
        Registration.objects.filter(ambassador=ambassador, event__ends_at__gte=now).values_list("event_id", "answer")
    )
    upcoming = Event.objects.filter(pk__in=set(answers) | invited, ends_at__gte=now).order_by("starts_at")
    completed = Event.objects.filter(
        is_training=True, registrations__ambassador=ambassador, registrations__attended=True
    ).order_by("-starts_at")
    return [(event, answers.get(event.pk)) for event in upcoming], list(completed)
