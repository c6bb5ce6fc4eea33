"""Swedish everywhere: no English and no internal identifier on a page a coordinator or an ambassador sees.

Every admin page of the registry (each ModelAdmin's list, add form when permitted, and the change form of one
object, made with tests/factories.py when there is none), as a superuser in Swedish, and every page of Mina sidor
(signed in as an ambassador with registrations, emails, stage changes and consents) is rendered, and its visible
text (text nodes outside scripts and styles, labels, help texts, titles, option texts, button labels) is checked:

(a) no English source string of a catalogue whose Swedish translation differs (it reached the page untranslated);
(b) no English word that is never Swedish ("the", "key", "token", …: a label nobody marked for translation);
(c) no snake_case identifier (`event_confirmation`, `claim_token`), outside URLs and email addresses.

The list of pages comes from the registry and the URL patterns, so a page added later is checked too; a failure
names the page and the words.
"""

from __future__ import annotations

import json
import re

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

import mypages.urls
import tests.factories
from campaigns.emails import unsubscribe_url
from campaigns.labels import template_label
from campaigns.models import Delivery
from crm.privacy import person_data
from mypages import services
from mypages.export import sections
from network.models import RecruitmentContact, StageChange
from tests.crm.test_admin_swedish import (
    OWN_LANGUAGE,
    english_msgids,
    objects,  # noqa: F401 - the fixture, shared
    permission_names,
    superuser_client,  # noqa: F401 - the fixture, shared
    visible_texts,
)
from tests.factories import (
    AmbassadorFactory,
    CampaignFactory,
    ConsentRecordFactory,
    DeliveryFactory,
    EventFactory,
    RecruitmentContactFactory,
    RegistrationFactory,
    StageChangeFactory,
    UnsubscribeFactory,
)

pytestmark = pytest.mark.django_db

# English words that are never Swedish: a label or help text of ours that nobody marked for translation. ("by", "be",
# "is", "and", "far", "hand", "dag", … are Swedish words too, and left out.)
ENGLISH_WORDS = {
    "the",
    "of",
    "with",
    "which",
    "this",
    "that",
    "was",
    "were",
    "been",
    "key",
    "token",
    "claim",
    "context",
    "deduplicates",
    "one-off",
    "coordinator",
    "campaign",
    "delivery",
    "deliveries",
    "recipient",
    "sent",
    "email",
    "emails",
    "yes",
    "none",
    "unknown",
    "created",
    "updated",
    "template",
}
SNAKE_CASE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
# Where a snake_case word or an English word is legitimate: an address, a link, a merge field's code sample.
LEGITIMATE = re.compile(r"\S+@\S+|https?://\S+|/\S*|\{\{[^}]*\}\}|\{%[^%]*%\}")
# The permission choices of the user and group pages: names Django stores in English when the migrations run.
PERMISSION = re.compile(r"\| Can (add|change|delete|view) ")
THIRD_PARTY = {"static token"}  # django-otp's model, named only in those permission choices
SHORT = 4  # shorter msgids ("to", "Yes", "No") are ambiguous: the English-word list catches what matters


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-zåäöé-]+", LEGITIMATE.sub(" ", text).lower()))


def problems_in(html: str, msgids: set[str], allowed: set[str]) -> list[str]:
    """The words of a page that are English or internal, each once."""
    found = []
    for text in visible_texts(html):
        if text in allowed or PERMISSION.search(text) or text in THIRD_PARTY:
            continue
        if len(text) >= SHORT and text in msgids:
            found.append(f"untranslated “{text}”")
        if english := _words(text) & ENGLISH_WORDS:
            found.append(f"English {sorted(english)} in “{text[:80]}”")
        if identifiers := SNAKE_CASE.findall(LEGITIMATE.sub(" ", text)):
            found.append(f"identifier {identifiers} in “{text[:80]}”")
    return list(dict.fromkeys(found))


def _object_of(model, objects):  # noqa: F811 - the fixture's value
    """The shared fixture's object, else one made by the model's factory, else the first row there is."""
    if model in objects:
        return objects[model]
    factory = getattr(tests.factories, f"{model.__name__}Factory", None)
    if factory is not None:
        return factory()
    return model._default_manager.first()


