"""Send benchmarks: a newsletter from "send" to the SMTP sink holding every message, with two real Celery workers.

- `send_10k`: ours against the limit, the same messages pre-rendered (built once with
  `campaigns.emails.build_message`, as bytes) and pushed over two reused smtplib connections in two processes.
- `send_100k`: ours at 100,000; throughput against the 10k figure and the workers' peak memory against theirs.
- `send_vs_peers`: ours against django-mailer and django-post-office sending the same messages (run in a child
  process with tests/bench/peer_settings.py, see peers_bench.py).
- `send_esp_10k`: the campaign through anymail's Mailjet backend to a loopback stand-in taking 20 ms per call: one
  call per claimed chunk (campaigns.esp_batch) against one call per message (see esp_line).

One SMTP sink (tests/bench/sink.py) in its own process serves every arm. "Ours" starts two fresh
`celery -A crm worker --pool=solo` processes on the bench queue (Redis when CELERY_BROKER_URL is set, else the
filesystem broker under var/bench), then times `campaign_schedule(campaign)` (send now: the worker that gets the
start_due_campaigns task runs campaigns_start_due, fans out and enqueues batches of EMAIL_BATCH_SIZE) until the
sink has the last message. Peak memory is VmHWM of each worker process, read before it is stopped.
"""

from __future__ import annotations

import json
import multiprocessing
import pickle
import smtplib
import subprocess
import time

from .common import BASE_DIR, BENCH_DIR, add_active_ambassadors, analyze, size_label, wipe_ambassadors
from .processes import broker_purge, python, start_sink, start_worker, worker_env
from .sink import sink_reset, sink_stat

SMALL = 10_000
BIG = 100_000

BODY = """Hej {{ first_name }}!

Våren är här och det händer mycket i {{ locality }} och resten av Kramfors kommun. Här är det viktigaste just nu.

## Ambassadörsträff i Nyland
Den **12 maj** ses vi på Nylands folkets hus kl. 18. Vi bjuder på fika, berättar om sommarens evenemang och
visar de nya bilderna från Höga kusten som du får dela i dina kanaler.

## Dela gärna
- Filmen om Skuleskogen, som redan setts av fler än 40 000 personer.
- Sommarjobben i kommunen: sista ansökningsdag är 30 april.
- Guidade turer på Högakustenbron varje lördag i juli.

## Tipsa oss
Känner du någon som skulle passa som ambassadör? [Tipsa oss här](https://ambassador.kramfors.se/tipsa/).

Tack för att du berättar om det som är bra i Kramfors!

Varma hälsningar,
Ambassadörssamordnaren, Kramfors kommun
"""


