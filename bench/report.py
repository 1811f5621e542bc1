"""The table of `make bench`: medians over runs against the goals of storage v2 (issue #13) and
of the features after it, most of them relative to independent references measured in the same
run; printed, written to docs/benchmarks.md and plotted (bulk throughput against workspace size,
leadblock's and the raw reference's) to docs/bulk.png."""

from __future__ import annotations

import argparse
import datetime
import operator
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench.references import Segments, overall_rate

if TYPE_CHECKING:
    from bench.__main__ import Run

# A figure of one run; None: not measured (its phase failed).
Figure = Callable[["Run"], float | None]


def overall(segments: Callable[[Run], Segments]) -> Figure:
    return lambda run: overall_rate(segments(run)) if segments(run) else None


def first(segments: Callable[[Run], Segments]) -> Figure:
    return lambda run: segments(run)[0][1] if segments(run) else None


def last(segments: Callable[[Run], Segments]) -> Figure:
    return lambda run: segments(run)[-1][1] if segments(run) else None


def ratio(part: Figure, whole: Figure, scale: float = 1) -> Figure:
    def figure(run: Run) -> float | None:
        numerator, denominator = part(run), whole(run)
        if numerator is None or not denominator:
            return None
        return scale * numerator / denominator

    return figure


def lead_bulk(run: Run) -> Segments:
    return run.bulk_segments


def raw_bulk(run: Run) -> Segments:
    return run.raw_bulk_segments


def bare_bulk(run: Run) -> Segments:
    return run.bare_bulk_segments


def flatness(segments: Callable[[Run], Segments]) -> Figure:
    """Throughput over the last 100,000 rows as a multiple of the first 100,000's."""
    return ratio(last(segments), first(segments))


@dataclass(frozen=True)
class Goal:
    name: str
    target: str
    figure: Figure
    unit: str
    limits: dict[str, float]  # by backend
    meets: Callable[[float, float], bool] = operator.ge
    # When set, the goal is on figure ÷ reference of each run, not on the figure itself.
    reference: Figure | None = None
    reference_name: str = ""
    # Shown beside the figure as evidence, not judged.
    beside: Figure | None = None
    beside_name: str = ""
    # What the bare app on the raw engine reaches on the same path, in the goal's own terms:
    # when it misses the goal too, the goal is out of reach on this machine for any FastAPI app.
    ceiling: Figure | None = None


def both(limit: float) -> dict[str, float]:
    return {"sqlite": limit, "postgresql": limit}


def each(sqlite: float, postgresql: float) -> dict[str, float]:
    return {"sqlite": sqlite, "postgresql": postgresql}


