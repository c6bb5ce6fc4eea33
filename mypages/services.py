"""Signing in to Mina sidor: a link by email, valid for 30 minutes and used once, then a session of its own.

The link carries `[link id, secret]`, signed with a key salted for this purpose only (crm.tokens), so a link
made for anything else (a confirmation, an unsubscribe) is refused, and so is a changed one. The database keeps a
hash of the secret and when the link was used: a second use is refused, and reading the table signs nobody in.

The session holds the ambassador's id under its own key, apart from the staff's login: signing in or out of Mina
sidor never touches an admin login in the same browser, nor the other way round. It ends after an hour without a
request (and with the session cookie, at the latest 8 hours after it was set).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaigns.services import email_queue
from crm.languages import with_language
from crm.tokens import TokenExpired, TokenInvalid, token_make, token_read
from network import selectors
from network.models import Ambassador
from network.services import note_add

from .models import SignInLink

PURPOSE = "mypages-sign-in"
LINK_MAX_AGE = timedelta(minutes=30)
SESSION_KEY = "mypages_ambassador_id"
SEEN_KEY = "mypages_seen_at"
ENDED_KEY = "mypages_session_ended"
IDLE_SECONDS = 3600
# Used and expired links are kept a day (the person may ask what happened), then deleted.
LINK_KEPT = timedelta(days=1)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def sign_in_url(token: str, language: str = "sv") -> str:
    """The emailed sign-in link, opening Mina sidor in the ambassador's language."""
    return with_language(f"{settings.SITE_URL}{reverse('mypages-sign-in', args=[token])}", language)


