"""System checks for the email settings: `manage.py check`, `migrate`, `runserver` and gunicorn (gunicorn.conf.py)
refuse to start with these errors."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register


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