GOALS = (
    Goal(
        "bulk block, 10,000-lead requests to the full workspace",
        "≥ 0.8× raw sqlite3 bulk / ≥ 0.8× raw COPY bulk",
        overall(lead_bulk),
        "leads/s",
        both(0.8),
        reference=overall(raw_bulk),
        reference_name="raw",
        ceiling=ratio(overall(bare_bulk), overall(raw_bulk)),
    ),
    Goal(
        "bulk flatness: leads/s over the last 100,000 ÷ the first 100,000",
        "≥ 0.8× / ≥ 0.8×",
        flatness(lead_bulk),
        "×",
        both(0.8),
        beside=flatness(raw_bulk),
        beside_name="raw reference's own",
        ceiling=flatness(bare_bulk),
    ),
    Goal(
        "CSV import into an empty workspace",
        "≥ 1.0× raw sqlite3 import / ≥ 0.8× raw COPY import",
        lambda run: run.import_rows_s,
        "rows/s",
        each(1.0, 0.8),
        reference=lambda run: run.raw_import_rows_s,
        reference_name="raw",
        ceiling=ratio(lambda run: run.bare_import_rows_s, lambda run: run.raw_import_rows_s),
    ),
    Goal(
        "POST /blocked-leads/check, 10,000 ids against the full workspace",
        "≤ 25 ms / ≤ 40 ms",
        lambda run: run.check_ms,
        "ms",
        each(25, 40),
        operator.le,
        ceiling=lambda run: run.engine_check_ms,
    ),
    Goal(
        "POST /blocked-leads/check, 10,000 objects with a company, 10,000 company blocks",
        "≤ 1.5× the same check of 10,000 strings",
        lambda run: run.check_objects_ms,
        "ms",
        both(1.5),
        operator.le,
        reference=lambda run: run.check_ms,
        reference_name="strings",
    ),
    Goal(
        "single-id GET /blocked-leads/check, 64 connections",
        "≥ 0.6× / ≥ 0.3× bare hello GET",
        lambda run: run.single_check,
        "req/s",
        each(0.6, 0.3),
        reference=lambda run: run.bare_hello_get,
        reference_name="bare",
        ceiling=ratio(lambda run: run.engine_check_get, lambda run: run.bare_hello_get),
    ),
    Goal(
        "single-lead POST /blocked-leads, 64 connections",
        "≥ 0.5× / ≥ 0.25× bare no-database POST",
        lambda run: run.single_post,
        "req/s",
        each(0.5, 0.25),
        reference=lambda run: run.bare_echo_post,
        reference_name="bare",
        ceiling=ratio(lambda run: run.engine_block_post, lambda run: run.bare_echo_post),
    ),
    Goal(
        "single-lead POST /blocked-leads with an Idempotency-Key (its answer stored)",
        "≥ 0.87× / ≥ 0.87× the same POST without (overhead ≤ 15%)",
        lambda run: run.single_post_keyed,
        "req/s",
        both(0.87),
        reference=lambda run: run.single_post,
        reference_name="without key",
    ),
    Goal(
        "dispatch 100 of a campaign, with as many workspace blocks",
        "≤ 10 ms / ≤ 15 ms",
        lambda run: run.dispatch_ms,
        "ms",
        each(10, 15),
        operator.le,
    ),
    Goal(
        "dispatch 100 of that campaign with 10,000 company blocks as well (both kinds)",
        "≤ 1.5× the same dispatch with person blocks only",
        lambda run: run.dispatch_company_ms,
        "ms",
        both(1.5),
        operator.le,
        reference=lambda run: run.dispatch_ms,
        reference_name="person blocks only",
    ),
    Goal(
        "lease 100 of that campaign, then confirm them (the pair)",
        "≤ 15 ms / ≤ 25 ms",
        lambda run: run.lease_confirm_ms,
        "ms",
        each(15, 25),
        operator.le,
    ),
    Goal(
        "webhook delivery: a backlog drained by one endpoint",
        "≥ 500 events/s",
        lambda run: run.webhook_events_s,
        "events/s",
        both(500),
        beside=lambda run: run.raw_webhook_posts_s,
        beside_name="bare httpx loop to the same receiver",
    ),
    Goal(
        "10,000-lead POST /blocked-leads while an endpoint is being delivered to",
        "≤ 1.1× the same block without webhooks (cost ≤ 10%)",
        lambda run: run.block_webhook_ms,
        "ms",
        both(1.1),
        operator.le,
        reference=lambda run: run.block_ms,
        reference_name="no webhook",
    ),
    Goal(
        "CSV export",
        "≥ 250,000 rows/s",
        lambda run: run.export_rows_s,
        "rows/s",
        both(250_000),
    ),
    Goal(
        "CSV export: server RSS growth (flat)",
        "< 20 MB",
        lambda run: run.export_rss_growth_mb,
        "MB",
        both(20),
        operator.lt,
    ),
    Goal(
        "list: deep page by cursor, % of the first page's time",
        "≤ 200%",
        ratio(lambda run: run.deep_page_ms, lambda run: run.first_page_ms, scale=100),
        "%",
        both(200),
        operator.le,
    ),
    Goal(
        "list: deep page by cursor",
        "< 20 ms",
        lambda run: run.deep_page_ms,
        "ms",
        both(20),
        operator.lt,
    ),
    Goal(
        "server peak RSS during the bulk run",
        "< 200 MB",
        lambda run: run.bulk_rss_mb,
        "MB",
        both(200),
        operator.lt,
    ),
)

