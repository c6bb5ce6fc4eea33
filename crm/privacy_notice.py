"""The privacy notice at /integritet/ (GDPR articles 13 and 14), generated from the settings.

Who the controller is, the purposes with their legal basis and text version (settings.PRIVACY) and how long each
kind of data is kept (settings.RETENTION_*) come from the settings, so the page always says what the software
does; the wording is here, in English, translated in locale/sv. When a purpose's wording changes, change its
version in settings.PRIVACY: consent records carry it.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

PURPOSES = {
    "registry": {
        "title": _("The ambassador register"),
        "data": _(
            "Your name, email address, phone number, locality and interests, when you became an ambassador, what "
            "you wrote when you applied, and the coordinator's notes."
        ),
        "why": _("To run the network: to know who the ambassadors are and where, and to keep in touch with you."),
    },
    "newsletters": {
        "title": _("Newsletters"),
        "data": _("Your name and email address, and which newsletters we have sent you."),
        "why": _("To send you news from the network and the municipality by email."),
    },
    "invitations": {
        "title": _("Invitations to events and trainings"),
        "data": _("Your name and email address, the invitations we have sent you and your replies."),
        "why": _("To invite you, and to know who is coming."),
    },
    "tracking": {
        "title": _("Open and click tracking"),
        "data": _("Whether an email to you was opened, and which of its links were clicked."),
        "why": _("To learn which of our emails are read, and make them better."),
    },
    "recruitment": {
        "title": _("People recommended to us"),
        "data": _("The name and contact details someone gave us, their note, and who recommended you."),
        "why": _("To contact you once and ask whether you would like to become an ambassador."),
    },
}

BASES = {
    "consent": {
        "label": _("Your consent (GDPR article 6.1 a)"),
        "note": _(
            "You can withdraw it at any time, as easily as you gave it: with the link at the end of every email, on "
            "the preferences page it leads to, or by writing to us. Withdrawing does not make unlawful what was "
            "done before."
        ),
    },
    "public_interest": {
        "label": _("A task in the public interest (GDPR article 6.1 e)"),
        "note": _("The municipality's work to promote Kramfors. You have the right to object to it."),
    },
}


def _days(days: int) -> str:
    return ngettext("%(days)d day", "%(days)d days", days) % {"days": days}


def retention() -> list[tuple[str, str]]:
    """(what, for how long) for each kind of personal data."""
    return [
        (_("Ambassadors"), _("As long as you are an ambassador.")),
        (
            _("Ambassadors who have left the network"),
            _("Erased %(time)s after leaving.") % {"time": _days(settings.RETENTION_ALUMNI_DAYS)},
        ),
        (
            _("Applications that were never confirmed"),
            _("Erased %(time)s after they were sent.") % {"time": _days(settings.RETENTION_UNCONFIRMED_DAYS)},
        ),
        (
            _("Declined applications"),
            _("Erased %(time)s after the decision.") % {"time": _days(settings.RETENTION_DECLINED_DAYS)},
        ),
        (
            _("People recommended to us"),
            _("Erased %(time)s after the last contact.") % {"time": _days(settings.RETENTION_RECRUITMENT_DAYS)},
        ),
        (
            _("Records of the emails we sent you"),
            _("Your address, name and the email's content are erased %(time)s after it was sent; only counts remain.")
            % {"time": _days(settings.RETENTION_DELIVERY_LOG_DAYS)},
        ),
    ]


def notice() -> dict:
    """The context of the privacy page."""
    privacy = settings.PRIVACY
    purposes = []
    for key, texts in PURPOSES.items():
        config = privacy["purposes"][key]
        purposes.append(
            {
                "key": key,
                **texts,
                "basis": BASES[config["basis"]],
                "version": config["version"],
                "switched_off": key == "tracking" and not settings.EMAIL_TRACKING,
            }
        )
    return {
        "controller": privacy["controller"],
        "org_number": privacy["org_number"],
        "address": privacy["address"],
        "contact_email": privacy["contact_email"],
        "dpo_email": privacy["dpo_email"],
        "purposes": purposes,
        "recruitment": next(purpose for purpose in purposes if purpose["key"] == "recruitment"),
        "retention": retention(),
        "recruitment_days": _days(settings.RETENTION_RECRUITMENT_DAYS),
        "alumni_days": _days(settings.RETENTION_ALUMNI_DAYS),
        "version": max(config["version"] for config in privacy["purposes"].values()),
    }
