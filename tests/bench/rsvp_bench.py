"""RSVP burst: 200 people answer yes at the same moment to an event with room for 50, under gunicorn.

One gunicorn (2 workers x 4 threads, gthread, loopback) serves both arms: 200 concurrent POSTs of "yes" to each
person's own `/svar/<token>/`, and 200 concurrent POSTs to the minimal view `/bench/minimal/` (tests/bench/settings).
The ratio is ours / minimal in requests per second, the p99 is our slowest percentile; afterwards exactly 50 must
have a yes and 150 be on the waiting list (on PostgreSQL the event row is locked per answer).
"""

from __future__ import annotations

import http.client
import os
import re
import threading
import time
from datetime import timedelta

from .processes import Service, free_port, python

PEOPLE = 200
CAPACITY = 50


def burst(port: int, paths: list[str], body: bytes, headers: dict) -> tuple[float, list[float], list[int]]:
    """POST each path from its own thread, all released at once. Returns (seconds, latencies, statuses)."""
    start_line = threading.Barrier(len(paths) + 1)
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def one(path: str) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.connect()
        start_line.wait()
        began = time.perf_counter()
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        with lock:
            latencies.append(time.perf_counter() - began)
            statuses.append(response.status)
        connection.close()

    threads = [threading.Thread(target=one, args=(path,)) for path in paths]
    for thread in threads:
        thread.start()
    start_line.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, latencies, statuses


def csrf(port: int, path: str) -> tuple[str, str]:
    """The CSRF cookie and form token from one GET of an RSVP page; every POST of the burst reuses them."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    page = response.read().decode()
    cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "").group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    return cookie, token


def run(scale: int = 1) -> None:
    from django.db import connection
    from django.utils import timezone

    from network.events import rsvp_token
    from network.models import Ambassador, Event, Registration

    people = PEOPLE // scale
    capacity = CAPACITY // scale
    starts = timezone.now() + timedelta(days=7)
    event = Event.objects.create(
        title="Ambassadörsträff", starts_at=starts, ends_at=starts + timedelta(hours=2), capacity=capacity
    )
    guests = Ambassador.objects.bulk_create(
        [Ambassador(first_name=f"Gäst{i}", last_name="Bench", email=f"gast{i}@rsvp.bench") for i in range(people)]
    )
    paths = [f"/svar/{rsvp_token(event.pk, guest.pk)}/" for guest in guests]
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.bench.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "POST_RATE_LIMIT": str(10**9),
        "LOG_LEVEL": "WARNING",
    }
    command = python(
        "-m", "gunicorn", "crm.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4",
        "--worker-class", "gthread", "--backlog", "512",
    )  # fmt: skip
    gunicorn = Service("gunicorn-rsvp", command, env, port=port).start()
    try:
        cookie, token = csrf(port, paths[0])
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie}",
            "Host": "127.0.0.1",
        }
        body = f"answer=yes&csrfmiddlewaretoken={token}".encode()  # the same POST, CSRF check included, for both
        minimal_time, _minimal_latencies, minimal_statuses = burst(port, ["/bench/minimal/"] * people, body, headers)
        ours_time, latencies, statuses = burst(port, paths, body, headers)
    finally:
        gunicorn.stop()

    answers = dict.fromkeys(Registration.Answer.values, 0)
    for answer in Registration.objects.filter(event=event).values_list("answer", flat=True):
        answers[answer] += 1
    latencies.sort()
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)]
    bad = [status for status in statuses + minimal_statuses if status != 200]
    holds = answers["yes"] == capacity and answers["waitlist"] == people - capacity and not bad
    print(
        f"rsvp_burst: ratio={minimal_time / ours_time:.2f} ours={people / ours_time:.0f} req/s"
        f" minimal={people / minimal_time:.0f} req/s p99={p99 * 1000:.0f} ms yes={answers['yes']}"
        f" waitlist={answers['waitlist']} ({people} concurrent POSTs, capacity {capacity},"
        f" {connection.vendor}; {'holds' if holds else f'DOES NOT HOLD, non-200 answers: {len(bad)}'})",
        flush=True,
    )
    Registration.objects.filter(event=event).delete()
    event.delete()
    Ambassador.objects.filter(pk__in=[guest.pk for guest in guests]).delete()
