"""Campaign messages to an ESP in batches: one API call for a claimed chunk, each recipient's result mapped back.

Mailjet (anymail.backends.mailjet) is the ESP that fits. Its Send API v3.1 takes up to 50 complete messages in one
call ("Messages": each with its own To, Subject, TextPart, HTMLPart and Headers, overriding "Globals") and answers
for each one, in order, "Status": "success" with the recipient's MessageID, or "error" (a partial failure is an
HTTP 400 whose "Messages" mix both, which anymail reads as per-recipient "sent" / "failed"). So every recipient gets
exactly the message the one-by-one path sends: our own merge (fallbacks, HTML escaping, safe links), unsubscribe
link, List-Unsubscribe and Message-ID, with no template language of the ESP in between.

The others, as anymail implements them: Postmark's /email/batch substitutes per-recipient data only into stored
templates (anymail refuses merge_data without template_id) and Amazon SES v2 bulk sends only stored templates;
Mailgun, SendGrid, SparkPost and Brevo substitute merge_data into one shared body with their own template syntax
(escaping rules that are not ours) and report one id or counts for the whole call, not each recipient's fate.

Each entry is what anymail's own MailjetPayload makes of the EmailMessage the one-by-one path would send
(campaigns.emails.campaign_message): made in full once per campaign and language (the frame: sender, Reply-To and
the send defaults), then per recipient only what differs is set as the payload sets it (To, parsed as anymail
parses it; Subject; TextPart; HTMLPart; Headers). tests/campaigns/test_esp_batch.py compares both for hostile names.
"""

from __future__ import annotations

from anymail.backends.mailjet import EmailBackend as MailjetBackend
from anymail.utils import CaseInsensitiveDict, parse_address_list
from django.core.mail import EmailMessage

from .emails import campaign_content, campaign_message
from .models import Delivery

LIMIT = 50  # messages per call (Mailjet's limit for one Send API v3.1 request)
SENT = {"sent", "queued"}
REFUSED = {"invalid", "rejected"}  # the address itself: suppressed, as AnymailRecipientsRefused is one by one
INVALID_ADDRESS = "mj-0013"  # Mailjet's error code for an entry whose address is invalid


def supported(connection) -> bool:
    return isinstance(connection, MailjetBackend)


class Batch:
    """Campaign deliveries gathered for one call; addresses are unique in a batch (results are keyed on them)."""

    def __init__(self, connection):
        self.connection = connection
        self.items: list[tuple[Delivery, dict]] = []
        self.addresses: set[str] = set()
        self.frames: dict[tuple[int, str], tuple[dict, object]] = {}  # (campaign, language) → (entry, payload)

    def __len__(self) -> int:
        return len(self.items)

    def fits(self, delivery: Delivery) -> bool:
        return len(self.items) < LIMIT and delivery.to_email.lower() not in self.addresses

    def entry(self, delivery: Delivery) -> dict:
        """The delivery's message as one Messages entry of the Send API (rendering errors propagate)."""
        key = (delivery.campaign_id, delivery.language)
        if key not in self.frames:
            payload = self.connection.build_message_payload(campaign_message(delivery), self.connection.send_defaults)
            self.frames[key] = ({**payload.data["Globals"], **payload.data["Messages"][0]}, payload)
            return dict(self.frames[key][0])
        frame, payload = self.frames[key]
        content = campaign_content(delivery)
        entry = {
            **frame,
            "To": [payload._mailjet_email(address) for address in parse_address_list([content.to], field="to")],
            "Subject": content.subject,
            "HTMLPart": content.html,
            "Headers": CaseInsensitiveDict(content.headers),
        }
        if content.text:  # as MailjetPayload.set_text_body
            entry["TextPart"] = content.text
        else:
            entry.pop("TextPart", None)
        return entry

    def add(self, delivery: Delivery, entry: dict) -> None:
        self.items.append((delivery, entry))
        self.addresses.add(delivery.to_email.lower())

    def keep(self, held) -> None:
        """Keep only the deliveries `held(delivery)` says are still ours to send (the claim's lease)."""
        self.items = [(delivery, entry) for delivery, entry in self.items if held(delivery)]

    def take(self) -> list[tuple[Delivery, dict]]:
        items, self.items, self.addresses = self.items, [], set()
        return items

    def send(self, items: list[tuple[Delivery, dict]]) -> list[tuple[Delivery, str, str, str]]:
        """One call for the items. Returns (delivery, status, ESP message id, error) for each, status as anymail
        reports it ("sent", "queued", "failed", "invalid", "rejected", "unknown"); raises what the call raised
        (the whole batch failed: 429, 5xx, a lost connection) for send_errors.error_classify."""
        first = items[0][1]
        carrier = EmailMessage(
            subject=first.get("Subject", ""),
            body=first.get("TextPart", ""),
            from_email=first["From"]["Email"],  # each entry has its own From, Subject and parts
            to=[entry["To"][0]["Email"] for _delivery, entry in items],
            connection=self.connection,
        )
        carrier.esp_extra = {"Messages": [entry for _delivery, entry in items]}
        self.connection.open()
        self.connection.send_messages([carrier])
        results = {address.lower(): status for address, status in carrier.anymail_status.recipients.items()}
        errors = _errors(carrier.anymail_status.esp_response, len(items))
        out = []
        for (delivery, entry), error in zip(items, errors, strict=True):
            status = results.get(entry["To"][0]["Email"].lower())
            if status is None:
                out.append((delivery, "unknown", "", error))
            elif status.status == "failed" and INVALID_ADDRESS in error:
                out.append((delivery, "invalid", "", error))  # Mailjet names no status for it, only this code
            else:
                out.append((delivery, status.status, status.message_id or "", error))
        return out


def _errors(response, count: int) -> list[str]:
    """Mailjet's error message for each entry (its answers are in the order of the request), "" for the others."""
    try:
        answers = response.json()["Messages"]
    except Exception:  # noqa: BLE001 - only for the log line; the statuses come from anymail
        return [""] * count
    if len(answers) != count:
        return [""] * count
    return [
        "; ".join(f"{e.get('ErrorCode', '')} {e.get('ErrorMessage', '')}".strip() for e in answer.get("Errors", []))
        for answer in answers
    ]
