"""Every kind of email the product sends: who reads it, in which language, whether it is bulk mail, and the one
function that queues it. One entry per directory of templates/emails/ (the campaign and the sequence step included).

`build_message` reads it for what differs by reader: mail to members, applicants and the people we recruit names
the coordinator (footer and Reply-To); mail to staff names its recipient in To and has no Reply-To but the person
it is about; bulk mail (campaigns, and the invitation to apply, which goes to people who never signed up) carries
List-Unsubscribe and no Auto-Submitted. tests/campaigns/test_email_catalogue.py renders every kind for a Swedish and
an English reader through the function named here.
"""

from __future__ import annotations

from dataclasses import dataclass

# Who reads it.
MEMBER = "member"  # an ambassador
APPLICANT = "applicant"  # someone who signed up, before approval
CONTACT = "contact"  # someone we recruit or who was recommended to us: never signed up
STAFF = "staff"  # the coordinator, or a member of staff who follows contacts up

# In which language.
READERS = "the reader's"  # the recipient's language, for every word of it
SWEDISH_UNLESS_TRANSLATED = "the reader's where the text has it, else wholly Swedish"  # written by the coordinator
SWEDISH = "Swedish"  # staff read Swedish


@dataclass(frozen=True)
class Kind:
    template: str
    reader: str
    language: str
    sent_by: str  # the dotted path of the one function that queues it
    bulk: bool = False

    @property
    def names_the_coordinator(self) -> bool:
        return self.reader != STAFF


KINDS = {
    kind.template: kind
    for kind in [
        Kind("application_confirm", APPLICANT, READERS, "network.applications.application_submit"),
        Kind("already_ambassador", MEMBER, READERS, "network.applications.application_submit"),
        Kind("application_approved", MEMBER, READERS, "campaigns.services.welcome.ambassador_welcome"),
        Kind("application_declined", APPLICANT, READERS, "network.applications.application_decline"),
        Kind("mypages_link", MEMBER, READERS, "mypages.services.sign_in_link_request"),
        Kind("step", MEMBER, SWEDISH_UNLESS_TRANSLATED, "campaigns.services.sequences.enrollments_advance"),
        Kind("campaign", MEMBER, SWEDISH_UNLESS_TRANSLATED, "campaigns.services.newsletters.campaign_fan_out", True),
        Kind("event_confirmation", MEMBER, READERS, "network.events.registration_answer"),
        Kind("event_waitlisted", MEMBER, READERS, "network.events.registration_answer"),
        Kind("event_promoted", MEMBER, READERS, "network.events.waitlist_promote"),
        Kind("event_updated", MEMBER, READERS, "network.events.event_changed"),
        Kind("event_cancelled", MEMBER, READERS, "network.events.registration_answer"),
        Kind("event_reminder", MEMBER, READERS, "network.events.event_reminders_send"),
        Kind("event_invitation_reminder", MEMBER, READERS, "network.event_answers.invitation_reminders_send"),
        Kind("event_follow_up", MEMBER, SWEDISH_UNLESS_TRANSLATED, "network.events.event_follow_ups_send"),
        Kind("recommendation_notice", CONTACT, READERS, "network.recruitment.recommendation_notice_queue"),
        Kind("recruitment_invitation", CONTACT, READERS, "network.recruitment.contacts_invite", True),
        Kind("recommendation_received", STAFF, SWEDISH, "network.recruitment.recommendation_submit"),
        Kind("coordinator_digest", STAFF, SWEDISH, "campaigns.services.digest.coordinator_digest_queue"),
        Kind("follow_ups_due", STAFF, SWEDISH, "campaigns.services.digest.follow_ups_due_queue"),
        Kind("monthly_report", STAFF, SWEDISH, "dashboard.report.monthly_report_queue"),
    ]
}


def kind_of(template: str) -> Kind:
    """The catalogue's entry; a template missing from it is a bug (tests/campaigns/test_email_catalogue.py)."""
    return KINDS[template]