# Raw figures, for the record.
DETAILS: tuple[tuple[str, Figure, str], ...] = (
    (
        "in-server hello GET (leadblock's app and middleware, no database)",
        lambda run: run.hello_get,
        "req/s",
    ),
    ("  ÷ bare hello GET", ratio(lambda run: run.hello_get, lambda run: run.bare_hello_get), "×"),
    ("in-server no-database POST of 2 leads", lambda run: run.echo_post, "req/s"),
    (
        "  ÷ bare no-database POST",
        ratio(lambda run: run.echo_post, lambda run: run.bare_echo_post),
        "×",
    ),
    ("single-id GET /blocked-leads/check: p99", lambda run: run.single_check_p99, "ms"),
    ("single-lead POST /blocked-leads: p99", lambda run: run.single_post_p99, "ms"),
    ("list: first page", lambda run: run.first_page_ms, "ms"),
    ("bare app on the raw engine: single-id GET /check", lambda run: run.engine_check_get, "req/s"),
    (
        "bare app on the raw engine: single-lead POST /block",
        lambda run: run.engine_block_post,
        "req/s",
    ),
    (
        "bare app on the raw engine: POST /check of 10,000 ids",
        lambda run: run.engine_check_ms,
        "ms",
    ),
    ("bare app on the raw engine: bulk of 10,000-lead POST /block", overall(bare_bulk), "leads/s"),
    ("bulk: first 100,000 leads", first(lead_bulk), "leads/s"),
    ("bulk: last 100,000 leads", last(lead_bulk), "leads/s"),
    ("raw bulk reference: first 100,000 rows", first(raw_bulk), "rows/s"),
    ("raw bulk reference: last 100,000 rows", last(raw_bulk), "rows/s"),
)


def _format(value: float, unit: str) -> str:
    if unit in ("ms", "MB"):
        return f"{value:,.1f} {unit}"
    if unit == "%":
        return f"{value:.0f}%"
    if unit == "×":
        return f"{value:.2f}×"
    return f"{value:,.0f} {unit}"


def _values(runs: list[Run], figure: Figure) -> list[float]:
    return [value for run in runs if (value := figure(run)) is not None]


def _cell(runs: list[Run], figure: Figure, unit: str) -> tuple[float, str]:
    """The median of the runs and its text: **median** (each run)."""
    values = _values(runs, figure)
    if not values:
        return float("nan"), "failed"
    each_run = ", ".join(_format(value, unit).split(" ")[0] for value in values)
    median = statistics.median(values)
    return median, f"**{_format(median, unit)}** ({each_run})"


def _goal_cell(goal: Goal, backend: str, runs: list[Run], joiner: str) -> str:
    judged, text = _cell(runs, goal.figure, goal.unit)
    compared = goal.reference is not None or goal.beside is not None
    parts = [f"leadblock {text}" if compared else text]
    if goal.reference is not None:
        parts.append(f"{goal.reference_name} {_cell(runs, goal.reference, goal.unit)[1]}")
        judged, text = _cell(runs, ratio(goal.figure, goal.reference), "×")
        parts.append(f"ratio {text}")
    if goal.beside is not None:
        parts.append(f"{goal.beside_name} {_cell(runs, goal.beside, goal.unit)[1]}")
    limit = goal.limits[backend]
    # A comparison with NaN (nothing measured) is False: not met.
    if goal.meets(judged, limit):
        parts.append("met")
    elif goal.ceiling is None:
        parts.append("**not met**")
    else:
        unit = "×" if goal.reference is not None else goal.unit
        reached, text = _cell(runs, goal.ceiling, unit)
        parts.append(f"bare app on the raw engine {text}")
        # NaN (the ceiling was not measured) is not out of reach either.
        out_of_reach = reached == reached and not goal.meets(reached, limit)
        parts.append("**not met**, out of reach (engine)" if out_of_reach else "**not met**")
    return joiner.join(parts)


def tables(results: dict[str, list[Run]], joiner: str = "<br>") -> str:
    """The goals, then the raw figures, as markdown; `joiner` separates the parts of a cell."""
    backends = list(results)
    lines = [
        "| goal | target (SQLite / PostgreSQL) | " + " | ".join(backends) + " |",
        "|---|---|" + "---|" * len(backends),
    ]
    for goal in GOALS:
        cells = [_goal_cell(goal, backend, results[backend], joiner) for backend in backends]
        lines.append(f"| {goal.name} | {goal.target} | " + " | ".join(cells) + " |")
    lines += ["", "| raw figure | " + " | ".join(backends) + " |", "|---|" + "---|" * len(backends)]
    for name, figure, unit in DETAILS:
        cells = [_cell(results[backend], figure, unit)[1] for backend in backends]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for backend in backends:
        for number, run in enumerate(results[backend], 1):
            for failure in run.failures:
                lines += ["", f"**{backend}, run {number}, failed phase** — {failure}"]
    return "\n".join(lines)


def median_curve(curves: list[Segments]) -> Segments:
    """(workspace size, median rate over the curves) of each 100,000 they all measured."""
    length = min((len(curve) for curve in curves), default=0)
    return [
        (curves[0][index][0], statistics.median(curve[index][1] for curve in curves))
        for index in range(length)
    ]


REFERENCE_NAMES = {"sqlite": "raw sqlite3", "postgresql": "raw psycopg COPY"}