def run(scale: int = 1) -> None:
    small, big = SMALL // scale, BIG // scale
    sink, port = start_sink()
    try:
        ours_small = ours(small, port)
        messages = prerender(ours_small["campaign_id"])
        limit_rate = limit(messages, port)
        print(
            f"send_{size_label(small)}: ratio={ours_small['rate'] / limit_rate:.2f} ours={ours_small['rate']:.0f}"
            f" limit={limit_rate:.0f} msg/s (two solo workers, batches of {ours_small['batch']};"
            f" {ours_small['seconds']:.1f} s from campaign_schedule to the last message;"
            f" limit: the same {len(messages)} messages pre-rendered, {mean_kb(messages):.1f} kB each, over two"
            f" reused smtplib connections in two processes; worker peak RSS {fmt_mb(ours_small['peaks'])})",
            flush=True,
        )

        ours_big = ours(big, port)
        rate_ratio = ours_big["rate"] / ours_small["rate"]
        peak_ratio = max(ours_big["peaks"]) / max(ours_small["peaks"])
        print(
            f"send_{size_label(big)}: ratio={ours_big['rate'] / limit_rate:.2f} ours={ours_big['rate']:.0f}"
            f" limit={limit_rate:.0f} msg/s rate_vs_{size_label(small)}={rate_ratio:.2f}"
            f" peak_vs_{size_label(small)}={peak_ratio:.2f} (peak RSS per worker: {fmt_mb(ours_big['peaks'])} at"
            f" {size_label(big)}, {fmt_mb(ours_small['peaks'])} at {size_label(small)};"
            f" {ours_big['seconds']:.1f} s; limit measured at {size_label(small)} in this run)",
            flush=True,
        )
        wipe()

        peers = peers_run(messages, port)
        ours_rate = ours_small["rate"]
        parts, ratios = [], []
        for name in ("django-mailer", "django-post-office"):
            peer = peers.get(name, {"error": "did not run"})
            if "rate" in peer:
                ratios.append(ours_rate / peer["rate"])
                parts.append(
                    f"{name}={peer['rate']:.0f} msg/s (x{ours_rate / peer['rate']:.2f}; queue {peer['queue_s']:.1f} s +"
                    f" send {peer['send_s']:.1f} s, {peer['how']})"
                )
            else:
                parts.append(f"{name}=n/a ({peer['error']})")
        worst = f"ratio={min(ratios):.2f}" if ratios else "ratio=n/a"
        print(
            f"send_vs_peers: {worst} ours={ours_rate:.0f} msg/s {' '.join(parts)}"
            f" ({len(messages)} messages each; ratio = ours / the faster peer)",
            flush=True,
        )
        esp_line(small)
    finally:
        sink.stop()


# Ours ---------------------------------------------------------------------------------------------------------


def wipe() -> None:
    from campaigns.models import Campaign, Delivery, Segment

    Delivery.objects.all().delete()
    Campaign.objects.all().delete()
    Segment.objects.all().delete()
    wipe_ambassadors()


def ours(count: int, port: int) -> dict:
    from django.conf import settings

    from campaigns.models import Campaign, Delivery, Segment
    from campaigns.services.newsletters import campaign_schedule

    wipe()
    add_active_ambassadors(count, "send")
    analyze()
    segment = Segment.objects.create(name="Alla aktiva")
    campaign = Campaign.objects.create(
        name=f"Vårbrevet {count}",
        subject="Hej {{ first_name }}, nytt från ambassadörsnätverket i Kramfors",
        preheader="Träff i Nyland, filmer att dela och sommarjobb",
        body=BODY,
        segment=segment,
    )
    broker_purge()
    sink_reset(port)
    env = worker_env(port)
    workers = []
    try:
        for index in range(2):
            workers.append(start_worker(f"send-worker-{index + 1}", env))
        start = time.time()
        campaign_schedule(campaign=campaign)
        stat = wait_for_sink(port, count, workers)
        seconds = stat["last"] - start
        # The last batch marks the campaign sent just after its last message.
        deadline = time.monotonic() + 30
        while Campaign.objects.get(pk=campaign.pk).status != Campaign.Status.SENT and time.monotonic() < deadline:
            time.sleep(0.1)
        peaks = [worker.peak_mb() for worker in workers]
    finally:
        for worker in workers:
            worker.stop()
    sent = Delivery.objects.filter(campaign=campaign, status=Delivery.Status.SENT).count()
    status = Campaign.objects.get(pk=campaign.pk).status
    if not (stat["messages"] == stat["recipients"] == stat["message_ids"] == sent == count) or status != "sent":
        raise RuntimeError(
            f"send_{size_label(count)}: the sink holds {stat} and {sent} deliveries are sent (campaign {status});"
            f" expected {count} of each, every recipient once"
        )
    return {
        "rate": count / seconds,
        "seconds": seconds,
        "peaks": peaks,
        "campaign_id": campaign.pk,
        "batch": settings.EMAIL_BATCH_SIZE,
    }


