"""The table of `make bench`: medians over runs against the targets of issue #5, printed, written
to docs/benchmarks.md and plotted (bulk throughput against workspace size) to docs/bulk.png."""

from __future__ import annotations

import argparse
import datetime
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from bench.__main__ import Run


class Row(NamedTuple):
    path: str
    target: str
    figure: Callable[[Run], float]
    unit: str
    met: Callable[[float, str], bool]


def _ratio(part: Callable[[Run], float], whole: Callable[[Run], float]) -> Callable[[Run], float]:
    return lambda run: 100 * part(run) / whole(run)


ROWS = (
    Row(
        "bulk block, 10,000-lead requests to the full workspace",
        "≥ 150,000 (SQLite) / ≥ 100,000 (PostgreSQL) leads/s",
        lambda run: run.bulk_overall,
        "leads/s",
        lambda value, backend: value >= (150_000 if backend == "sqlite" else 100_000),
    ),
    Row(
        "single-lead POST /blocked-leads, 64 connections, % of no-database POST",
        "≥ 60%",
        _ratio(lambda run: run.single_post, lambda run: run.echo_post),
        "%",
        lambda value, _: value >= 60,
    ),
    Row(
        "single-id GET /blocked-leads/check, 64 connections, % of hello-world GET",
        "≥ 70%",
        _ratio(lambda run: run.single_check, lambda run: run.hello_get),
        "%",
        lambda value, _: value >= 70,
    ),
    Row(
        "POST /blocked-leads/check, 10,000 ids against the full workspace",
        "≤ 40 ms",
        lambda run: run.check_ms,
        "ms",
        lambda value, _: value <= 40,
    ),
    Row(
        "list: deep page by cursor, % of the first page's time",
        "≤ 200%",
        _ratio(lambda run: run.deep_page_ms, lambda run: run.first_page_ms),
        "%",
        lambda value, _: value <= 200,
    ),
    Row(
        "list: deep page by cursor",
        "< 20 ms",
        lambda run: run.deep_page_ms,
        "ms",
        lambda value, _: value < 20,
    ),
    Row(
        "dispatch 100 from the campaign",
        "< 20 ms",
        lambda run: run.dispatch_ms,
        "ms",
        lambda value, _: value < 20,
    ),
    Row(
        "CSV import into an empty workspace",
        "≥ 100,000 rows/s",
        lambda run: run.import_rows_s,
        "rows/s",
        lambda value, _: value >= 100_000,
    ),
    Row(
        "CSV export",
        "≥ 200,000 rows/s",
        lambda run: run.export_rows_s,
        "rows/s",
        lambda value, _: value >= 200_000,
    ),
    Row(
        "server RSS growth during the export",
        "< 20 MB",
        lambda run: run.export_rss_growth_mb,
        "MB",
        lambda value, _: value < 20,
    ),
    Row(
        "server peak RSS during the bulk run",
        "< 200 MB",
        lambda run: run.bulk_rss_mb,
        "MB",
        lambda value, _: value < 200,
    ),
)

# Raw figures behind the ratios, for the record.
DETAILS: tuple[tuple[str, Callable[[Run], float], str], ...] = (
    ("hello-world GET (reference)", lambda run: run.hello_get, "req/s"),
    ("single-id GET /blocked-leads/check", lambda run: run.single_check, "req/s"),
    ("  its p99", lambda run: run.single_check_p99, "ms"),
    ("no-database POST of 2 leads (reference)", lambda run: run.echo_post, "req/s"),
    ("single-lead POST /blocked-leads", lambda run: run.single_post, "req/s"),
    ("  its p99", lambda run: run.single_post_p99, "ms"),
    ("list: first page", lambda run: run.first_page_ms, "ms"),
    ("bulk: first 100,000 leads", lambda run: run.bulk_segments[0][1], "leads/s"),
    ("bulk: last 100,000 leads", lambda run: run.bulk_segments[-1][1], "leads/s"),
)


def _format(value: float, unit: str) -> str:
    if unit in ("ms", "MB"):
        return f"{value:,.1f} {unit}"
    if unit == "%":
        return f"{value:.0f}%"
    return f"{value:,.0f} {unit}"


