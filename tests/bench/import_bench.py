"""Import benchmarks: the real import path against plain bulk_create and against a default ModelResource.

"Ours" is `AmbassadorResource().import_file(csv_bytes)`, exactly what `manage.py import_members` and the admin's
import run: read the file, validate and normalise every row, upsert in one transaction (interests included).

Run as `python -m tests.bench.import_bench --child FILE` it imports FILE once in this (child) process and prints
the time and its peak memory as JSON: that is how the 100k figures are measured.
"""

from __future__ import annotations

import csv
import io
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from .common import (
    BASE_DIR,
    BENCH_DIR,
    best_of,
    clear_app_caches,
    configure_environment,
    generate_members,
    members_csv,
    setup_django,
    size_label,
    wipe_ambassadors,
    write_members_xlsx,
)

ROWS = 10_000
DEFAULT_ROWS = 2_000  # the row-by-row default resource needs ~a minute for 10k; both arms use this many
BIG_ROWS = 100_000
REPEAT = 5


def run(scale: int = 1) -> None:
    from network.models import Interest, Locality

    rows, default_rows, big_rows = ROWS // scale, DEFAULT_ROWS // scale, BIG_ROWS // scale
    localities = list(Locality.objects.values_list("name", flat=True))
    interests = list(Interest.objects.values_list("name", flat=True))
    people = generate_members(big_rows, localities, interests)
    data = members_csv(people[:rows])

    def fresh() -> None:
        wipe_ambassadors()
        clear_app_caches()

    # New people: ours against bulk_create.
    ours = best_of(REPEAT, lambda: import_ours(data, created=rows), before=fresh)
    raw = best_of(REPEAT, lambda: raw_bulk_create(data, rows), before=wipe_ambassadors)
    print(
        f"import_{size_label(rows)}: ratio={raw / ours:.2f} ours={rows / ours:.0f} raw={rows / raw:.0f} rows/s",
        flush=True,
    )
    rate_small = rows / ours

    # The same file again over the people it created (all unchanged): ours against the same bulk_create.
    fresh()
    import_ours(data, created=rows)
    upsert = best_of(REPEAT, lambda: import_ours(data, unchanged=rows), before=clear_app_caches)
    print(
        f"import_upsert_{size_label(rows)}: ratio={raw / upsert:.2f} ours={rows / upsert:.0f} raw={rows / raw:.0f}"
        " rows/s (same file again, every person already there)",
        flush=True,
    )

    # Ours against django-import-export's default ModelResource, on the same (fewer) rows.
    few = people[:default_rows]
    few_data = members_csv(few)
    ours_few = best_of(REPEAT, lambda: import_ours(few_data, created=default_rows), before=fresh)
    dataset = default_dataset(few)
    default = best_of(1, lambda: import_default(dataset, default_rows), before=wipe_ambassadors)
    print(
        f"import_vs_default: ratio={default / ours_few:.1f} ours={default_rows / ours_few:.0f}"
        f" default={default_rows / default:.0f} rows/s (rows={default_rows} for both arms: the default"
        f" resource imports row by row and is too slow for {size_label(rows)})",
        flush=True,
    )

    # 100k rows, CSV and XLSX, each imported into an empty table by a child process that reports its peak memory.
    csv_path, xlsx_path = BENCH_DIR / f"members-{big_rows}.csv", BENCH_DIR / f"members-{big_rows}.xlsx"
    csv_path.write_bytes(members_csv(people))
    write_members_xlsx(people, xlsx_path)
    results = {}
    for kind, path in (("csv", csv_path), ("xlsx", xlsx_path)):
        wipe_ambassadors()
        results[kind] = import_in_child(path, big_rows)
        path.unlink()
    rate_csv = big_rows / results["csv"]["seconds"]
    rate_xlsx = big_rows / results["xlsx"]["seconds"]
    peak_csv, peak_xlsx = results["csv"]["peak_mb"], results["xlsx"]["peak_mb"]
    print(
        f"import_{size_label(big_rows)}: rate_ratio={rate_csv / rate_small:.2f} xlsx_ratio={rate_xlsx / rate_csv:.2f}"
        f" peak_mb={max(peak_csv, peak_xlsx):.0f} csv={rate_csv:.0f} xlsx={rate_xlsx:.0f}"
        f" rate_{size_label(rows)}={rate_small:.0f} rows/s; peak = VmHWM (peak RSS) of the importing child process"
        f" (csv {peak_csv:.0f} MB, xlsx {peak_xlsx:.0f} MB, of which {results['csv']['base_mb']:.0f} MB"
        " before reading the file)",
        flush=True,
    )
    wipe_ambassadors()


