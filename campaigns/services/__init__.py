"""The email services other apps call (HackSoft style: `<entity>_<action>`, keyword arguments): this module exports
those and nothing else. Inside campaigns, each service is imported from the module named after what it does:

- `outbox`: the Delivery rows (one per email), queued in the caller's transaction and sent by the workers;
  `claim` (a worker's hold on the rows it sends), `send_errors` (what to retry) and `rate_clock` (the shared
  rate limit) serve it;
- `newsletters`: campaigns from draft to sent, and the recipients' say (unsubscribe, preferences);
- `sequences`: onboarding and other series of steps; `welcome`: a new ambassador's first email or series;
- `invitations`: an event's invitation as a draft campaign;
- `digest`: the coordinator's daily digest and follow-ups; `tracking`: the ESP's reports (opens, bounces).

Nothing here imports campaigns.tasks: a service starts a task by publishing its name (`outbox.tasks_publish`).
"""

from ..privacy import address_erased, application_emails_erase, contact_emails_erase
from .invitations import invitation_draft
from .newsletters import preferences_set
from .outbox import email_queue
from .sequences import enroll_each, enrollments_stop
from .welcome import ambassador_welcome

__all__ = [
    "address_erased",
    "application_emails_erase",
    "contact_emails_erase",
    "ambassador_welcome",
    "email_queue",
    "enroll_each",
    "enrollments_stop",
    "invitation_draft",
    "preferences_set",
]
