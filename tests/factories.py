"""One factory per model the tests make rows of (factory_boy): a valid row with Swedish names and example.se
addresses by default. A test passes the fields it is about and lets the factory fill in the rest; where a test
reads a value back (a name, an address, a text), it passes that value itself rather than lean on a default here.

Foreign keys a model requires are made too (SubFactory); optional ones are left empty unless passed."""

from __future__ import annotations

import uuid
from datetime import timedelta

import factory
from django.utils import timezone

from campaigns.models import (
    Campaign,
    Delivery,
    Enrollment,
    Segment,
    Sequence,
    Step,
    Suppression,
    TrackingEvent,
    Unsubscribe,
)
from campaigns.services.newsletters import campaign_schedule, campaigns_start_due
from crm.models import AuditEntry, Heartbeat, RetentionRun
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
from pages.content import default_fields
from pages.models import Page


def _set_many(field: str):
    """A post-generation hook that sets a many-to-many field from a list passed to the factory."""

    def hook(obj, create, extracted, **kwargs):
        if create and extracted:
            getattr(obj, field).set(extracted)

    return factory.PostGeneration(hook)


# network ------------------------------------------------------------------------------------------------------


class LocalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Locality
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Ort {n}")


class InterestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interest
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Intresse {n}")


class AmbassadorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ambassador
        skip_postgeneration_save = True

    first_name = factory.Sequence(lambda n: f"Anna{n}")
    last_name = "Ödmark"
    email = factory.Sequence(lambda n: f"anna{n}@example.se")
    phone = factory.Sequence(lambda n: f"+4670{n:07d}")
    status = Ambassador.Status.ACTIVE
    interests = _set_many("interests")

    @classmethod
    def create_in_bulk(cls, count: int, **fields) -> list[Ambassador]:
        """Fast: one INSERT for a big audience (no many-to-many fields)."""
        return Ambassador.objects.bulk_create(cls.build_batch(count, **fields))


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A signup as the form stores it: unconfirmed unless `status` says otherwise."""

    class Meta:
        model = Application
        skip_postgeneration_save = True

    first_name = factory.Sequence(lambda n: f"Sara{n}")
    last_name = "Lund"
    email = factory.Sequence(lambda n: f"sara{n}@example.se")
    interests = _set_many("interests")


class ConsentRecordFactory(factory.django.DjangoModelFactory):
    """Consent to the registry, given at signup, by the ambassador or application passed (and at its address)."""

    class Meta:
        model = ConsentRecord

    email = factory.LazyAttributeSequence(
        lambda o, n: (
            (o.ambassador and o.ambassador.email)
            or (o.application and o.application.email)
            or f"samtycke{n}@example.se"
        )
    )
    purpose = ConsentRecord.Purpose.AMBASSADOR_REGISTRY
    text_version = "1"
    ambassador = None
    application = None


class RecruitmentContactFactory(factory.django.DjangoModelFactory):
    """A possible ambassador the coordinator follows up: reached by the address in `contact_details` unless given an
    `email` or a `phone`."""

    class Meta:
        model = RecruitmentContact

    name = factory.Sequence(lambda n: f"Karin{n} Lindqvist")
    email = ""
    phone = ""
    contact_details = factory.LazyAttributeSequence(lambda o, n: "" if o.email or o.phone else f"karin{n}@example.se")


class StageChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StageChange

    contact = factory.SubFactory(RecruitmentContactFactory)
    from_status = RecruitmentContact.Status.NEW
    to_status = RecruitmentContact.Status.CONTACTED


class NoteFactory(factory.django.DjangoModelFactory):
    """A coordinator's note: on an ambassador's page, or on the recruitment contact's when `contact` is passed."""

    class Meta:
        model = Note

    contact = None
    ambassador = factory.Maybe("contact", yes_declaration=None, no_declaration=factory.SubFactory(AmbassadorFactory))
    text = "Ringde och pratade om träffen."


class EventFactory(factory.django.DjangoModelFactory):
    """A two-hour meeting a week from now, at the library."""

    class Meta:
        model = Event

    title = "Ambassadörsträff"
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=2))
    place = "Kramfors bibliotek"
    address = "Torggatan 6, 872 30 Kramfors"


class RegistrationFactory(factory.django.DjangoModelFactory):
    """A yes, given now."""

    class Meta:
        model = Registration

    event = factory.SubFactory(EventFactory)
    ambassador = factory.SubFactory(AmbassadorFactory)
    answer = Registration.Answer.YES
    answered_at = factory.LazyFunction(timezone.now)


# campaigns ----------------------------------------------------------------------------------------------------


class SequenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sequence

    slug = factory.Sequence(lambda n: f"introduktion-{n}")
    name = factory.Sequence(lambda n: f"Introduktion {n}")


class StepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Step

    sequence = factory.SubFactory(SequenceFactory)
    subject = "Välkommen, {{ first_name }}!"
    body = "Hej {{ first_name }}!"


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    ambassador = factory.SubFactory(AmbassadorFactory)
    sequence = factory.SubFactory(SequenceFactory)
    enrolled_at = factory.LazyFunction(timezone.now)


class SuppressionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Suppression

    email = factory.Sequence(lambda n: f"studs{n}@example.se")
    reason = Suppression.Reason.HARD_BOUNCE


class SegmentFactory(factory.django.DjangoModelFactory):
    """An audience: every active ambassador unless narrowed (localities and interests take lists)."""

    class Meta:
        model = Segment
        skip_postgeneration_save = True

    name = "Alla aktiva"
    localities = _set_many("localities")
    interests = _set_many("interests")


class CampaignFactory(factory.django.DjangoModelFactory):
    """A draft newsletter to every active ambassador, with merge fields in its subject and body."""

    class Meta:
        model = Campaign

    name = "Vårbrevet"
    subject = "Hej {{ first_name }}, nytt från Kramfors"
    body = "Hej {{ first_name }} i {{ locality }}!\n\nVi ses på **torget** på lördag."
    segment = factory.SubFactory(SegmentFactory)


class DeliveryFactory(factory.django.DjangoModelFactory):
    """One email in the outbox, queued: a campaign's when `campaign` is passed, a step's when `step` is, otherwise
    an application's confirmation. Addressed to the ambassador or application passed, if any."""

    class Meta:
        model = Delivery

    campaign = None
    step = None
    ambassador = None
    application = None
    template = factory.LazyAttribute(
        lambda o: "campaign" if o.campaign else "step" if o.step else "application_confirm"
    )
    to_email = factory.LazyAttributeSequence(
        lambda o, n: (
            (o.ambassador and o.ambassador.email)
            or (o.application and o.application.email)
            or f"mottagare{n}@example.se"
        )
    )
    to_name = factory.LazyAttribute(
        lambda o: (
            o.ambassador.full_name
            if o.ambassador
            else f"{o.application.first_name} {o.application.last_name}"
            if o.application
            else ""
        )
    )


class UnsubscribeFactory(factory.django.DjangoModelFactory):
    """An ambassador who left the newsletters on the unsubscribe page."""

    class Meta:
        model = Unsubscribe

    ambassador = factory.SubFactory(AmbassadorFactory)
    category = Campaign.Kind.NEWSLETTER
    source = Unsubscribe.Source.LINK


class TrackingEventFactory(factory.django.DjangoModelFactory):
    """A webhook event as stored, not yet processed."""

    class Meta:
        model = TrackingEvent

    esp = "postmark"
    event_id = factory.Sequence(lambda n: f"event-{n}")
    event_type = "delivered"


def start_sending(campaign: Campaign) -> list[int]:
    """Schedule the campaign now and let the beat start it (the fan-out): the ids of the deliveries it queued for
    its audience, in order."""
    now = timezone.now()
    campaign_schedule(campaign=campaign, now=now)
    campaigns_start_due(now=now + timedelta(seconds=1))
    campaign.refresh_from_db()
    return list(
        Delivery.objects.filter(campaign=campaign, ambassador__isnull=False).order_by("pk").values_list("pk", flat=True)
    )


# mypages ------------------------------------------------------------------------------------------------------


class SignInLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SignInLink

    ambassador = factory.SubFactory(AmbassadorFactory)
    secret_hash = factory.LazyFunction(lambda: uuid.uuid4().hex * 2)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=30))


# crm ----------------------------------------------------------------------------------------------------------


class AuditEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEntry

    ambassador_id = factory.LazyFunction(lambda: AmbassadorFactory().pk)
    action = AuditEntry.Action.VIEW


class RetentionRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RetentionRun

    started_at = factory.LazyFunction(timezone.now)


class PageFactory(factory.django.DjangoModelFactory):
    """The page about the network: its shipped text (the data migration's row, made again after a flush), with
    the fields given."""

    class Meta:
        model = Page

    slug = Page.Slug.ABOUT

    @classmethod
    def _create(cls, model_class, slug, **fields):
        return model_class.objects.update_or_create(slug=slug, defaults={**default_fields(slug), **fields})[0]


class HeartbeatFactory(factory.django.DjangoModelFactory):
    """A background process (the worker unless `name` says beat) seen just now."""

    class Meta:
        model = Heartbeat

    name = "worker"
    seen_at = factory.LazyFunction(timezone.now)