def _measured(run: Run, figure: Callable[[Run], float]) -> float | None:
    """The figure, or None when its phase did not measure it (a growth of 0.0 is a value)."""
    try:
        return figure(run)
    except (TypeError, ZeroDivisionError, IndexError):  # None in the arithmetic, no segments
        return None


def _cell(runs: list[Run], figure: Callable[[Run], float], unit: str) -> tuple[float, str]:
    values = [v for run in runs if (v := _measured(run, figure)) is not None]
    if not values:
        return float("nan"), "failed"
    each = ", ".join(_format(value, unit).split(" ")[0] for value in values)
    median = statistics.median(values)
    return median, f"**{_format(median, unit)}** ({each})"


def tables(results: dict[str, list[Run]]) -> str:
    backends = list(results)
    lines = [
        "| path | target | " + " | ".join(backends) + " |",
        "|---|---|" + "---|" * len(backends),
    ]
    for row in ROWS:
        cells = []
        for backend in backends:
            median, text = _cell(results[backend], row.figure, row.unit)
            cells.append(f"{text} {'met' if row.met(median, backend) else '**not met**'}")
        lines.append(f"| {row.path} | {row.target} | " + " | ".join(cells) + " |")
    lines += ["", "| raw figure | " + " | ".join(backends) + " |", "|---|" + "---|" * len(backends)]
    for name, figure, unit in DETAILS:
        cells = [_cell(results[backend], figure, unit)[1] for backend in backends]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for backend in backends:
        for number, run in enumerate(results[backend], 1):
            for failure in run.failures:
                lines += ["", f"**{backend}, run {number}, failed phase** — {failure}"]
    return "\n".join(lines)


def plot(results: dict[str, list[Run]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 4.5), dpi=100)
    for backend, runs in results.items():
        sizes = [done for done, _ in runs[0].bulk_segments]
        medians = [
            statistics.median(run.bulk_segments[index][1] for run in runs)
            for index in range(len(sizes))
        ]
        axes.plot(sizes, medians, marker="o", label=f"{backend} (median of {len(runs)} runs)")
    axes.set_xlabel("workspace size (blocked leads)")
    axes.set_ylabel("leads/s over the last 100,000")
    axes.set_title("Bulk block: 10,000-lead requests, one server process")
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def write_report(
    results: dict[str, list[Run]],
    args: argparse.Namespace,
    machine: str,
    command: str,
    folder: Path | None,
) -> None:
    text = tables(results)
    print("\n" + text)
    if folder is None:
        return
    plot(results, folder / "bulk.png")
    today = datetime.date.today().isoformat()
    section = f"""## Hot paths (issue #5)

Written by `make bench`; how the figures came about, the profiles behind them and what was
tried is in [performance.md](performance.md).

- Date: {today}
- Machine: {machine}
- Command: `{command}` ({args.runs} runs per backend, each on a fresh database and a fresh
  server process; bulk to {args.bulk_total:,} blocks, dispatch from {args.dispatch_size:,},
  import/export of {args.transfer_rows:,} rows, {args.single_requests:,} requests per
  single-lead load)
- One `leadblock serve` process (uvicorn, one worker); the load generator runs on the same
  machine and shares its cores. Ratio rows compare with the reference routes of the same server
  in the same run. Each cell: **median of the runs** (each run).

{text}

![Bulk throughput against workspace size](bulk.png)
"""
    replace_section(folder / "benchmarks.md", "bench", section)
    print(f"\nwrote {folder / 'benchmarks.md'} and {folder / 'bulk.png'}")


HEADER = """# Benchmarks

Generated: each section is rewritten by the command it names (`make bench`, `make soak`);
do not edit by hand.
"""


def replace_section(path: Path, name: str, text: str) -> None:
    """Write `text` as the section `name` of the generated document at `path`, keeping the
    sections other commands wrote."""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    document = path.read_text() if path.exists() else HEADER
    if not document.startswith("# Benchmarks"):
        document = HEADER
    block = f"{start}\n{text.strip()}\n{end}"
    if start in document and end in document:
        before, rest = document.split(start, 1)
        document = before + block + rest.split(end, 1)[1]
    else:
        document = document.rstrip() + "\n\n" + block + "\n"
    path.write_text(document)