def wait_for_sink(port: int, count: int, workers=(), timeout: float | None = None) -> dict:
    timeout = timeout or max(120.0, count / 20)
    deadline = time.monotonic() + timeout
    while True:
        stat = sink_stat(port)
        if stat["messages"] >= count:
            return stat
        for worker in workers:
            if worker.process.poll() is not None:
                raise RuntimeError(f"{worker.name} exited during the send:\n{worker.tail()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the sink holds {stat['messages']} of {count} messages after {timeout:.0f} s")
        time.sleep(0.05)


# The ESP ------------------------------------------------------------------------------------------------------

ESP_DELAY = 0.020  # seconds the stand-in takes per API call
ESP_SAMPLE = 10  # the one-call-per-message arm sends every 10th message (at 20 ms a call, 10k would take 200 s)


def esp_line(count: int) -> None:
    """`send_esp_10k`: the campaign through anymail's Mailjet backend to the loopback stand-in (tests/mailjet_standin.py,
    20 ms per call), in this process, batches of EMAIL_BATCH_SIZE as the send task gets them: one call per claimed
    chunk against one call per message (outbox with batching off, on a sample of the same rows)."""
    from django.conf import settings
    from django.test import override_settings
    from django.utils import timezone

    from campaigns.models import Campaign, Delivery, Segment
    from campaigns.services import outbox
    from tests.mailjet_standin import MailjetStandIn

    wipe()
    add_active_ambassadors(count, "esp")
    campaign = Campaign.objects.create(
        name=f"Vårbrevet ESP {count}",
        subject="Hej {{ first_name }}, nytt från ambassadörsnätverket i Kramfors",
        preheader="Träff i Nyland, filmer att dela och sommarjobb",
        body=BODY,
        segment=Segment.objects.create(name="Alla aktiva"),
        status=Campaign.Status.SENDING,
        started_at=timezone.now(),
        fanned_out_at=timezone.now(),
    )
    from network.models import Ambassador

    Delivery.objects.bulk_create(
        Delivery(template="campaign", campaign=campaign, ambassador_id=pk, to_email=email, to_name=f"{first} {last}")
        for pk, email, first, last in Ambassador.objects.values_list("pk", "email", "first_name", "last_name")
    )
    analyze()
    ids = list(Delivery.objects.filter(campaign=campaign).order_by("pk").values_list("pk", flat=True))
    size = settings.EMAIL_BATCH_SIZE

    def send(chosen: list[int], esp: MailjetStandIn) -> float:
        start = time.perf_counter()
        for first in range(0, len(chosen), size):
            retries = outbox.deliveries_send(chosen[first : first + size])
            if retries:
                raise RuntimeError(f"send_esp: {len(retries)} retries")
        seconds = time.perf_counter() - start
        sent = Delivery.objects.filter(pk__in=chosen, status=Delivery.Status.SENT).count()
        if sent != len(chosen) or esp.messages != len(chosen):
            raise RuntimeError(f"send_esp: {sent} rows sent, {esp.messages} at the stand-in, of {len(chosen)}")
        return len(chosen) / seconds

    with MailjetStandIn(delay=ESP_DELAY, keep=False) as esp:
        with override_settings(EMAIL_BACKEND="anymail.backends.mailjet.EmailBackend", ANYMAIL=esp.settings()):
            batched = send(ids, esp)
            batched_calls = esp.calls
    sample = ids[::ESP_SAMPLE]
    Delivery.objects.filter(pk__in=sample).update(status=Delivery.Status.QUEUED, claim_token=None, esp_message_id="")
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING)  # the batched arm finished it
    supported = outbox.batch_supported
    outbox.batch_supported = lambda connection: False
    try:
        with MailjetStandIn(delay=ESP_DELAY, keep=False) as esp:
            with override_settings(EMAIL_BACKEND="anymail.backends.mailjet.EmailBackend", ANYMAIL=esp.settings()):
                single = send(sample, esp)
                single_calls = esp.calls
    finally:
        outbox.batch_supported = supported
    print(
        f"send_esp_{size_label(count)}: ratio={batched / single:.2f} batched={batched:.0f} msg/s"
        f" one_call_each={single:.0f} msg/s (anymail's Mailjet backend to a loopback stand-in answering in"
        f" {ESP_DELAY * 1000:.0f} ms per call; one process, batches of {size}; batched: {count} messages in"
        f" {batched_calls} calls; one call each: {len(sample)} of them, {single_calls} calls)",
        flush=True,
    )
    wipe()


