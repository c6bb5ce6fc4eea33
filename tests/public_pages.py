"""Every public page a GET shows, read from the URL configuration (a page added later is included): the pages a
link's token opens, with a real token of the kind each takes and with a refused one ("ogiltig")."""

from __future__ import annotations

from django.urls import URLResolver, get_resolver

from crm.tokens import token_make
from tests.factories import AmbassadorFactory, ApplicationFactory, EventFactory, RecruitmentContactFactory

NOT_PAGES = ("admin/", "webhooks/", "i18n/", "healthz", "favicon.ico", "mina-sidor/mina-data.json")


def routes() -> list[tuple[str, str | None]]:
    """(route, URL name) of every path in the URL configuration."""

    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            else:
                yield prefix + str(entry.pattern), entry.name

    return list(walk(get_resolver().url_patterns))


def real_tokens(ambassador=None) -> dict[str, str]:
    """A real token for each kind of link (by URL name), for `ambassador` where the link is someone's."""
    from network import events
    from network import services as people

    application = ApplicationFactory(first_name="Anna", last_name="Lindqvist", email="anna@example.org")
    ambassador = ambassador or AmbassadorFactory(first_name="Anna", last_name="Lindqvist", email="anna@example.org")
    contact = RecruitmentContactFactory(name="Bo Berg", email="bo@example.org")
    unsubscribe = token_make("unsubscribe", [ambassador.pk, "newsletter", None])
    return {
        "application-confirm": token_make("confirm", application.pk),
        "unsubscribe": unsubscribe,
        "preferences": unsubscribe,
        "rsvp": events.rsvp_token(EventFactory(title="Träff", place="Kramfors").pk, ambassador.pk),
        "recommendation-objection": people.contact_objection_url(contact).rstrip("/").rsplit("/", 1)[1],
    }


def public_paths(tokens: dict[str, str]) -> list[tuple[str, str | None]]:
    """(path, URL name) of every public page, a token route once per token (`tokens`' own, and "ogiltig")."""
    paths = []
    for route, name in routes():
        if route.startswith(NOT_PAGES):
            continue
        if "<str:token>" in route:
            chosen = [tokens[name], "ogiltig"] if name in tokens else ["ogiltig"]
            paths += [("/" + route.replace("<str:token>", token), name) for token in chosen]
        else:
            assert "<" not in route, f"{route}: give its parameters a value here"
            paths.append(("/" + route, name))
    return paths
