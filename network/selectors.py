"""Reads that other parts of the product (campaigns, the dashboard) rely on."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Replace, TruncMonth
from django.utils import timezone

from .models import Ambassador, Application, Event, Locality, RecruitmentContact, Registration

Stage = RecruitmentContact.Status
# Stages a contact is still being worked on in (followed up, moved on by applying).
OPEN_STAGES = (Stage.NEW, Stage.CONTACTED, Stage.INTERESTED)


def ambassador_by_email(email: str) -> Ambassador | None:
    return Ambassador.objects.filter(email=email.strip().lower()).first() if email else None


def applications_confirmed_between(start: datetime, end: datetime) -> QuerySet[Application]:
    return Application.objects.filter(
        status=Application.Status.CONFIRMED, confirmed_at__gte=start, confirmed_at__lt=end
    ).select_related("locality")


def recommendations_of(*, email: str, phone: str = "") -> QuerySet[RecruitmentContact]:
    """The recruitment contacts whose "how to reach them" is this address or this phone number (E.164), however the
    number was written (070-190 64 48, +46 70 190 64 48, 0046701906448): the person was recommended before."""
    condition = Q(contact_details__iexact=email.strip()) if email else Q(pk__in=[])
    if phone.startswith("+"):
        compact = F("contact_details")
        for separator in " -()./":
            compact = Replace(compact, Value(separator), Value(""))
        forms = [phone, "00" + phone[1:]] + (["0" + phone[3:]] if phone.startswith("+46") else [])
        condition |= Q(contact_compact__in=forms)
        return RecruitmentContact.objects.alias(contact_compact=compact).filter(condition).order_by("-created_at")
    return RecruitmentContact.objects.filter(condition).order_by("-created_at")


def recruitment_contacts_created_between(start: datetime, end: datetime) -> QuerySet[RecruitmentContact]:
    return RecruitmentContact.objects.filter(created_at__gte=start, created_at__lt=end).select_related("recommended_by")


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


def trained(*, now: datetime | None = None) -> QuerySet[Registration]:
    """The one answer to "who has completed which training": a registration marked attended, of an event that
    counts as a training (a training always does) and has started. The dashboard, its chart, the list filter, the
    segment, Mina sidor and the timeline all ask this."""
    return Registration.objects.filter(
        attended=True, event__is_training=True, event__starts_at__lte=now or timezone.now()
    )


def completed_training(event_id: int) -> QuerySet:
    """The ids of the ambassadors who completed this training."""
    return trained().filter(event_id=event_id).values("ambassador_id")


def recruitment_contacts_follow_up(
    contacts: QuerySet[RecruitmentContact], *, day: date, due: bool
) -> QuerySet[RecruitmentContact]:
    """Of `contacts`, those still open (identified, contacted or interested) whose follow-up is due (`due`: this day
    or passed) or planned later."""
    still_open = contacts.filter(status__in=OPEN_STAGES)
    return still_open.filter(follow_up_on__lte=day) if due else still_open.filter(follow_up_on__gt=day)


def recruitment_contacts_follow_up_due(day: date) -> QuerySet[RecruitmentContact]:
    """Contacts still open (identified, contacted or interested) whose follow-up date is this day or has passed,
    oldest first."""
    return recruitment_contacts_follow_up(RecruitmentContact.objects.all(), day=day, due=True).order_by(
        "follow_up_on", "pk"
    )


def recruitment_stage_counts() -> dict[str, int]:
    """How many contacts are in each stage (a stage nobody is in is left out). One query."""
    return dict(
        RecruitmentContact.objects.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )


def recruitment_follow_up_owners(day: date) -> QuerySet:
    """The members of staff (with an address) who own a follow-up due this day or overdue."""
    from django.contrib.auth import get_user_model

    due = recruitment_contacts_follow_up_due(day).filter(owner__isnull=False).values("owner_id")
    return get_user_model().objects.filter(pk__in=due, is_active=True).exclude(email="").order_by("pk")


def person_addresses(ambassador: Ambassador) -> set[str]:
    """The addresses the person has proven: their own (where their sign-in links go) and those of their applications
    they confirmed (by the link sent there). Never one somebody merely typed (crm.privacy)."""
    confirmed = Application.objects.filter(ambassador=ambassador, confirmed_at__isnull=False).values_list(
        "email", flat=True
    )
    addresses = {ambassador.email or "", *confirmed}
    return {address.strip().lower() for address in addresses if address}


def person_applications(ambassador: Ambassador, addresses: set[str] | None = None) -> QuerySet[Application]:
    """A person's applications: those linked to them, and any sent with an address they have proven."""
    addresses = person_addresses(ambassador) if addresses is None else addresses
    return Application.objects.filter(Q(ambassador=ambassador) | Q(email__in=addresses))


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
    completed = Event.objects.filter(pk__in=trained(now=now).filter(ambassador=ambassador).values("event_id")).order_by(
        "-starts_at"
    )
    return [(event, answers.get(event.pk)) for event in upcoming], list(completed)


