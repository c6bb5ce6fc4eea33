"""A person's data export and erasure (crm.privacy) are complete, and hold nobody else's data.

The models are read from the app registry: every model with a foreign key to an ambassador, an application or a
recruitment contact, or a field that holds a copied address, name or phone number (an EmailField, or a field
named *email*, *name* or *phone*). A model added later fails here until it has a row in the fixture person (BUILD
below) and its app's privacy module exports and erases it, or is listed in NOT_ABOUT_PEOPLE with the reason.

Two people are built with a row in every such model (and the admin log), each with names, addresses and phone
numbers found nowhere else; then the export of one must hold every row of theirs and nothing of the other's, and
after erasing one, no text field of any table in the database may mention them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.utils import timezone

from campaigns.models import Campaign, Delivery, Enrollment, Sequence, Suppression, TrackingEvent, Unsubscribe
from campaigns.selectors import audience, campaign_progress, campaign_report
from crm.privacy import person_data, person_erase
from crm.pseudonyms import pseudonym
from mypages.models import SignInLink
from network.models import (
    Ambassador,
    Application,
    ConsentRecord,
    Event,
    Interest,
    Locality,
    Note,
    RecruitmentContact,
    Registration,
    StageChange,
)
from network.services import recommendation_submit
from tests.factories import (
    AmbassadorFactory,
    ApplicationFactory,
    CampaignFactory,
    ConsentRecordFactory,
    DeliveryFactory,
    EnrollmentFactory,
    InterestFactory,
    LocalityFactory,
    NoteFactory,
    RegistrationFactory,
    SegmentFactory,
    SequenceFactory,
    SignInLinkFactory,
    StageChangeFactory,
    SuppressionFactory,
    TrackingEventFactory,
    UnsubscribeFactory,
)

pytestmark = pytest.mark.django_db

PEOPLE_MODELS = {Ambassador, Application, RecruitmentContact}
PERSONAL_NAME = re.compile(r"email|name|phone", re.IGNORECASE)

# Models whose address, name or phone fields are never an ambassador's or a recommended person's.
NOT_ABOUT_PEOPLE = {
    "auth.user": "the staff's own accounts",
    "auth.group": "staff groups",
    "auth.permission": "permission names",
    "axes.accessattempt": "the staff's login attempts (usernames)",
    "axes.accesslog": "the staff's logins (usernames)",
    "axes.accessfailurelog": "the staff's failed logins (usernames)",
    "otp_static.staticdevice": "a member of staff's recovery codes (a device name, no ambassador's data)",
    "otp_totp.totpdevice": "a member of staff's authenticator app (a device name, no ambassador's data)",
    "network.locality": "place names",
    "network.interest": "names of interests",
    "campaigns.sequence": "the name of an email sequence",
    "campaigns.segment": "the name of an audience",
    "campaigns.campaign": "the campaign's name and sender name, and a count (skipped_no_email)",
    "crm.heartbeat": "the names of background processes (worker, beat) and when they were last seen",
}
# Tables Django makes for a ManyToManyField: exported and erased with the row they belong to.
PART_OF = {"network.ambassador_interests": "network.ambassador", "network.application_interests": "network.application"}


def models_about_people() -> list[type[models.Model]]:
    found = []
    for model in apps.get_models(include_auto_created=True):
        fields = model._meta.concrete_fields
        linked = any(f.is_relation and f.many_to_one and f.related_model in PEOPLE_MODELS for f in fields)
        copied = any(isinstance(f, models.EmailField) or PERSONAL_NAME.search(f.name) for f in fields)
        if linked or copied:
            found.append(model)
    return found


# The fixture people ------------------------------------------------------------------------------------------


@dataclass
class Person:
    first_name: str
    last_name: str
    email: str
    phone: str  # E.164
    phone_as_typed: str
    ambassador: Ambassador | None = None
    rows: dict[str, list[int]] = field(default_factory=dict)  # model label → ids of rows built for the person

    @property
    def markers(self) -> list[str]:
        """What only this person's rows contain (lowercase)."""
        return [self.first_name.lower(), self.last_name.lower(), self.email.split("@")[0], self.phone[3:]]


ANNA = dict(
    first_name="Quirinalis",
    last_name="Zebrowskaja",
    email="quirinalis.zebrowskaja@example.org",
    phone="+46701234567",
    phone_as_typed="070-123 45 67",
)
BO = dict(
    first_name="Ottiliana",
    last_name="Vasquezsson",
    email="ottiliana.vasquezsson@example.org",
    phone="+46709876543",
    phone_as_typed="070-987 65 43",
)