# The arms -----------------------------------------------------------------------------------------------------


def import_ours(data: bytes, **expected: int) -> None:
    from network.resources import AmbassadorResource

    counts = AmbassadorResource().import_file(data).counts
    if any(counts[name] != value for name, value in expected.items()) or counts["rejected"]:
        raise RuntimeError(f"the import did not do what the benchmark expects: {counts}, expected {expected}")


def raw_bulk_create(data: bytes, rows: int) -> None:
    """The same rows read with the csv module and written with one plain bulk_create; no validation."""
    from network.models import Ambassador, Locality

    locality_ids = dict(Locality.objects.values_list("name", "pk"))
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";")
    next(reader)
    created = Ambassador.objects.bulk_create(
        [
            Ambassador(
                first_name=first,
                last_name=last,
                email=email,
                phone=phone,
                locality_id=locality_ids.get(town),
                member_since=since or None,
                source=Ambassador.Source.IMPORT,
            )
            for first, last, email, phone, town, _interests, since in reader
        ]
    )
    assert len(created) == rows


def default_resource():
    from import_export import resources

    from network.models import Ambassador

    class DefaultAmbassadorResource(resources.ModelResource):
        class Meta:
            model = Ambassador
            import_id_fields = ["email"]
            fields = (
                "first_name", "last_name", "email", "phone", "locality", "interests", "member_since", "status",
                "notes",
            )  # fmt: skip

    return DefaultAmbassadorResource()


def default_dataset(people: list[dict]):
    """The same rows as a tablib Dataset with the model's field names; relations by id, as the default widgets want."""
    import tablib

    from network.models import Interest, Locality

    locality_ids = dict(Locality.objects.values_list("name", "pk"))
    interest_ids = dict(Interest.objects.values_list("name", "pk"))
    headers = ["first_name", "last_name", "email", "phone", "locality", "interests", "member_since"]
    dataset = tablib.Dataset(headers=headers)
    for p in people:
        dataset.append(
            [
                p["first_name"],
                p["last_name"],
                p["email"],
                p["phone"],
                locality_ids[p["locality"]],
                ",".join(str(interest_ids[name]) for name in p["interests"]),
                p["member_since"].isoformat(),
            ]
        )
    return dataset


def import_default(dataset, rows: int) -> None:
    result = default_resource().import_data(dataset, raise_errors=True)
    if result.has_validation_errors() or result.totals["new"] != rows:
        raise RuntimeError(f"the default resource did not import every row: {dict(result.totals)}")


def import_in_child(path: Path, rows: int) -> dict:
    command = [sys.executable, "-m", "tests.bench.import_bench", "--child", str(path), str(rows)]
    done = subprocess.run(command, cwd=BASE_DIR, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _peak_mb() -> float:
    """This process's peak resident memory. Linux's VmHWM, because ru_maxrss carries over the parent's peak
    across fork+exec (the parent holds the 100k generated rows); ru_maxrss where there is no /proc."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def child(path: str, rows: str) -> None:
    configure_environment()
    setup_django()
    import openpyxl  # noqa: F401 - loaded up front, so the baseline includes it as it does Django

    base_mb = _peak_mb()
    data = Path(path).read_bytes()
    start = time.perf_counter()
    import_ours(data, created=int(rows))
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_mb": _peak_mb(), "base_mb": base_mb}))


if __name__ == "__main__":
    if sys.argv[1:2] != ["--child"] or len(sys.argv) != 4:
        raise SystemExit("usage: python -m tests.bench.import_bench --child FILE ROWS (use python -m tests.bench)")
    child(*sys.argv[2:])
