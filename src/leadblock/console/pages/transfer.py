"""CSV import with live progress and a per-row error report, and CSV export.

The browser sends the file as the request body and reads the answer as it streams: one JSON
line per progress report, then one line with the outcome or the errors. The import itself is
`services.transfer.import_csv`, run in a thread of its own; the answer relays its reports.
"""

from __future__ import annotations

import logging
import queue
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any

import orjson
from fastapi import Request
from starlette.responses import Response, StreamingResponse

from leadblock.console.web import DatabaseDep, PostVisitorDep, VisitorDep, new_router, render
from leadblock.domain.records import Caller
from leadblock.errors import InvalidInput, LeadblockError
from leadblock.services import transfer
from leadblock.services.blocklist import require_writer
from leadblock.storage.db import Database
from leadblock.web.streaming import in_foreground

router = new_router()
logger = logging.getLogger("leadblock")
_SPOOL_IN_MEMORY = 8 * 1024 * 1024
_ECHO = 200


@router.get("/transfer")
def transfer_page(request: Request, visitor: VisitorDep) -> Response:
    return render(request, "transfer.html", visitor)


@router.post("/import")
async def import_csv(request: Request, visitor: PostVisitorDep, database: DatabaseDep) -> Response:
    require_writer(visitor.caller)
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 - closed by the stream
    async for chunk in request.stream():
        spool.write(chunk)
    spool.seek(0)
    progress = _import_progress(database, visitor.caller, spool)
    return StreamingResponse(
        in_foreground(request.app.state.foreground, progress), media_type="application/x-ndjson"
    )


@router.get("/export")
def export_csv(request: Request, visitor: VisitorDep, database: DatabaseDep) -> Response:
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    return StreamingResponse(
        in_foreground(request.app.state.foreground, transfer.export_csv(database, visitor.caller)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="blocklist-{day}.csv"'},
    )


def _import_progress(database: Database, caller: Caller, spool: IO[bytes]) -> Iterator[bytes]:
    """JSON lines: {"percent", "phase"} while the import runs, then {"done": {...}} or
    {"error": message, "rows": [{"line", "value", "message"}]}."""
    reports: queue.Queue[dict[str, Any]] = queue.Queue()

    def progress(phase: str, done: int, total: int) -> None:
        # Validating is the first half of the bar, blocking the second.
        share = done / total if total else 1.0
        percent = 50 * share if phase == "validating" else 50 + 50 * share
        reports.put({"phase": phase, "percent": round(percent, 1)})

    def work() -> None:
        try:
            outcome = transfer.import_csv(database, caller, spool, progress)
            reports.put(
                {
                    "done": {
                        "rows": outcome.rows,
                        "blocked": outcome.blocked,
                        "alreadyBlocked": outcome.already_blocked,
                        "duplicates": outcome.duplicates,
                    }
                }
            )
        except LeadblockError as error:
            items = error.errors if isinstance(error, InvalidInput) else []
            rows = [
                {"row": item.index + 1, "value": str(item.value)[:_ECHO], "message": item.message}
                for item in items
            ]
            reports.put({"error": error.message, "rows": rows})
        except Exception:
            logger.exception("console import failed")
            reports.put({"error": "The import failed unexpectedly; it has been logged."})
        finally:
            spool.close()

    threading.Thread(target=work, name="console-import", daemon=True).start()
    while True:
        report = reports.get()
        yield orjson.dumps(report) + b"\n"
        if "done" in report or "error" in report:
            return