def registry_pages(objects) -> list[str]:  # noqa: F811 - the fixture's value
    pages = [reverse("admin:index")]
    for model in admin.site._registry:
        info = model._meta.app_label, model._meta.model_name
        pages.append(reverse("admin:{}_{}_changelist".format(*info)))
        pages.append(reverse("admin:{}_{}_add".format(*info)))
        obj = _object_of(model, objects)
        if obj is not None:
            try:
                pages.append(reverse("admin:{}_{}_change".format(*info), args=[quote(obj.pk)]))
            except NoReverseMatch:
                pass
    return pages


@pytest.fixture
def swedish():
    with translation.override("sv"):
        yield english_msgids()


def test_every_admin_page_of_the_registry_is_swedish(superuser_client, objects, swedish):  # noqa: F811
    allowed = OWN_LANGUAGE | permission_names()
    superuser_client.cookies["django_language"] = "sv"
    found = []
    for url in registry_pages(objects):
        response = superuser_client.get(url, HTTP_ACCEPT_LANGUAGE="sv")
        if response.status_code in (403, 302):  # an add page the admin refuses everyone
            continue
        assert response.status_code == 200, url
        found += [f"{url}: {problem}" for problem in problems_in(response.content.decode(), swedish, allowed)]
    assert not found, "English or internal words on admin pages:\n" + "\n".join(found)


def test_the_email_log_shows_no_machinery(superuser_client, swedish):  # noqa: F811 - the shared fixture
    """A delivery's page: no code-named values, no sign-in link of someone else's (its context), no internal key."""
    delivery = DeliveryFactory(
        template="mypages_link",
        key="mypages_link:7:2026-12-07",
        context={"sign_in_url": "http://testserver/mina-sidor/logga-in/hemlig/", "event_id": 3},
    )
    page = superuser_client.get(reverse("admin:campaigns_delivery_change", args=[delivery.pk])).content.decode()
    assert "hemlig" not in page and "sign_in_url" not in page and "mypages_link:7" not in page
    assert not problems_in(page, swedish, set())


@pytest.fixture
def anna_with_data():
    """An ambassador with something in every section of her data: a consent, emails of several kinds, event
    answers, an unsubscribe, and the recruitment contact she was, with its stage changes."""
    anna = AmbassadorFactory(first_name="Anna", last_name="Ödmark", email="anna@example.se")
    ConsentRecordFactory(ambassador=anna, purpose="registry", text_version="2026-11-01")
    event = EventFactory(title="Vårträff", starts_at=timezone.now() + timezone.timedelta(days=7))
    RegistrationFactory(event=event, ambassador=anna)
    DeliveryFactory(ambassador=anna, template="event_confirmation", context={"event_id": event.pk})
    DeliveryFactory(campaign=CampaignFactory(name="Nyhetsbrev", subject="Hej"), ambassador=anna)
    UnsubscribeFactory(ambassador=anna)
    contact = RecruitmentContactFactory(name="Anna Ödmark", email=anna.email, ambassador=anna)
    StageChangeFactory(contact=contact, from_status="", to_status=RecruitmentContact.Status.NEW)
    StageChangeFactory(contact=contact)
    return anna


@pytest.fixture
def anna_client(anna_with_data):
    client = Client(HTTP_ACCEPT_LANGUAGE="sv")
    services.sign_in_link_request(email_address=anna_with_data.email)
    link = Delivery.objects.filter(template="mypages_link").latest("pk").context["sign_in_url"]
    client.post(link.removeprefix("http://testserver"))
    assert client.session[services.SESSION_KEY] == anna_with_data.pk
    return client


def mypages_pages(ambassador) -> list[str]:
    """Every page of Mina sidor a signed-in person opens (from its URL patterns, so a page added later is checked
    too), the unsubscribe links' preferences page, and, last, the signed-out page (sign-out is a POST)."""
    pages = [
        reverse(pattern.name)
        for pattern in mypages.urls.urlpatterns
        if not pattern.pattern.converters and pattern.name not in ("mypages-sign-out", "mypages-data-json")
    ]
    return [*pages, reverse("preferences", args=[unsubscribe_url(ambassador.pk, "newsletter").split("/")[-2]])]


