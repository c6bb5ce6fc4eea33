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
from .notes import note_add
from .recruitment import (
    CONTACT_OBJECTION,
    OPEN_STAGES,
    ObjectionResult,
    contact_from_invitation,
    contact_objection,
    contact_objection_url,
    contact_stage_set,
    contacts_applied,
    contacts_invite,
    contacts_joined,
    invitation_initial,
    invitation_url,
    referral_notice_queue,
    referral_submit,
    referral_unwanted,
)

__all__ = [
    "CONFIRM_MAX_AGE",
    "CONSENT_VERSION",
    "CONTACT_OBJECTION",
    "OPEN_STAGES",
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
    "contact_from_invitation",
    "contact_objection",
    "contact_objection_url",
    "contact_stage_set",
    "contacts_applied",
    "contacts_invite",
    "contacts_joined",
    "invitation_initial",
    "invitation_url",
    "note_add",
    "referral_notice_queue",
    "referral_submit",
    "referral_unwanted",
]
