"""Plain Swedish, measured by the product itself (issue 21, crm.readability): every Lättläst page has LIX at most 30
and no sentence over 15 words; every other public page, every shipped onboarding step and (in
tests/campaigns/test_email_catalogue.py) every transactional email has LIX at most 45.

Pages are read as a reader meets them: the text of <main> (crm.readability.page_text), rendered by the test client
in Swedish. Both kinds of page are found from the URL configuration, so a page added later is measured too."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from campaigns.merge import markdown_text, merge, merge_values
from campaigns.models import Delivery, Step
from crm.readability import long_sentences, page_text, readability
from mypages import services as mypages
from pages.content import default_fields
from pages.models import Page
from tests.email_examples import COORDINATOR, named_coordinator
from tests.factories import AmbassadorFactory
from tests.public_pages import public_paths, real_tokens, routes

pytestmark = pytest.mark.django_db

EASY_LIX, EASY_WORDS = 30, 15  # Lättläst
PLAIN_LIX = 45  # everything else we write
TWENTY_WORDS = "Den här meningen är alldeles för lång för en lättläst sida eftersom den har hela tjugo ord i sig nu."


def too_hard(name: str, text: str, *, max_lix: float, max_words: int | None = None) -> str | None:
    """Why `text` is too hard to read (its LIX, or a sentence too long), naming it and its longest sentence; None
    when it reads easily enough. The one check every test here makes."""
    result = readability(text)
    long = long_sentences(text, max_words) if max_words else []
    if result.lix <= max_lix and not long:
        return None
    message = f"{name}: LIX {result.lix} (at most {max_lix}); longest sentence, {result.longest_sentence} words: "
    message += repr(result.longest)
    return message + (f"; over {max_words} words: {long}" if long else "")


EASY_PAGES = sorted(name for _route, name in routes() if name and name.startswith("easy-"))


def swedish(client: Client | None = None) -> Client:
    client = client or Client()
    client.cookies["django_language"] = "sv"
    return client


def signed_in(ambassador) -> Client:
    """A browser signed in to Mina sidor through a real link."""
    client = swedish()
    mypages.sign_in_link_request(email_address=ambassador.email)
    url = Delivery.objects.filter(template="mypages_link").latest("pk").context["sign_in_url"]
    client.post(url.removeprefix("http://testserver").split("?")[0])
    assert client.session[mypages.SESSION_KEY] == ambassador.pk
    return client


def public_pages() -> list[tuple[str, Client]]:
    """Every public page a GET shows but the Lättläst ones, with the browser to open it in: the pages a link's
    token opens with a real token and with a refused one, Mina sidor's pages signed in and not."""
    ambassador = AmbassadorFactory(first_name="Anna", last_name="Lindqvist", email="anna@example.org")
    mypages.sign_in_link_request(email_address=ambassador.email)
    sign_in = Delivery.objects.get(template="mypages_link").context["sign_in_url"].split("?")[0]
    tokens = {**real_tokens(ambassador), "mypages-sign-in": sign_in.rstrip("/").rsplit("/", 1)[1]}
    member = signed_in(ambassador)
    pages = []
    for path, name in public_paths(tokens):
        if (name or "").startswith("easy-"):
            continue
        pages.append((path, swedish()))
        if path.startswith("/mina-sidor/"):
            pages.append((path, member))
    return [(path, client) for path, client in pages if client.get(path).status_code != 405]


# Lättläst ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EASY_PAGES)
def test_every_lattlast_page_reads_easily(name):
    response = swedish().get(reverse(name))
    assert response.status_code == 200
    problem = too_hard(reverse(name), page_text(response.content.decode()), max_lix=EASY_LIX, max_words=EASY_WORDS)
    assert problem is None, problem


@pytest.mark.parametrize("name", EASY_PAGES)
def test_every_lattlast_page_is_swedish_when_the_visitor_chose_english(name):
    client = Client()
    client.cookies["django_language"] = "en"
    response = client.get(reverse(name))
    assert '<html lang="sv"' in response.content.decode(), name
    assert response["Content-Language"] == "sv", name


@pytest.mark.parametrize("name", ["easy-contact", "easy-accessibility"])
def test_a_named_coordinator_is_on_the_lattlast_contact_pages_and_they_still_read_easily(name, settings):
    named_coordinator(settings)
    html = swedish().get(reverse(name)).content.decode()
    assert COORDINATOR["email"] in html and "070-190 64 48" in html
    assert COORDINATOR["name"] in html or name != "easy-contact"
    assert too_hard(name, page_text(html), max_lix=EASY_LIX, max_words=EASY_WORDS) is None


def test_there_is_a_lattlast_page_for_each_page_that_informs():
    assert set(EASY_PAGES) >= {"easy-about", "easy-signup", "easy-privacy", "easy-accessibility", "easy-contact"}


def test_the_check_fails_on_a_sentence_of_twenty_words():
    fields = default_fields("about")  # the shipped text, as the coordinator may have saved it, and one sentence more
    Page.objects.update_or_create(
        slug="about", defaults={**fields, "easy_body": fields["easy_body"] + "\n\n" + TWENTY_WORDS}
    )
    response = swedish().get(reverse("easy-about"))
    assert TWENTY_WORDS in response.content.decode()
    problem = too_hard("/lattlast/", page_text(response.content.decode()), max_lix=EASY_LIX, max_words=EASY_WORDS)
    assert problem is not None and "20 words" in problem and TWENTY_WORDS.rstrip(".") in problem, problem


# Every other public page, and the onboarding ---------------------------------------------------------------------


def test_every_other_public_page_reads_plainly_in_swedish():
    pages = public_pages()
    assert len(pages) > 20
    problems = []
    for path, client in pages:
        response = client.get(path, follow=True)
        assert response["Content-Type"].startswith("text/html"), path
        problems.append(too_hard(path, page_text(response.content.decode()), max_lix=PLAIN_LIX))
    assert [problem for problem in problems if problem] == []


def test_every_onboarding_step_shipped_reads_plainly(seed_data):
    steps = Step.objects.filter(sequence__slug="onboarding")
    assert steps.exists()
    values = merge_values(AmbassadorFactory(first_name="Anna", last_name="Lindqvist"))
    problems = []
    for step in steps:
        for language, body in (("sv", step.body), ("en", step.body_en)):
            if body.strip():
                text = markdown_text(merge(body, values))
                problems.append(too_hard(f"step {step.delay_days} ({language})", text, max_lix=PLAIN_LIX))
    assert [problem for problem in problems if problem] == []
