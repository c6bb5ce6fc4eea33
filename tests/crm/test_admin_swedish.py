"""The admin as the coordinator sees it: in Swedish, with readable labels, nothing left in English.

Every main admin page (the index, each app, each list, each add and change form, the history and delete pages, the
import and export pages) is rendered in Swedish, and its visible text (text nodes, button labels, titles) is
compared with the English source strings of the catalogues: a text that is an English msgid with a Swedish
translation is a string someone forgot to translate or to mark for translation. django-import-export ships no
Swedish, so its English strings must come from our catalogue.
"""

from __future__ import annotations

import gettext
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import django
import import_export
import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Group, Permission
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from campaigns.models import Campaign, Delivery, Enrollment, Segment, Sequence, Suppression, Unsubscribe
from network.models import Ambassador, Application, ConsentRecord, Interest, Locality, RecruitmentContact
from tests.factories import (
    AmbassadorFactory,
    ApplicationFactory,
    CampaignFactory,
    ConsentRecordFactory,
    DeliveryFactory,
    EnrollmentFactory,
    InterestFactory,
    LocalityFactory,
    RecruitmentContactFactory,
    SequenceFactory,
    StepFactory,
    SuppressionFactory,
    UnsubscribeFactory,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
DJANGO = Path(django.__file__).parent
# Written in their own language on purpose: the name of a language in the language choice.
OWN_LANGUAGE = {"English"}


def permission_names() -> set[str]:
    """Permission names are stored in the database, in English, when the migrations run (Django's own "Can add …"
    as ours), and shown as stored on the user and group pages: not a string the templates could translate."""
    return set(Permission.objects.values_list("name", flat=True))


def _catalogue(path: Path) -> dict:
    with open(path, "rb") as handle:
        return gettext.GNUTranslations(handle)._catalog


def english_msgids() -> set[str]:
    """The English source strings that have a Swedish translation different from themselves (the one Django
    uses: ours first, then the apps')."""
    found = set()
    for path in [
        ROOT / "locale/sv/LC_MESSAGES/django.mo",
        DJANGO / "contrib/admin/locale/sv/LC_MESSAGES/django.mo",
        DJANGO / "contrib/auth/locale/sv/LC_MESSAGES/django.mo",
        DJANGO / "conf/locale/sv/LC_MESSAGES/django.mo",
    ]:
        for msgid, msgstr in _catalogue(path).items():
            if isinstance(msgid, str) and msgid and msgstr != msgid:
                found.add(msgid)
    with translation.override("sv"):
        return {msgid for msgid in found if translation.gettext(msgid) != msgid}


def our_msgids() -> set[str]:
    """Our catalogue's source strings, whatever their translation ("Import" is "Import" in Swedish too)."""
    return {msgid for msgid in _catalogue(ROOT / "locale/sv/LC_MESSAGES/django.mo") if isinstance(msgid, str)}


def import_export_msgids() -> set[str]:
    """django-import-export's English strings (read from one of its catalogues: it has no Swedish one)."""
    catalogue = _catalogue(Path(import_export.__file__).parent / "locale/de/LC_MESSAGES/django.mo")
    return {msgid for msgid in catalogue if isinstance(msgid, str) and msgid}


class VisibleText(HTMLParser):
    """The text a person sees or hears: text nodes outside script and style, button and submit labels, titles,
    placeholders and aria-labels; not what an element marks as another language (`lang="en"`: a page's English
    text as the coordinator wrote it)."""

    SKIP = {"script", "style", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.skipping = 0
        self.foreign: list[list] = []  # [tag, how many of it are open] of the element marked as another language

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.foreign and tag == self.foreign[-1][0]:
            self.foreign[-1][1] += 1
        elif not self.foreign and attrs.get("lang") and not attrs["lang"].startswith("sv"):
            self.foreign.append([tag, 1])
            self.skipping += 1
        if tag in self.SKIP:
            self.skipping += 1
        if tag == "input" and attrs.get("type") in ("submit", "button", "reset"):
            self.add(attrs.get("value"))
        for name in ("title", "placeholder", "aria-label", "alt"):
            self.add(attrs.get(name))

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        if self.foreign and tag == self.foreign[-1][0]:
            self.foreign[-1][1] -= 1
            if not self.foreign[-1][1]:
                self.foreign.pop()
                self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.add(data)

    def add(self, text):
        text = re.sub(r"\s+", " ", text or "").strip()
        if text:
            self.texts.append(text)
            # "Ambassadörer | Ambassadörsnätverket", "Lägg till ambassadör: …" are made of several strings.
            self.texts.extend(part.strip() for part in re.split(r" [|›] |: ", text) if part.strip())


def visible_texts(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.texts


@pytest.fixture
def objects(django_user_model):
    locality = LocalityFactory(name="Nyland")
    interest = InterestFactory(name="Kultur")
    ambassador = AmbassadorFactory(
        first_name="Anna",
        last_name="Ödmark",
        email="anna@example.se",
        phone="+46701906448",
        locality=locality,
        interests=[interest],
    )
    application = ApplicationFactory(
        first_name="Bo",
        last_name="Berg",
        email="bo@example.se",
        phone="+46701234567",
        status="confirmed",
        interests=[interest],
    )
    sequence = SequenceFactory(slug="introduktion", name="Introduktion")
    step = StepFactory(sequence=sequence, subject="Välkommen, {{ first_name }}!", body="Hej {{ first_name }}")
    campaign = CampaignFactory(name="Nyhetsbrev december", subject="Hej {{ first_name }}", body="Hej")
    user = django_user_model.objects.create_user("handlaggare", "handlaggare@kramfors.se")
    return {
        Locality: locality,
        Interest: interest,
        Ambassador: ambassador,
        Application: application,
        ConsentRecord: ConsentRecordFactory(ambassador=ambassador, text_version="2026-11-01"),
        RecruitmentContact: RecruitmentContactFactory(name="Cia Lund", contact_details="070-111 22 33"),
        Sequence: sequence,
        Enrollment: EnrollmentFactory(ambassador=ambassador, sequence=sequence, next_step=step),
        Delivery: DeliveryFactory(template="application_declined", application=application, language="sv"),
        Unsubscribe: UnsubscribeFactory(ambassador=ambassador),
        Suppression: SuppressionFactory(email="studs@example.se"),
        Segment: campaign.segment,
        Campaign: campaign,
        django_user_model: user,
        Group: Group.objects.create(name="Koordinatorer"),
        "step": step,
    }


@pytest.fixture
def superuser_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@kramfors.se"))
    return client


def admin_pages(objects) -> list[str]:
    pages = [reverse("admin:index")]
    pages += [
        reverse("admin:app_list", args=[label]) for label in sorted({m._meta.app_label for m in admin.site._registry})
    ]
    for model in admin.site._registry:
        info = model._meta.app_label, model._meta.model_name
        pages.append(reverse("admin:{}_{}_changelist".format(*info)))
        pk = quote(objects[model].pk) if model in objects else None  # (the audit log's rows are written by code)
        for name, args in (("add", []), ("change", [pk]), ("history", [pk]), ("delete", [pk])):
            if None in args:
                continue
            try:
                pages.append(reverse("admin:{}_{}_{}".format(*info, name), args=args))
            except NoReverseMatch:
                pass
    pages += [reverse("admin:network_ambassador_import"), reverse("admin:network_ambassador_export")]
    return pages


def test_every_main_admin_page_is_in_swedish(superuser_client, objects):
    msgids = english_msgids()
    library = import_export_msgids() - our_msgids()
    allowed = OWN_LANGUAGE | permission_names()
    problems = []
    for url in admin_pages(objects):
        response = superuser_client.get(url)
        if response.status_code == 403:  # an add page the admin refuses everyone
            continue
        assert response.status_code == 200, url
        with translation.override("sv"):
            for text in visible_texts(response.content.decode()):
                if text in allowed:
                    continue
                if text in msgids or text in library:
                    problems.append(f"{url}: “{text}”")
    assert not problems, "untranslated:\n" + "\n".join(dict.fromkeys(problems))


def test_the_check_finds_an_untranslated_string():
    """The harness: an English string with a Swedish translation is caught, a translated one is not."""
    msgids = english_msgids()
    texts = visible_texts("<h1>Ambassadörer</h1><p>Approve selected applications</p><input type=submit value=Spara>")
    assert {text for text in texts if text in msgids} == {"Approve selected applications"}


def test_the_admin_is_called_ambassadorsnatverket(superuser_client):
    content = superuser_client.get(reverse("admin:index")).content.decode()
    assert "Django" not in content
    assert "<title>Översikt | Ambassadörsnätverket</title>" in content
    assert re.search(r'<div id="site-name"><a [^>]*>Ambassadörsnätverket</a>', content)  # the header
    assert "Webbplatsadministration" not in content


def test_no_two_models_share_a_swedish_name():
    with translation.override("sv"):
        for attribute in ("verbose_name", "verbose_name_plural"):
            names = [str(getattr(model._meta, attribute)).lower() for model in admin.site._registry]
            assert len(names) == len(set(names)), sorted(names)
        assert str(Campaign._meta.verbose_name_plural) == "utskick"
        assert str(Delivery._meta.verbose_name_plural) == "skickade mejl"


def is_internal(cell: str) -> bool:
    """A code rather than words: a template name (application_declined), a language code, "step"."""
    return cell in {"sv", "en", "step", "campaign"} or re.search(r"\b[a-z]+_[a-z_]+\b", cell) is not None


def result_cells(html: str) -> list[str]:
    """The text of each cell of the list's result table."""
    table = html[html.index('id="result_list"') : html.index("</table>", html.index('id="result_list"'))]
    cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", table, re.DOTALL)
    return [re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", cell))).strip() for cell in cells]


def test_the_deliveries_list_shows_readable_labels_not_codes(superuser_client, objects):
    campaign = objects[Campaign]
    DeliveryFactory(template="campaign", campaign=campaign, ambassador=objects[Ambassador])
    DeliveryFactory(template="step", step=objects["step"], ambassador=objects[Ambassador], language="en")
    cells = result_cells(superuser_client.get(reverse("admin:campaigns_delivery_changelist")).content.decode())
    text = " | ".join(cells)
    assert not [cell for cell in cells if is_internal(cell)], cells
    assert "Ansökan avböjd" in text
    assert "Utskick: Nyhetsbrev december" in text
    assert "Introduktion: Välkommen, [förnamn]!" in text
    assert "Svenska" in text and "Engelska" in text
    assert "{{" not in text


def test_the_delivery_filter_offers_labels_not_codes(superuser_client, objects):
    content = superuser_client.get(reverse("admin:campaigns_delivery_changelist")).content.decode()
    assert "Ansökan avböjd" in content
    assert ">application_declined<" not in content


def test_lists_show_no_internal_keys(superuser_client, objects, seed_data):
    cells = result_cells(superuser_client.get(reverse("admin:campaigns_sequence_changelist")).content.decode())
    assert "Introduktion" in cells
    assert not {"introduktion", "onboarding"} & set(cells), cells


def test_lists_show_no_raw_merge_fields(superuser_client, objects):
    for name in ("enrollment", "campaign", "delivery"):
        cells = result_cells(superuser_client.get(reverse(f"admin:campaigns_{name}_changelist")).content.decode())
        assert not [cell for cell in cells if "{{" in cell], (name, cells)
    cells = result_cells(superuser_client.get(reverse("admin:campaigns_enrollment_changelist")).content.decode())
    assert "Dag 0: Välkommen, [förnamn]!" in cells


def test_objects_are_named_for_people_not_by_their_ids(objects):
    with translation.override("sv"):
        assert str(objects[Enrollment]) == "Anna Ödmark – Introduktion"
        assert str(objects[Unsubscribe]) == "Anna Ödmark – Nyhetsbrev"
        assert "registry" not in str(objects[ConsentRecord])
        assert "application_declined" not in str(objects[Delivery])
        link = Ambassador.interests.through.objects.get()
        assert str(link) == "Anna Ödmark – Kultur"
        assert str(Ambassador.interests.through._meta.verbose_name) == "ambassadör – intresse"


def test_deleting_an_ambassador_says_in_swedish_what_goes(superuser_client, objects):
    ambassador = objects[Ambassador]
    content = superuser_client.get(reverse("admin:network_ambassador_delete", args=[ambassador.pk])).content.decode()
    texts = " ".join(visible_texts(content))
    assert "Radera de här personerna?" in texts and "Anna Ödmark" in texts
    assert "ansökningar" in texts and "pseudonym" in texts  # what goes, and what is kept
    assert "object (" not in content and " in " not in texts


def test_the_language_is_shown_as_a_word(superuser_client, objects):
    application = objects[Application]
    content = superuser_client.get(reverse("admin:network_application_change", args=[application.pk])).content
    assert "Svenska" in " ".join(visible_texts(content.decode()))
