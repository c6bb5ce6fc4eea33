"""`python -m tests.bench` (`make bench`): the performance figures the issues ask for, one line each, with what it ran.

Runs on a throwaway database: `<name>_bench` on the PostgreSQL server of DATABASE_URL when that is set,
else a fresh SQLite file under var/bench/. Celery messages go to a queue of this run's own (CELERY_QUEUE
bench-<pid>) on the broker of CELERY_BROKER_URL when that is set, else on the filesystem broker under var/bench/.
`--quick` divides every size by 10 for a smoke run. Every subprocess (SMTP sink, Celery workers, gunicorn) is
stopped when the run ends, also on errors.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal

from .common import BENCH_DIR, configure_environment, create_database, setup_django

BENCHES = ["import", "admin", "dashboard", "signup", "onboarding", "send", "timeline", "rsvp", "erase"]


def _terminate(signum, frame) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally below, which stops the subprocesses


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="divide every size by 10 (a smoke run)")
    parser.add_argument("--only", nargs="+", choices=BENCHES, default=BENCHES, help="run only these benchmarks")
    args = parser.parse_args()
    scale = 10 if args.quick else 1

    os.environ.setdefault("CELERY_QUEUE", f"bench-{os.getpid()}")
    configure_environment()
    shutil.rmtree(BENCH_DIR / "broker", ignore_errors=True)
    print(create_database(), flush=True)
    setup_django(migrate=True)

    from . import (
        admin_bench,
        dashboard_bench,
        erase_bench,
        import_bench,
        onboarding_bench,
        rsvp_bench,
        send_bench,
        signup_bench,
        timeline_bench,
    )
    from .processes import broker_purge, stop_all

    modules = {
        "import": import_bench,
        "admin": admin_bench,
        "dashboard": dashboard_bench,
        "signup": signup_bench,
        "onboarding": onboarding_bench,
        "send": send_bench,
        "timeline": timeline_bench,
        "rsvp": rsvp_bench,
        "erase": erase_bench,
    }
    signal.signal(signal.SIGTERM, _terminate)
    try:
        for name in BENCHES:
            if name in args.only:
                modules[name].run(scale)
    finally:
        stop_all()
        broker_purge()


main()