def plot(results: dict[str, list[Run]], path: Path) -> None:
    import matplotlib  # type: ignore[import-not-found,unused-ignore]

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # type: ignore[import-not-found,unused-ignore]
    from matplotlib.ticker import StrMethodFormatter  # type: ignore[import-not-found,unused-ignore]

    figure, axes = plt.subplots(figsize=(8, 5.5), dpi=100)
    for number, (backend, runs) in enumerate(results.items()):
        color = f"C{number}"
        curves = (
            (f"{backend}: leadblock", lead_bulk, "-", "o"),
            (f"{backend}: {REFERENCE_NAMES.get(backend, 'raw')} reference", raw_bulk, "--", "s"),
            (f"{backend}: bare app on the raw engine", bare_bulk, ":", "^"),
        )
        for label, segments, style, marker in curves:
            measured = [segments(run) for run in runs if segments(run)]
            if curve := median_curve(measured):
                sizes, rates = zip(*curve, strict=True)
                axes.plot(
                    sizes,
                    rates,
                    linestyle=style,
                    marker=marker,
                    color=color,
                    label=f"{label} (median of {len(measured)} runs)",
                )
    axes.set_xlabel("workspace size (rows)")
    axes.set_ylabel("rows/s over the last 100,000")
    axes.set_title("Bulk: 10,000 rows per request (leadblock) or per transaction (raw)")
    axes.set_ylim(bottom=0)
    axes.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    axes.grid(alpha=0.3)
    # Below the axes: the curves fill the plot.
    axes.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2)
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
    print("\n" + tables(results, joiner=" · "))
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    plot(results, folder / "bulk.png")
    today = datetime.date.today().isoformat()
    section = f"""## Storage v2 (issue #13)

Written by `make bench`; how the figures came about, the profiles behind them and what was
tried is in [performance.md](performance.md).

- Date: {today}
- Machine: {machine}
- Command: `{command}` ({args.runs} runs per backend, each on a fresh database and a fresh
  server process; bulk to {args.bulk_total:,} blocks, dispatch from {args.dispatch_size:,},
  import/export of {args.transfer_rows:,} rows, {args.single_requests:,} requests per
  single-lead load)
- One `leadblock serve` process (uvicorn, one worker); the load generator runs on the same
  machine and shares its cores.
- References, measured in every run next to the path they judge, in their own process or
  connection with nothing of leadblock's (no leadblock code, settings, middleware, process or
  database):
  - **bare**: [bench/bare_app.py](../bench/bare_app.py), FastAPI without middleware in its own
    uvicorn process (one worker): `GET /hello`, and `POST /echo` validating the body shape of
    `POST /blocked-leads` (2 leads) with pydantic, no database; same load, 64 connections;
  - **raw sqlite3** (SQLite): the `sqlite3` module in the bench process on a fresh file (WAL,
    `synchronous=FULL`), one table with only a unique index on the identifier; bulk of as many
    random identifiers as the bulk phase, 10,000 rows per transaction
    (`executemany` of `INSERT … ON CONFLICT DO NOTHING`), and import of as many rows as the CSV
    in one transaction;
  - **raw psycopg COPY** (PostgreSQL): psycopg on its own connection to its own database of the
    run's cluster, the same table; per transaction, `COPY` into a temporary staging table then
    `INSERT … SELECT … ON CONFLICT DO NOTHING`, 10,000 rows each (bulk) or all at once
    (import).
  - **bare app on the raw engine**: the same bare app, started on the raw bulk reference's
    database after that reference (as many rows as leadblock's bulk workspace) with a `keys`
    table, serving leadblock's hot paths the plainest fast way: key lookup, then one lookup
    (`GET /check`), up to 10,000 (`POST /check`) or an insert and a commit (`POST /block`, one
    lead, or 10,000 at a time in its own bulk phase on a fresh database, as many as leadblock's);
    SQLite on one `sqlite3` connection on the event loop, PostgreSQL on psycopg's async
    connections (`psycopg_pool`). Same loads as leadblock's. When it too misses a goal, the
    cell says **out of reach (engine)**: no FastAPI app on this engine and machine meets it.
- leadblock's in-server reference routes (its app and middleware, no database) are raw figures
  only: they show what its middleware costs next to the bare app.
- Each cell: **median of the runs** (each run); leadblock's figure, the reference's, their
  ratio (the median of the runs' ratios, which the goal judges), met or not.

{tables(results)}

![Bulk throughput against workspace size, leadblock and the raw references](bulk.png)
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
