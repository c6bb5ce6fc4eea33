"""The email services other parts of the product call (HackSoft style: `<entity>_<action>`, keyword arguments).

Each lives in a module named after what it does; this module is the one place callers import them from.
"""

from .digest import coordinator_digest_queue, follow_ups_due_queue
from .newsletters import (
    CampaignError,
    campaign_cancel,
    campaign_checklist,
    campaign_duplicate,
    campaign_enqueue,
    campaign_fan_out,
    campaign_pause,
    campaign_resume,
    campaign_schedule,
    campaign_send_test,
    campaign_unschedule,
    campaigns_start_due,
    preferences_set,
    unsubscribe,
)
from .outbox import (
    deliveries_enqueue,
    deliveries_send,
    deliveries_sweep,
    delivery_send,
    email_queue,
    retry_delay,
    send_slots,
    suppression_add,
)
from .privacy import address_erased
from .sequences import enroll, enroll_each, enrollments_advance, enrollments_stop, sequence_reschedule
from .tracking import tracking_event_process, tracking_event_record
from .welcome import ambassador_welcome

__all__ = [
    "CampaignError",
    "address_erased",
    "ambassador_welcome",
    "campaign_cancel",
    "campaign_checklist",
    "campaign_duplicate",
    "campaign_enqueue",
    "campaign_fan_out",
    "campaign_pause",
    "campaign_resume",
    "campaign_schedule",
    "campaign_send_test",
    "campaign_unschedule",
    "campaigns_start_due",
    "coordinator_digest_queue",
    "deliveries_enqueue",
    "deliveries_send",
    "deliveries_sweep",
    "delivery_send",
    "email_queue",
    "enroll",
    "enroll_each",
    "enrollments_advance",
    "enrollments_stop",
    "follow_ups_due_queue",
    "preferences_set",
    "retry_delay",
    "send_slots",
    "sequence_reschedule",
    "suppression_add",
    "tracking_event_process",
    "tracking_event_record",
    "unsubscribe",
]
