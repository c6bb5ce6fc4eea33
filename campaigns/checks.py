"""System checks for the email settings: `manage.py check`, `migrate`, `runserver` and gunicorn (gunicorn.conf.py)
refuse to start with these errors."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security)
def webhook_checks(app_configs=None, **kwargs) -> list[Error]:
    from .webhooks import TRACKING_VIEWS

    esps = list(getattr(settings, "EMAIL_WEBHOOK_ESPS", []))
    errors = [
        Error(
            f"EMAIL_WEBHOOK_ESPS names {esp!r}, which has no tracking webhook here.",
            hint=f"Use one of: {', '.join(sorted(TRACKING_VIEWS))}.",
            id="campaigns.E002",
        )
        for esp in esps
        if esp not in TRACKING_VIEWS
    ]
    secret = (getattr(settings, "ANYMAIL", None) or {}).get("WEBHOOK_SECRET")
    if esps and not secret and not settings.DEBUG:
        errors.append(
            Error(
                f"Tracking webhooks are routed for {', '.join(esps)} without ANYMAIL_WEBHOOK_SECRET: "
                "anyone could post bounces and complaints and suppress any address.",
                hint="Set ANYMAIL_WEBHOOK_SECRET=user:password (and use it in the ESP's webhook URL), "
                "or route no webhooks with EMAIL_WEBHOOK_ESPS= (empty).",
                id="campaigns.E001",
            )
        )
    return errors


# Backends that deliver nothing to anyone: fine for development and tests, never for production.
NOWHERE_BACKENDS = {
    "crm.mailbox.EmailBackend",
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
}
# Mailpit (and MailHog before it) under their compose names and their SMTP port: they catch mail, they send none.
TEST_SINK_HOSTS = {"mailpit", "mailhog"}
TEST_SINK_PORT = 1025


@register(Tags.compatibility)
def email_destination_check(app_configs=None, **kwargs) -> list[Error]:
    """With DEBUG off, email must go somewhere real: not into Mailpit, a file or nowhere, unless that is meant
    (EMAIL_ALLOW_TEST_SINK, for a try-out or a staging server)."""
    if settings.DEBUG or getattr(settings, "EMAIL_ALLOW_TEST_SINK", False):
        return []
    backend = settings.EMAIL_BACKEND
    if backend in NOWHERE_BACKENDS:
        problem = f"EMAIL_BACKEND={backend} delivers email to nobody."
    elif backend != "django.core.mail.backends.smtp.EmailBackend":
        return []  # an ESP (anymail) or a backend of the municipality's own
    elif not settings.EMAIL_HOST:
        problem = "EMAIL_HOST is not set: there is no SMTP server to send email through."
    elif settings.EMAIL_HOST.lower() in TEST_SINK_HOSTS or settings.EMAIL_PORT == TEST_SINK_PORT:
        problem = f"EMAIL_HOST={settings.EMAIL_HOST}:{settings.EMAIL_PORT} is a test mail catcher (Mailpit), not a mail server."
    else:
        return []
    return [
        Error(
            f"{problem} With DJANGO_DEBUG off every confirmation, invitation and newsletter would be lost.",
            hint="Set EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS) to your "
            "mail server, or EMAIL_BACKEND to an ESP; on a try-out or staging server set EMAIL_ALLOW_TEST_SINK=1.",
            id="campaigns.E003",
        )
    ]


@register(Tags.compatibility, deploy=True)
def coordinator_check(app_configs=None, **kwargs) -> list[Warning]:
    """Every email names the coordinator and replies go to her: in production (`check --deploy`), a person must be
    named."""
    if settings.DEBUG:
        return []
    empty = [
        name
        for name in ("COORDINATOR_NAME", "COORDINATOR_EMAIL", "COORDINATOR_PHONE")
        if not getattr(settings, name).strip()
    ]
    if not empty:
        return []
    return [
        Warning(
            f"{', '.join(empty)} not set: every email names the coordinator in its footer and sends replies to her.",
            hint="Set COORDINATOR_NAME, COORDINATOR_EMAIL and COORDINATOR_PHONE to the person who answers (people "
            "answer people; a role name gets fewer replies).",
            id="campaigns.W001",
        )
    ]
