"""Errors raised while sending, sorted (pretix's retry-soon, retry-later, permanent): whether to try again, and
whether the address is bad for good (a hard bounce, which suppresses it)."""

from __future__ import annotations

import random
import smtplib
import socket

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.conf import settings


def _bad_address(code: int, message) -> bool:
    """A permanent refusal that is about the address (5.1.x: no such mailbox or domain), not about the message
    or our server (5.7.x policy, spam): only the former may suppress the address for good."""
    text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
    enhanced = text.strip().split(" ", 1)[0]
    if enhanced[:2] == "5." and enhanced.count(".") == 2:
        return enhanced.startswith("5.1.")
    return code in (550, 551, 553)


def error_classify(error: Exception) -> tuple[bool, bool]:
    """(transient, hard_bounce) for an error raised while sending."""
    if isinstance(error, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout)):
        return True, False
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refusals = list(error.recipients.values())
        if all(400 <= code < 500 for code, _msg in refusals):
            return True, False
        return False, any(code >= 500 and _bad_address(code, msg) for code, msg in refusals)
    if isinstance(error, smtplib.SMTPSenderRefused):
        # Our own From address was refused: a configuration problem, never the recipient's fault.
        return 400 <= error.smtp_code < 500, False
    if isinstance(error, smtplib.SMTPResponseException):
        if 400 <= error.smtp_code < 500:
            return True, False
        return False, _bad_address(error.smtp_code, error.smtp_error)
    if isinstance(error, AnymailRecipientsRefused):
        return False, True
    if isinstance(error, AnymailAPIError):
        status = getattr(error, "status_code", None)
        return status is None or status == 429 or status >= 500, False
    if isinstance(error, OSError):  # connection refused or reset, DNS
        return True, False
    return False, False


def retry_delay(attempt: int) -> float:
    """Exponential backoff with full jitter and a cap (seconds)."""
    base = settings.EMAIL_RETRY_BASE_SECONDS
    cap = settings.EMAIL_RETRY_MAX_SECONDS
    return random.uniform(base, min(cap, base * 2**attempt))
