"""Signup benchmark: valid signups POSTed to /bli-ambassador/ under gunicorn, against a minimal Django view.

One gunicorn (2 workers x 2 threads, gthread, loopback) serves both: the app's pages and `/bench/minimal/` from
tests/bench/settings.py. One load-generator process (`python -m tests.bench.signup_bench --load ...`) with N
threads, each on its own keep-alive http.client connection, drives each arm for a fixed time after a warm-up; the
arms alternate twice and each keeps its better round. Every POST must end in the 302 to the thank-you page; after
the run the database must hold one Application, one ConsentRecord and one queued confirmation Delivery per
successful POST, and the bench broker queue one message per confirmation (enqueued on commit, for real: nobody
consumes that queue).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import sys
import threading
import time
from urllib.parse import urlencode

from .processes import Service, broker_count, broker_purge, free_port, python

THREADS = 8
WARMUP = 1.0
DURATION = 5.0
ROUNDS = 2
FORM = "/bli-ambassador/"
THANKS = "/bli-ambassador/tack/"
MINIMAL = "/bench/minimal/"


def run(scale: int = 1) -> None:
    from campaigns.models import Delivery
    from network.models import Application, ConsentRecord

    duration = DURATION if scale == 1 else 2.0
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.bench.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # One address sending thousands of signups is this load test, not an attack: no rate limit of either kind.
        "FORM_RATE_LIMIT": str(10**9),
        "POST_RATE_LIMIT": str(10**9),
        "FORM_MIN_FILL_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
    }
    command = python(
        "-m", "gunicorn", "crm.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "2",
        "--worker-class", "gthread", "--keep-alive", "30", "--backlog", "256",
    )  # fmt: skip
    broker_purge()
    before = Application.objects.count()
    gunicorn = Service("gunicorn", command, env, port=port).start()
    try:
        results = {"ours": [], "minimal": []}
        posted = 0
        for round_ in range(ROUNDS):
            for arm in ("minimal", "ours"):
                result = load(port, arm, duration, tag=f"r{round_}")
                if result["threads_done"] != THREADS:
                    raise RuntimeError(f"signup_post: a load-generator thread died ({arm}): {result}")
                if result["errors"]:
                    raise RuntimeError(f"signup_post: {arm} had {result['errors']} failed requests: {result['sample']}")
                results[arm].append(result["measured"] / result["seconds"])
                if arm == "ours":
                    posted += result["ok"]
    finally:
        gunicorn.stop()

    # Every successful POST saved the application, recorded consent and enqueued the confirmation on commit.
    applications = Application.objects.count() - before
    consents = ConsentRecord.objects.filter(application__isnull=False).count()
    confirmations = Delivery.objects.filter(template="application_confirm", status=Delivery.Status.QUEUED).count()
    enqueued = broker_count()
    if not applications == consents == confirmations == enqueued == posted:
        raise RuntimeError(
            f"signup_post: {posted} POSTs answered 302 but there are {applications} applications, {consents} consent"
            f" records, {confirmations} queued confirmations and {enqueued} messages in the broker queue"
        )
    ours, minimal = max(results["ours"]), max(results["minimal"])
    print(
        f"signup_post: ratio={ours / minimal:.2f} ours={ours:.0f} minimal={minimal:.0f} req/s"
        f" (gunicorn 2 workers x 2 threads, {THREADS} keep-alive client threads, best of {ROUNDS} x {duration:.0f} s;"
        f" rounds ours={'/'.join(f'{r:.0f}' for r in results['ours'])}"
        f" minimal={'/'.join(f'{r:.0f}' for r in results['minimal'])}; verified {posted} applications + consent"
        f" records + queued confirmations, {enqueued} messages on the broker)",
        flush=True,
    )
    broker_purge()
    Delivery.objects.filter(application__isnull=False).delete()
    Application.objects.all().delete()
    ConsentRecord.objects.all().delete()


def load(port: int, arm: str, duration: float, tag: str) -> dict:
    import subprocess

    from .common import BASE_DIR

    command = python("-m", "tests.bench.signup_bench", "--load", str(port), arm, str(duration), tag)
    done = subprocess.run(command, cwd=BASE_DIR, check=True, stdout=subprocess.PIPE, text=True, timeout=120)
    return json.loads(done.stdout.strip().splitlines()[-1])


# The load generator (a separate process; no Django) -----------------------------------------------------------


def _form_state(conn: http.client.HTTPConnection) -> dict:
    conn.request("GET", FORM)
    response = conn.getresponse()
    page = response.read().decode()
    if response.status != 200:
        raise RuntimeError(f"GET {FORM} answered {response.status}")
    cookie = next(
        header.split(";", 1)[0] for header in response.headers.get_all("Set-Cookie") if header.startswith("csrftoken=")
    )

    def value(name: str) -> str:
        return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)

    return {
        "cookie": cookie,
        "csrfmiddlewaretoken": value("csrfmiddlewaretoken"),
        "started": value("started"),
        "locality": re.search(r'<option value="(\d+)"', page).group(1),
        "interests": re.findall(r'name="interests" value="(\d+)"', page)[:2],
    }


def _client(port: int, arm: str, tag: str, index: int, start: float, warm_until: float, stop: float, out: dict):
    ok = measured = errors = 0
    sample = ""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    state = _form_state(conn) if arm == "ours" else None
    number = 0
    while time.perf_counter() < start:
        time.sleep(0.001)
    while (now := time.perf_counter()) < stop:
        try:
            if state is None:
                conn.request("GET", MINIMAL)
                response = conn.getresponse()
                response.read()
                good = response.status == 200
            else:
                number += 1
                fields = [
                    ("csrfmiddlewaretoken", state["csrfmiddlewaretoken"]),
                    ("started", state["started"]),
                    ("website", ""),
                    ("first_name", "Märta"),
                    ("last_name", "Åström"),
                    ("email", f"signup.{tag}.{index}.{number}@example.se"),
                    ("phone", "070-190 64 48"),
                    ("locality", state["locality"]),
                    *(("interests", pk) for pk in state["interests"]),
                    ("motivation", "Jag bor här och tycker om Höga kusten."),
                    ("heard_about", "Facebook"),
                    ("consent", "on"),
                ]
                conn.request(
                    "POST",
                    FORM,
                    urlencode(fields),
                    {"Content-Type": "application/x-www-form-urlencoded", "Cookie": state["cookie"]},
                )
                response = conn.getresponse()
                body = response.read()
                good = response.status == 302 and response.getheader("Location", "").endswith(THANKS)
                if not good and not sample:
                    sample = f"{response.status} {response.getheader('Location')} {body[:300]!r}"
        except (OSError, http.client.HTTPException) as error:
            good = False
            sample = sample or repr(error)
            conn.close()
        if good:
            ok += 1
            if time.perf_counter() >= warm_until and now >= warm_until:
                measured += 1
        else:
            errors += 1
    conn.close()
    out[index] = (ok, measured, errors, sample)


def generate(port: int, arm: str, duration: float, tag: str) -> dict:
    out: dict = {}
    start = time.perf_counter() + 0.5  # every thread has its connection (and for ours its form) by then
    warm_until = start + WARMUP
    stop = warm_until + duration
    threads = [
        threading.Thread(target=_client, args=(port, arm, tag, i, start, warm_until, stop, out)) for i in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "ok": sum(v[0] for v in out.values()),
        "measured": sum(v[1] for v in out.values()),
        "errors": sum(v[2] for v in out.values()),
        "sample": next((v[3] for v in out.values() if v[3]), ""),
        "seconds": duration,
        "threads_done": len(out),
    }


if __name__ == "__main__":
    if sys.argv[1:2] != ["--load"] or len(sys.argv) != 6:
        raise SystemExit("usage: python -m tests.bench.signup_bench --load PORT ours|minimal SECONDS TAG")
    print(json.dumps(generate(int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), sys.argv[5])))