def test_every_page_of_mina_sidor_is_swedish(anna_client, anna_with_data, swedish):
    found = []
    pages = mypages_pages(anna_with_data)
    assert {"/mina-sidor/mina-data/", "/mina-sidor/lamna/"} <= set(pages)
    for url in pages:
        response = anna_client.get(url)
        assert response.status_code == 200, url
        found += [f"{url}: {problem}" for problem in problems_in(response.content.decode(), swedish, OWN_LANGUAGE)]
    signed_out = anna_client.post(reverse("mypages-sign-out"))
    found += [f"(signed out): {problem}" for problem in problems_in(signed_out.content.decode(), swedish, OWN_LANGUAGE)]
    assert not found, "English or internal words on Mina sidor:\n" + "\n".join(found)


def test_the_data_page_names_a_stage_change_as_one(anna_client, anna_with_data):
    """A stage change's "from" and "to" are stages, not an email's sender and recipient ("Mottagare")."""
    with translation.override("sv"):
        shown = sections(person_data(anna_with_data))
    changes = [
        section for section in shown if str(StageChange._meta.verbose_name_plural).lower() in section["title"].lower()
    ]
    assert changes, [section["title"] for section in shown]
    labels = {label for row in changes[0]["rows"] for label, _value in row}
    assert {"Tidigare steg", "Nytt steg"} <= labels and "Mottagare" not in labels
    texts = visible_texts(anna_client.get("/mina-sidor/mina-data/").content.decode())
    assert "Nytt steg" in texts
    assert "Bekräftelse på anmälan" in texts or str(template_label("event_confirmation")) in texts


def _keys(document) -> list[str]:
    if isinstance(document, dict):
        return [key for key, value in document.items() for key in [key, *_keys(value)]]
    if isinstance(document, list):
        return [key for item in document for key in _keys(item)]
    return []


def test_the_data_download_is_labelled_in_swedish(anna_client, swedish):
    response = anna_client.get("/mina-sidor/mina-data.json")
    document = json.loads(response.content)
    keys = _keys(document)
    internal = [key for key in keys if SNAKE_CASE.search(key) or key in swedish or key.lower() in ENGLISH_WORDS]
    assert not internal, f"the download's labels: {internal}"
    assert "Exporterad" in keys
    assert "Samtycken" in keys or "Samtyckesposter" in keys or any("amtyck" in key for key in keys)


def test_the_check_finds_english_and_identifiers():
    """The harness itself: each kind of problem is caught, Swedish text and addresses are not."""
    html = (
        "<label>Key:</label><div class='help'>Deduplicates one-off mail.</div>"
        "<option value='x'>event_confirmation</option><p>Skickat till anna_b@example.se, se /mina-sidor/mina_data/</p>"
        "<p>Godkänn ansökningar</p><p>{{ first_name }}</p><p>Approve selected applications</p>"
    )
    with translation.override("sv"):
        found = " | ".join(problems_in(html, english_msgids(), set()))
    assert "English ['key']" in found
    assert "English ['deduplicates', 'one-off']" in found
    assert "identifier ['event_confirmation']" in found
    assert "untranslated “Approve selected applications”" in found
    assert "anna_b" not in found and "mina_data" not in found and "first_name" not in found
    assert "Godkänn" not in found


def test_the_two_box_chooser_reads_as_swedish(superuser_client):  # noqa: F811 - the shared fixture
    """filter_horizontal's labels come from the admin's JavaScript catalogue, where Django's Swedish said "Välj vald
    intressen" for the button and "Välj intressen" for the box of chosen ones."""
    superuser_client.cookies["django_language"] = "sv"
    catalogue = superuser_client.get(reverse("admin:jsi18n"), HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Välj vald" not in catalogue
    assert '"Chosen %s": "Valda %s"' in catalogue
    assert '"Choose selected %s": "L\\u00e4gg till markerade %s"' in catalogue or "Lägg till markerade %s" in catalogue
