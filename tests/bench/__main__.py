"""`python -m tests.bench` (`make bench`): the performance figures of issue #2, one line each.

Runs on a throwaway database: `<name>_bench` on the PostgreSQL server of DATABASE_URL when that is set,
else a fresh SQLite file under var/bench/. `--quick` divides every size by 10 for a smoke run.
"""

from __future__ import annotations

import argparse

from .common import configure_environment, create_database, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="divide every size by 10 (a smoke run)")
    scale = 10 if parser.parse_args().quick else 1

    configure_environment()
    print(create_database(), flush=True)
    setup_django(migrate=True)

    from . import admin_bench, import_bench

    import_bench.run(scale)
    admin_bench.run(scale)


main()
