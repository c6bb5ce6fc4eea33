"""The peers of `send_vs_peers`, run as `python -m tests.bench.peers_bench SMTP_PORT MESSAGES.pickle` with
DJANGO_SETTINGS_MODULE=tests.bench.peer_settings (their apps installed; their tables migrated into the bench DB).

Each peer queues the same pre-rendered messages its own way and sends them with its own command, to the same sink:
- django-mailer: `mailer.send_html_mail()` per message, then its `send_mail` management command (one process: its
  lock file allows one sender at a time).
- django-post-office: `post_office.mail.send_many()`, then its `send_queued_mail --processes 2` command (its
  default 5 threads and batches of 100 per process).
Timed from the first queued message to the sink holding the last. Prints one JSON line: {peer: result or error}.
"""

from __future__ import annotations

import json
import pickle
import sys
import time
import traceback

from .common import configure_environment, setup_django
from .sink import sink_reset, sink_stat


def wait(port: int, count: int, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while (stat := sink_stat(port))["messages"] < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the sink holds {stat['messages']} of {count} after {timeout:.0f} s")
        time.sleep(0.05)
    return stat


def django_mailer(messages: list[dict], port: int) -> dict:
    from django.core.management import call_command
    from mailer import send_html_mail
    from mailer.models import Message

    Message.objects.all().delete()
    start = time.time()
    for m in messages:
        send_html_mail(m["subject"], m["body"], m["html"], m["from_email"], m["to_header"], headers=m["headers"])
    queued = time.time()
    call_command("send_mail")
    stat = wait(port, len(messages), 60)
    return {"start": start, "queued": queued, "stat": stat, "how": "send_html_mail + send_mail, 1 process"}


def django_post_office(messages: list[dict], port: int) -> dict:
    from django.core.management import call_command
    from post_office import mail
    from post_office.models import Email

    Email.objects.all().delete()
    start = time.time()
    mail.send_many(
        [
            {
                "sender": m["from_email"],
                "recipients": m["to_header"],
                "subject": m["subject"],
                "message": m["body"],
                "html_message": m["html"],
                "headers": m["headers"],
            }
            for m in messages
        ]
    )
    queued = time.time()
    call_command("send_queued_mail", processes=2)
    stat = wait(port, len(messages), 60)
    return {"start": start, "queued": queued, "stat": stat, "how": "send_many + send_queued_mail --processes 2"}


def main(port: int, path: str) -> None:
    configure_environment()
    setup_django(migrate=True)
    with open(path, "rb") as f:
        messages = pickle.load(f)  # noqa: S301 - written by the parent bench process a moment ago
    results = {}
    for name, arm in (("django-mailer", django_mailer), ("django-post-office", django_post_office)):
        sink_reset(port)
        try:
            done = arm(messages, port)
            stat = done["stat"]
            if not stat["messages"] == stat["recipients"] == len(messages):
                raise RuntimeError(f"the sink holds {stat} for {len(messages)} messages")
            results[name] = {
                "rate": len(messages) / (stat["last"] - done["start"]),
                "queue_s": done["queued"] - done["start"],
                "send_s": stat["last"] - done["queued"],
                "how": done["how"],
            }
        except Exception as error:  # noqa: BLE001 - reported as n/a with the reason
            traceback.print_exc()
            results[name] = {"error": f"{type(error).__name__}: {error}"[:200]}
    print(json.dumps(results))


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
