"""The network's writes (HackSoft style: `<entity>_<action>`, keyword arguments).

Each lives in a module named after its subject; this module is the one place callers import them from.
"""

from .applications import (
    CONFIRM_MAX_AGE,
    CONSENT_VERSION,
    RESEND_INTERVAL,
    ConfirmResult,
    ReviewError,
    application_approve,
    application_confirm,
    application_decline,
    application_from_token,
    application_resend_confirmation,
    application_submit,
    confirm_url,
)
from .members import (
    ambassador_details_update,
    ambassador_leave,
    ambassador_mailings_choose,
    ambassadors_start_onboarding,
)
from .recruitment import (
    CONTACT_OBJECTION,
    ObjectionResult,
    contact_objection,
    contact_objection_url,
    referral_notice_queue,
    referral_submit,
    referral_unwanted,
)

__all__ = [
    "CONFIRM_MAX_AGE",
    "CONSENT_VERSION",
    "CONTACT_OBJECTION",
    "RESEND_INTERVAL",
    "ConfirmResult",
    "ObjectionResult",
    "ReviewError",
    "ambassador_details_update",
    "ambassador_leave",
    "ambassador_mailings_choose",
    "ambassadors_start_onboarding",
    "application_approve",
    "application_confirm",
    "application_decline",
    "application_from_token",
    "application_resend_confirmation",
    "application_submit",
    "confirm_url",
    "contact_objection",
    "contact_objection_url",
    "referral_notice_queue",
    "referral_submit",
    "referral_unwanted",
]