# Events on the admin's pages ----------------------------------------------------------------------------------


def event_attendees(event: Event) -> QuerySet[Registration]:
    """Who is on the event's attendee list: everyone who said yes or is on the waiting list, and whoever came
    (also after a no), by name, with their ambassador and locality."""
    return (
        Registration.objects.filter(event=event)
        .exclude(answer=Registration.Answer.NO, attended=False)
        .select_related("ambassador", "ambassador__locality")
        .order_by("ambassador__last_name", "ambassador__first_name", "pk")
    )


def ambassador_registrations(ambassador: Ambassador, *, limit: int) -> tuple[list[Registration], bool]:
    """Their latest `limit` answers (the latest event first), each with its event, and whether they have more.
    One query, as quick for a long-standing member as for a new one."""
    registrations = list(
        Registration.objects.filter(ambassador=ambassador)
        .select_related("event")
        .order_by("-event__starts_at", "-pk")[: limit + 1]
    )
    return registrations[:limit], len(registrations) > limit


def ambassador_trainings_completed(ambassador: Ambassador) -> list[str]:
    """The titles of every training they attended, the earliest first. One query."""
    return list(
        trained()
        .filter(ambassador=ambassador)
        .order_by("event__starts_at", "pk")
        .values_list("event__title", flat=True)
    )


def trainings_held(*, now: datetime) -> QuerySet[Event]:
    """The trainings that have started, the latest first (what "has completed the training" offers)."""
    return Event.objects.filter(is_training=True, starts_at__lte=now).order_by("-starts_at")


# The dashboard's figures (dashboard/): counts made by the database, a fixed number of queries whatever the number
# of rows. An ambassador is "new" in the month of their `member_since` (the day they became one: an approval sets
# it, an import reads it from the member list); those without one are counted apart.


def active_by_locality() -> dict[int | None, int]:
    """The number of active ambassadors of each locality ({locality_id: n}, None: without one), localities with
    none left out. One query, answered from the partial index on active ambassadors' locality alone (an index-only
    scan, COUNT(*) reads no other column)."""
    return dict(
        Ambassador.objects.filter(status=Ambassador.Status.ACTIVE)
        .values_list("locality_id")
        .annotate(n=Count("*"))
        .order_by()
        .values_list("locality_id", "n")
    )


def ambassador_numbers(*, today: date) -> dict:
    """The ambassadors in all (`total`), the active ones (in all, `by_locality` as active_by_locality, and those
    without a locality), those new this month and this year, and those whose membership date is unknown. Four
    queries, each answered from an index alone (network/migrations/0016_dashboard_indexes.py): the active ones by
    locality, the others, those who joined this year, those without a date."""
    month, year = today.replace(day=1), today.replace(month=1, day=1)
    by_locality = active_by_locality()
    joined = Ambassador.objects.filter(member_since__gte=year, member_since__lte=today).aggregate(
        new_this_year=Count("member_since"), new_this_month=Count("member_since", filter=Q(member_since__gte=month))
    )
    active = sum(by_locality.values())
    return {
        "total": active + Ambassador.objects.exclude(status=Ambassador.Status.ACTIVE).count(),
        "active": active,
        "by_locality": by_locality,
        "active_without_locality": by_locality.get(None, 0),
        **joined,
        "since_unknown": Ambassador.objects.filter(member_since__isnull=True).count(),
    }


def ambassadors_joined_by_month(*, since: date | None, until: date) -> list[dict]:
    """How many became ambassadors each month, by source: [{"month": date, "source": str, "count": int}], oldest
    first, months with nobody left out. From `since` (None: all time) to `until`, both included. One query."""
    people = Ambassador.objects.filter(member_since__lte=until)
    if since is not None:
        people = people.filter(member_since__gte=since)
    return list(
        people.annotate(month=TruncMonth("member_since"))
        .values("month", "source")
        .annotate(count=Count("member_since"))  # not the id: the index on (member_since, source) answers alone
        .order_by("month", "source")
    )


def ambassadors_joined_before(day: date, *, known: int | None = None) -> int:
    """How many became ambassadors before `day`. `known`: how many have a membership date at all, when already
    counted (ambassador_numbers: total less since_unknown); then only those from `day` on are counted (a short range
    of the index, not the whole network)."""
    if known is None:
        return Ambassador.objects.filter(member_since__lt=day).count()
    return known - Ambassador.objects.filter(member_since__gte=day).count()


def public_locality_names() -> list[str]:
    """The municipality's localities, as the signup form offers them."""
    return list(Locality.objects.filter(is_public=True).values_list("name", flat=True))