# The limit ----------------------------------------------------------------------------------------------------


def prerender(campaign_id: int) -> list[dict]:
    """The campaign's messages as our builder makes them: envelope, wire bytes, and the parts the peers need."""
    from django.conf import settings
    from django.core.mail.message import sanitize_address

    from campaigns.emails import build_message
    from campaigns.models import Delivery

    messages = []
    deliveries = Delivery.objects.filter(campaign_id=campaign_id).select_related("campaign", "ambassador__locality")
    for delivery in deliveries.order_by("pk").iterator(chunk_size=2000):
        message = build_message(delivery)
        encoding = message.encoding or settings.DEFAULT_CHARSET
        messages.append(
            {
                "from": sanitize_address(message.from_email, encoding),
                "to": [sanitize_address(address, encoding) for address in message.recipients()],
                "bytes": message.message().as_bytes(linesep="\r\n"),
                "subject": message.subject,
                "body": message.body,
                "html": message.alternatives[0][0],
                "from_email": message.from_email,
                "to_header": message.to,
                "headers": {k: v for k, v in message.extra_headers.items() if k.lower() != "message-id"},
            }
        )
    return messages


def mean_kb(messages: list[dict]) -> float:
    return sum(len(m["bytes"]) for m in messages) / len(messages) / 1024


def _push(port: int, part: list[tuple[str, list[str], bytes]]) -> None:
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for sender, recipients, data in part:
            smtp.sendmail(sender, recipients, data)


def limit(messages: list[dict], port: int) -> float:
    from django.db import connections

    envelopes = [(m["from"], m["to"], m["bytes"]) for m in messages]
    halves = [envelopes[0::2], envelopes[1::2]]
    connections.close_all()
    sink_reset(port)
    context = multiprocessing.get_context("fork")
    start = time.time()
    pushers = [context.Process(target=_push, args=(port, half)) for half in halves]
    for pusher in pushers:
        pusher.start()
    for pusher in pushers:
        pusher.join()
    stat = wait_for_sink(port, len(messages))
    if any(p.exitcode for p in pushers) or stat["messages"] != len(messages):
        raise RuntimeError(f"limit: the pushers exited {[p.exitcode for p in pushers]}, the sink holds {stat}")
    return len(messages) / (stat["last"] - start)


# The peers ----------------------------------------------------------------------------------------------------


def peers_run(messages: list[dict], port: int) -> dict:
    """django-mailer and django-post-office in a child process with their apps installed (peers_bench.py)."""
    from django.db import connections

    path = BENCH_DIR / "peer-messages.pickle"
    path.write_bytes(pickle.dumps([{k: v for k, v in m.items() if k != "bytes"} for m in messages]))
    connections.close_all()
    env = worker_env(port, DJANGO_SETTINGS_MODULE="tests.bench.peer_settings", LOG_LEVEL="WARNING")
    log = BENCH_DIR / "peers.log"
    try:
        with log.open("w") as err:
            done = subprocess.run(
                python("-m", "tests.bench.peers_bench", str(port), str(path)),
                cwd=BASE_DIR,
                env=env,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                timeout=1800,
            )
        lines = done.stdout.strip().splitlines()
        if not lines:
            error = log.read_text(errors="replace").strip().splitlines()
            reason = error[-1] if error else f"exit {done.returncode}"
            return {name: {"error": reason} for name in ("django-mailer", "django-post-office")}
        return json.loads(lines[-1])
    finally:
        path.unlink(missing_ok=True)


def fmt_mb(peaks: list[float]) -> str:
    return "/".join(f"{p:.0f}" for p in peaks) + " MB"