@dataclass
class World:
    campaign: Campaign
    sequence: Sequence
    locality: Locality
    interest: Interest
    staff: object


def _application(person: Person, other: Person, world: World) -> Application:
    return ApplicationFactory(
        first_name=person.first_name,
        last_name=person.last_name,
        email=person.email,
        phone=person.phone,
        motivation=f"Jag heter {person.first_name}",
        status=Application.Status.APPROVED,
        ambassador=person.ambassador,
        interests=[world.interest],
    )


def _consent(person: Person, other: Person, world: World) -> ConsentRecord:
    return ConsentRecordFactory(
        email=person.email,
        purpose=ConsentRecord.Purpose.AMBASSADOR_REGISTRY,
        text_version="1",
        ambassador=person.ambassador,
        application=Application.objects.filter(email=person.email).first(),
    )


def _contact(person: Person, other: Person, world: World) -> RecruitmentContact:
    """A recommendation of the person, made by the other one (an ambassador too) on /tipsa/, with the person's
    address (which makes it theirs): with whatever emails that sends (to the coordinator, say)."""
    return recommendation_submit(
        recommender_name=f"{other.first_name} {other.last_name}",
        recommender_email=other.email,
        name=f"{person.first_name} {person.last_name}",
        contact_details=f"{person.phone_as_typed}, {person.email}",
        note=f"{person.first_name} känner alla",
    )


def _their_contact(person: Person) -> RecruitmentContact:
    return RecruitmentContact.objects.get(email=person.email)


def _delivery(person: Person, other: Person, world: World) -> Delivery:
    return DeliveryFactory(
        template="campaign",
        campaign=world.campaign,
        ambassador=person.ambassador,
        application=Application.objects.filter(email=person.email).first(),
        to_email=person.email,
        to_name=f"{person.first_name} {person.last_name}",
        context={"first_name": person.first_name},
        key=f"already:{person.email}:1",
        status=Delivery.Status.SENT,
        sent_at=timezone.now(),
        delivered_at=timezone.now(),
        opened_at=timezone.now(),
        last_error=f"450 {person.email} busy",
    )


def _unsubscribe(person: Person, other: Person, world: World) -> Unsubscribe:
    return UnsubscribeFactory(
        ambassador=person.ambassador,
        category=Campaign.Kind.INVITATION,
        source=Unsubscribe.Source.LINK,
        campaign=world.campaign,
    )


def _enrollment(person: Person, other: Person, world: World) -> Enrollment:
    return EnrollmentFactory(ambassador=person.ambassador, sequence=world.sequence)


def _suppression(person: Person, other: Person, world: World) -> Suppression:
    return SuppressionFactory(
        email=person.email, reason=Suppression.Reason.HARD_BOUNCE, detail=f"550 5.1.1 <{person.email}> unknown"
    )


def _tracking_event(person: Person, other: Person, world: World) -> TrackingEvent:
    return TrackingEventFactory(
        event_type="opened",
        recipient=person.email,
        description=f"opened by {person.email}",
        processed=True,
    )


def _sign_in_link(person: Person, other: Person, world: World) -> SignInLink:
    return SignInLinkFactory(ambassador=person.ambassador)


def _registration(person: Person, other: Person, world: World) -> Registration:
    start = timezone.now() + timedelta(days=3)
    event, _created = Event.objects.get_or_create(
        title="Vårträffen", defaults={"starts_at": start, "ends_at": start + timedelta(hours=2)}
    )
    return RegistrationFactory(event=event, ambassador=person.ambassador)


def _stage_change(person: Person, other: Person, world: World) -> StageChange:
    contact = _their_contact(person)
    return StageChangeFactory(contact=contact, changed_by=world.staff)


def _note(person: Person, other: Person, world: World) -> Note:
    """A coordinator's note on the person's page (and one on the contact about them, exported with it)."""
    contact = _their_contact(person)
    NoteFactory(contact=contact, author=world.staff, text=f"Ringde {person.first_name} om tipset")
    return NoteFactory(ambassador=person.ambassador, author=world.staff, text=f"{person.first_name} kom")


# One builder per model about people: it makes one row of the model for `person` (the other person is there for
# rows that link two people). The person's ambassador row is made first, outside this table.
BUILD = {
    "network.application": _application,
    "network.consentrecord": _consent,
    "network.recruitmentcontact": _contact,
    "network.stagechange": _stage_change,
    "network.note": _note,
    "campaigns.delivery": _delivery,
    "campaigns.unsubscribe": _unsubscribe,
    "campaigns.enrollment": _enrollment,
    "campaigns.suppression": _suppression,
    "campaigns.trackingevent": _tracking_event,
    "mypages.signinlink": _sign_in_link,
    "network.registration": _registration,
}