@transaction.atomic
def sign_in_link_request(*, email_address: str, now: datetime | None = None) -> SignInLink | None:
    """Email a sign-in link to the ambassador with this address; nothing at all for an unknown address (the caller
    shows the same page either way, so nobody learns who is an ambassador)."""
    now = now or timezone.now()
    SignInLink.objects.filter(expires_at__lt=now - LINK_KEPT).delete()
    ambassador = selectors.ambassador_by_email(email_address)
    if ambassador is None:
        return None
    secret = secrets.token_urlsafe(32)
    link = SignInLink.objects.create(ambassador=ambassador, secret_hash=_hash(secret), expires_at=now + LINK_MAX_AGE)
    email_queue(
        template="mypages_link",
        to_email=ambassador.email,
        to_name=ambassador.full_name,
        language=ambassador.language,
        ambassador=ambassador,
        context={
            "first_name": ambassador.first_name,
            "sign_in_url": sign_in_url(token_make(PURPOSE, [link.pk, secret]), ambassador.language),
            "minutes": int(LINK_MAX_AGE.total_seconds() // 60),
        },
    )
    return link


class LinkProblem(enum.Enum):
    EXPIRED = "expired"
    USED = "used"
    INVALID = "invalid"


def _link(token: str, now: datetime) -> tuple[SignInLink | None, LinkProblem | None]:
    try:
        link_id, secret = token_read(PURPOSE, token, max_age=LINK_MAX_AGE)
        link_id, secret = int(link_id), str(secret)
    except TokenExpired:
        return None, LinkProblem.EXPIRED
    except (TokenInvalid, TypeError, ValueError):
        return None, LinkProblem.INVALID
    link = SignInLink.objects.filter(pk=link_id).select_related("ambassador").first()
    if link is None or not hmac.compare_digest(link.secret_hash, _hash(secret)):
        # Deleted a day after it expired, or its person erased: an old link either way, or a forged one.
        return None, LinkProblem.INVALID
    if link.used_at is not None:
        return link, LinkProblem.USED
    if link.expires_at <= now:
        return link, LinkProblem.EXPIRED
    return link, None


def sign_in_link_check(token: str, *, now: datetime | None = None) -> LinkProblem | None:
    """Why this link cannot sign anyone in, or None while it can (the GET, which changes nothing)."""
    return _link(token, now or timezone.now())[1]


def sign_in_link_use(token: str, *, now: datetime | None = None) -> tuple[Ambassador | None, LinkProblem | None]:
    """Use the link: the ambassador it signs in, once (a conditional update, so two clicks at once sign in once)."""
    now = now or timezone.now()
    link, problem = _link(token, now)
    if problem is not None:
        return None, problem
    used = SignInLink.objects.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
    if not used:
        return None, LinkProblem.USED
    return link.ambassador, None


# The session -------------------------------------------------------------------------------------------------


def session_start(request, ambassador: Ambassador) -> None:
    # A new session key, so that one planted in the browser beforehand (session fixation) is worth nothing.
    request.session.cycle_key()
    request.session[SESSION_KEY] = ambassador.pk
    request.session[SEEN_KEY] = int(time.time())
    request.session.pop(ENDED_KEY, None)


def session_end(request) -> None:
    for key in (SESSION_KEY, SEEN_KEY):
        request.session.pop(key, None)
    request.session.cycle_key()


def session_ambassador(request) -> Ambassador | None:
    """The signed-in ambassador, or None. A session an hour idle ends here (and says so once, `session_ended`)."""
    ambassador_id = request.session.get(SESSION_KEY)
    if ambassador_id is None:
        return None
    now = int(time.time())
    if now - request.session.get(SEEN_KEY, 0) > IDLE_SECONDS:
        session_end(request)
        request.session[ENDED_KEY] = True
        return None
    ambassador = Ambassador.objects.filter(pk=ambassador_id).select_related("locality").first()
    if ambassador is None:  # erased meanwhile
        session_end(request)
        return None
    if now - request.session[SEEN_KEY] >= 60:  # written at most once a minute
        request.session[SEEN_KEY] = now
    return ambassador


def session_ended(request) -> bool:
    """True once after an idle session ended: the page says why they have to sign in again."""
    return bool(request.session.pop(ENDED_KEY, False))


# What the person changed, on their timeline ------------------------------------------------------------------


def _details_labels() -> dict:
    return {
        "first_name": _("first name"),
        "last_name": _("last name"),
        "phone": _("phone"),
        "locality": _("locality"),
        "interests": _("interests"),
    }


def details_snapshot(ambassador: Ambassador) -> dict:
    """The details the person can change on Mina sidor, as the details form gives them back."""
    return {
        "first_name": ambassador.first_name,
        "last_name": ambassador.last_name,
        "phone": ambassador.phone,
        "locality": ambassador.locality_id,
        "interests": set(ambassador.interests.values_list("pk", flat=True)),
    }


def details_change_record(*, ambassador: Ambassador, before: dict) -> None:
    """A line on the coordinator's timeline of the person naming what they changed on Mina sidor (no values:
    those are on the page); nothing when nothing changed. In the coordinator's language, whatever the person's."""
    after = details_snapshot(ambassador)
    changed = [field for field in after if after[field] != before.get(field)]
    if not changed:
        return
    with translation.override(settings.LANGUAGE_CODE):
        labels = _details_labels()
        text = _("Changed their details on Mina sidor: %(fields)s") % {
            "fields": ", ".join(labels[field] for field in changed)
        }
    note_add(person=ambassador, author=None, text=text)


def mailings_change_record(*, ambassador: Ambassador, before: tuple[bool, bool], by_email_link: bool = False) -> None:
    """A line on the coordinator's timeline of the person when they chose other mailings on Mina sidor (or on the
    preferences page an email's unsubscribe link leads to: `by_email_link`)."""
    after = (ambassador.wants_newsletters, ambassador.wants_invitations)
    if after == before:
        return
    with translation.override(settings.LANGUAGE_CODE):
        kinds = [_("newsletters"), _("invitations")]
        choices = [
            (_("%(kind)s on") if wanted else _("%(kind)s off")) % {"kind": kind}
            for kind, wanted, was in zip(kinds, after, before, strict=True)
            if wanted != was
        ]
        text = (
            _("Changed their mailings via the link in an email: %(choices)s")
            if by_email_link
            else _("Changed their mailings on Mina sidor: %(choices)s")
        ) % {"choices": ", ".join(choices)}
    note_add(person=ambassador, author=None, text=text)
