"""A local mailbox for development: each message becomes an .eml file under var/mailbox/.

`make run` uses it so that no email leaves the machine; staff read it at /admin/mailbox/.
"""

from __future__ import annotations

import email
import email.policy
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        folder = Path(settings.MAILBOX_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{timezone.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
            tmp = folder / f".{name}"
            tmp.write_bytes(message.message().as_bytes(linesep="\r\n"))
            tmp.rename(folder / name)
        return len(email_messages)


@dataclass
class StoredMessage:
    name: str
    received: datetime
    to: str
    subject: str
    text: str
    html: str


def mailbox_messages(limit: int = 200) -> list[StoredMessage]:
    folder = Path(settings.MAILBOX_DIR)
    if not folder.exists():
        return []
    paths = sorted(folder.glob("*.eml"), reverse=True)[:limit]
    return [mailbox_message(path.name) for path in paths]


def mailbox_message(name: str) -> StoredMessage:
    path = Path(settings.MAILBOX_DIR) / Path(name).name
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    text = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    return StoredMessage(
        name=path.name,
        received=datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.get_current_timezone()),
        to=str(parsed["To"]),
        subject=str(parsed["Subject"]),
        text=text.get_content() if text else "",
        html=html.get_content() if html else "",
    )