@pytest.fixture
def world(django_user_model) -> World:
    segment = SegmentFactory(statuses=[Ambassador.Status.ACTIVE])
    return World(
        campaign=CampaignFactory(segment=segment, status=Campaign.Status.SENT),
        sequence=SequenceFactory(),
        locality=LocalityFactory(name="Nylandbyn"),
        interest=InterestFactory(name="Kulturlivet"),
        staff=django_user_model.objects.create_user("koordinator", is_staff=True),
    )


def build(world: World) -> tuple[Person, Person]:
    anna, bo = Person(**ANNA), Person(**BO)
    for person in (anna, bo):
        person.ambassador = AmbassadorFactory(
            first_name=person.first_name,
            last_name=person.last_name,
            email=person.email,
            phone=person.phone,
            locality=world.locality,
            notes=f"{person.first_name} ringde",
            interests=[world.interest],
        )
        person.rows["network.ambassador"] = [person.ambassador.pk]
        LogEntry.objects.create(
            user=world.staff,
            content_type=ContentType.objects.get_for_model(Ambassador),
            object_id=str(person.ambassador.pk),
            object_repr=person.ambassador.full_name,
            action_flag=CHANGE,
            change_message="[]",
        )
    anna.ambassador.recommended_by = bo.ambassador
    anna.ambassador.save()
    for label, builder in BUILD.items():
        for person, other in ((anna, bo), (bo, anna)):
            person.rows[label] = [builder(person, other, world).pk]
    return anna, bo