def ambassadors_by_locality(by_locality: dict[int | None, int] | None = None) -> list[dict]:
    """Every locality of the municipality's list (or with ambassadors) and its number of active ambassadors, by
    name: [{"pk", "name", "ambassadors"}]. A locality with none is in the list with 0. The counts as
    active_by_locality gives them (pass them when they are already made); then one query on the localities."""
    counts = active_by_locality() if by_locality is None else by_locality
    return [
        {"pk": pk, "name": name, "ambassadors": counts.get(pk, 0)}
        for pk, name, public in Locality.objects.order_by("name").values_list("pk", "name", "is_public")
        if public or counts.get(pk, 0)
    ]


def applications_awaiting_review() -> int:
    return Application.objects.filter(status=Application.Status.CONFIRMED).count()


def recruitment_funnel(*, since: datetime | None, until: datetime) -> dict:
    """From recommendation to ambassador, for what came in between `since` (None: all time) and `until`: the
    recruitment contacts created, the applications sent, those confirmed by email, those approved. Two queries."""
    window = Q(created_at__lt=until) & (Q(created_at__gte=since) if since is not None else Q())
    counts = Application.objects.filter(window).aggregate(  # the columns of the index application_funnel alone
        applications=Count("created_at"),
        confirmed=Count("confirmed_at"),
        approved=Count("status", filter=Q(status=Application.Status.APPROVED)),
    )
    return {"contacts": RecruitmentContact.objects.filter(window).count(), **counts}


def next_event(*, now: datetime) -> Event | None:
    """The next event to start, with its answers counted (`yes`, `waitlist`, `no`). One query."""
    answer = Registration.Answer
    return (
        Event.objects.filter(starts_at__gte=now)
        .annotate(
            yes=Count("registrations", filter=Q(registrations__answer=answer.YES)),
            waitlist=Count("registrations", filter=Q(registrations__answer=answer.WAITLIST)),
            no=Count("registrations", filter=Q(registrations__answer=answer.NO)),
        )
        .order_by("starts_at", "pk")
        .first()
    )


def training_completion(*, since: datetime | None, now: datetime, limit: int = 12, active: int | None = None) -> dict:
    """The last `limit` trainings held (started before `now`, from `since`), oldest first, each with its yes answers
    and who attended; and how many active ambassadors have completed a training at all, counted from the
    registrations side (the attended ones of trainings, their ambassadors active). `active`: the number of active
    ambassadors when it is already counted (ambassador_numbers), else it is counted here. Two queries (three
    without `active`)."""
    trainings = Event.objects.filter(is_training=True, starts_at__lt=now)
    if since is not None:
        trainings = trainings.filter(starts_at__gte=since)
    rows = list(
        trainings.annotate(
            registered=Count("registrations", filter=Q(registrations__answer=Registration.Answer.YES)),
            attended=Count("registrations", filter=Q(registrations__attended=True)),
        )
        .order_by("-starts_at", "-pk")
        .values("pk", "title", "starts_at", "registered", "attended")[:limit]
    )
    if active is None:
        active = Ambassador.objects.filter(status=Ambassador.Status.ACTIVE).count()
    completed = trained(now=now).filter(ambassador__status=Ambassador.Status.ACTIVE)
    count = completed.aggregate(trained=Count("ambassador_id", distinct=True))["trained"]
    return {"trainings": rows[::-1], "active": active, "trained": count}


def contacts_recommended_by(ambassador: Ambassador, addresses) -> QuerySet[RecruitmentContact]:
    """The recruitment contacts the person recommended (as an ambassador, or with an address they have proven,
    `addresses`)."""
    return RecruitmentContact.objects.filter(Q(recommended_by=ambassador) | Q(recommender_email__in=list(addresses)))


# Who an ambassador has recruited -------------------------------------------------------------------------------


def ambassadors_with_recruited_count(ambassadors: QuerySet[Ambassador]) -> QuerySet[Ambassador]:
    """Annotate `recruited_count`: the ambassadors they recommended (on approval a recommended contact's ambassador is
    credited to whoever recommended them). One subquery, so the list costs the same number of queries."""
    count = (
        Ambassador.objects.filter(recommended_by=OuterRef("pk"))
        .order_by()
        .values("recommended_by")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return ambassadors.annotate(recruited_count=Coalesce(Subquery(count), Value(0)))


def ambassador_recruits(
    ambassador: Ambassador, *, limit: int = 100
) -> tuple[list[Ambassador], list[RecruitmentContact]]:
    """The ambassadors they recruited (first recruited first), and the contacts they recommended who have not joined
    (yet), newest first: at most `limit` of each. Two queries."""
    people = Ambassador.objects.filter(recommended_by=ambassador).only("first_name", "last_name").order_by("pk")
    contacts = (
        RecruitmentContact.objects.filter(recommended_by=ambassador)
        .exclude(status=Stage.JOINED)
        .only("name", "status")
        .order_by("-created_at")
    )
    return list(people[:limit]), list(contacts[:limit])
