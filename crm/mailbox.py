"""A local mailbox for development: each message becomes an .eml file under var/mailbox/.

`make run` uses it so that no email leaves the machine; staff read it at /admin/mailbox/.
"""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

MESSAGE_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]*\.eml")


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
    # Names starting with "." are messages still being written.
    paths = sorted((p for p in folder.glob("*.eml") if not p.name.startswith(".")), reverse=True)[:limit]
    messages = []
    for path in paths:
        try:
            messages.append(mailbox_message(path.name))
        except FileNotFoundError:  # removed while we listed
            continue
    return messages


def mailbox_message(name: str) -> StoredMessage:
    """One stored message by file name; FileNotFoundError for anything that is not one."""
    if not MESSAGE_NAME.fullmatch(name):
        raise FileNotFoundError(name)
    path = Path(settings.MAILBOX_DIR) / name
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