def mentions(markers: list[str]) -> list[str]:
    """Every table and column holding one of the markers: every column of every table, read as the database
    stores it (raw SQL, not through the models and their managers)."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (names from the database)
            columns = [column[0] for column in cursor.description]
            for values in cursor.fetchall():
                for column, value in zip(columns, values, strict=True):
                    text = str(bytes(value) if isinstance(value, memoryview) else value).lower()
                    found += [f"{table}.{column} holds {m!r}" for m in markers if m in text]
    return found


# The tests ---------------------------------------------------------------------------------------------------


def test_every_model_about_people_is_built_here_or_said_not_to_be():
    labels = {model._meta.label_lower for model in models_about_people()}
    unknown = labels - set(BUILD) - set(NOT_ABOUT_PEOPLE) - set(PART_OF) - {"network.ambassador"}
    assert not unknown, (
        f"{sorted(unknown)} hold people's data: give the fixture person a row of each in BUILD, and export and "
        "erase them in the app's privacy module (person_data / person_erase); or, if they hold nobody's personal "
        "data, say why in NOT_ABOUT_PEOPLE"
    )
    assert {"network.ambassador", "campaigns.delivery", "mypages.signinlink"} <= labels  # the walk finds them


def test_the_export_holds_every_row_of_the_person(world):
    anna, _bo = build(world)
    data = person_data(anna.ambassador)

    for label, ids in anna.rows.items():
        exported = {row["id"] for row in data.get(label, [])}
        assert set(ids) <= exported, f"{label}: row {ids} of the person is missing from person_data"
    for label, owner in PART_OF.items():
        assert owner in data, label
    assert data["network.ambassador"][0]["interests"] == ["Kulturlivet"]
    assert data["network.ambassador"][0]["locality"] == "Nylandbyn"
    json.dumps(data)  # JSON-ready as it is


def test_the_export_holds_nothing_of_anybody_else(world):
    anna, bo = build(world)
    for person, other in ((anna, bo), (bo, anna)):
        data = person_data(person.ambassador)
        text = json.dumps(data, ensure_ascii=False).lower()
        assert person.email in text
        for marker in other.markers:
            assert marker not in text, f"{person.first_name}'s export mentions {other.first_name}: {marker}"
        for label, ids in other.rows.items():
            exported = {row["id"] for row in data.get(label, [])}
            if label == "network.recruitmentcontact":
                # The other one recommended this person: the recommendation is this person's (without who made it).
                continue
            assert not exported & set(ids), f"{label}: {person.first_name}'s export has {other.first_name}'s row"
    # A recommendation they made shows who they are, not whom they recommended.
    made = [row for row in person_data(bo.ambassador)["network.recruitmentcontact"] if "recommender_email" in row]
    assert made == [
        {
            "id": anna.rows["network.recruitmentcontact"][0],
            "recommender_name": "Ottiliana Vasquezsson",
            "recommender_email": bo.email,
            "created_at": made[0]["created_at"],
        }
    ]


def test_erasing_leaves_nothing_of_the_person_and_everything_of_the_other(world):
    anna, bo = build(world)
    bo_before = person_data(bo.ambassador)
    report_before = campaign_report(world.campaign)
    progress_before = campaign_progress(world.campaign)
    assert mentions(anna.markers)  # the scan sees them

    person_erase(anna.ambassador)

    assert mentions(anna.markers) == []
    assert not Ambassador.objects.filter(email=anna.email).exists()
    # The other person is untouched, except that the person they recommended is gone from their recommendations.
    bo_after = person_data(bo.ambassador)
    bo_before["network.recruitmentcontact"] = [
        row for row in bo_before["network.recruitmentcontact"] if "recommender_email" not in row
    ]
    assert bo_after == bo_before
    assert all(marker in json.dumps(bo_after, ensure_ascii=False).lower() for marker in bo.markers[:3])
    # The campaign counts the same.
    assert campaign_report(world.campaign) == report_before
    assert campaign_progress(world.campaign) == progress_before
    # The consent proof stays, under the address's pseudonym.
    kept = ConsentRecord.objects.get(email=pseudonym(anna.email))
    assert (kept.purpose, kept.text_version, kept.ambassador, kept.application) == ("registry", "1", None, None)
    # The bounce stays a bounce, under the pseudonym.
    assert Suppression.objects.get(email=pseudonym(anna.email)).reason == Suppression.Reason.HARD_BOUNCE


def test_the_admin_log_keeps_the_change_but_not_the_name(world):
    anna, _bo = build(world)
    person_erase(anna.ambassador)
    entry = LogEntry.objects.get(object_id=str(anna.rows["network.ambassador"][0]))
    assert entry.object_repr == "–"


def test_an_erased_person_is_not_mailed_again(world):
    anna, bo = build(world)
    queued = DeliveryFactory(template="step", ambassador=anna.ambassador, to_email=anna.email)
    person_erase(anna.ambassador)

    queued.refresh_from_db()
    assert (queued.status, queued.to_email, queued.last_error) == (Delivery.Status.SKIPPED, "", "erased")
    # An old member list brings them back: no newsletter or invitation reaches them.
    AmbassadorFactory(first_name="Quirinalis", email=anna.email)
    someone = AmbassadorFactory(first_name="Cissi", email="cissi@example.org")
    for kind in Campaign.Kind.values:
        reached = audience(world.campaign.segment, kind)
        assert list(reached.recipients) == [someone]  # Bo's address bounced, Anna's was erased
        assert reached.suppressed == 2


def signed_up_again(ambassador) -> None:
    ApplicationFactory(
        first_name=ambassador.first_name,
        last_name="Z",
        email=ambassador.email,
        status=Application.Status.APPROVED,
        ambassador=ambassador,
        decided_at=timezone.now() + timedelta(seconds=1),
    )


def test_an_erased_person_who_signs_up_again_gets_the_newsletter_again(world):
    anna, _bo = build(world)
    person_erase(anna.ambassador)
    back = AmbassadorFactory(first_name="Quirinalis", email=anna.email)
    signed_up_again(back)
    assert back in audience(world.campaign.segment).recipients


def test_a_person_without_an_address_is_erased_too(world):
    person = AmbassadorFactory(first_name="Quirinalis", last_name="Zebrowskaja", email=None, phone="+46701234567")
    person_erase(person)
    assert mentions(["quirinalis", "zebrowskaja", "701234567"]) == []


def test_an_erased_person_brought_back_by_an_old_list_gets_no_onboarding_even_when_enrolled_by_hand(world):
    """The audience leaves them out of campaigns; the outbox checks again at send time, whatever queued the row."""
    from campaigns.services.outbox import deliveries_send
    from campaigns.services.sequences import enroll

    step = world.sequence.steps.create(delay_days=0, subject="Välkommen", body="Hej {{ first_name }}")
    anna, _bo = build(world)
    person_erase(anna.ambassador)
    back = AmbassadorFactory(first_name="Quirinalis", email=anna.email)
    enroll(ambassador=back, sequence_slug=world.sequence.slug)
    queued = Delivery.objects.get(ambassador=back, step=step)
    deliveries_send([queued.pk])
    queued.refresh_from_db()
    assert (queued.status, queued.last_error) == (Delivery.Status.SKIPPED, "erased")

    signed_up_again(back)  # by their own will: mail reaches them again
    Delivery.objects.filter(pk=queued.pk).update(status=Delivery.Status.QUEUED, last_error="")
    deliveries_send([queued.pk])
    queued.refresh_from_db()
    assert queued.status == Delivery.Status.SENT
