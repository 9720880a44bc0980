"""Logging set-up for entry points (API, worker, ingest CLI). Library code only logs.

Every record goes to one handler on stderr, as one JSON line (or as text for terminals).
An entry point that logs on its hot path (the API writes a line per request) asks for the
handler to run on a thread of its own: the caller then only puts the record on a queue
(:class:`logging.handlers.QueueHandler`), one :class:`~logging.handlers.QueueListener` writes
them in the order they came, and :func:`stop_logging` (also run at exit) writes what is still
waiting before it returns.
"""

from __future__ import annotations

import atexit
import copy
import logging
import logging.handlers
import queue
import sys

try:  # the same lines, written with orjson where it is installed (the API)
    from pythonjsonlogger.orjson import OrjsonFormatter as JsonFormatter
except ImportError:
    from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

_listener: logging.handlers.QueueListener | None = None


class RecordQueueHandler(logging.handlers.QueueHandler):
    """Queues a copy of the record with its message merged and its traceback as text, and
    leaves the formatting (JSON, with the record's extra fields) to the listener's handler."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        record = copy.copy(record)
        record.msg, record.args = record.getMessage(), None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        return record


def configure_logging(level: str = "INFO", fmt: str = "json", stream=None, *, queued: bool = False) -> None:
    """Send every record to ``stream`` (stderr) as one JSON line, or as text for terminals;
    with ``queued``, through a queue and a listener thread (see the module docstring)."""
    stop_logging()
    handler = logging.StreamHandler(stream or sys.stderr)
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    if queued:
        global _listener
        records: queue.SimpleQueue = queue.SimpleQueue()
        _listener = logging.handlers.QueueListener(records, handler)
        _listener.start()
        atexit.register(stop_logging)
        root.handlers[:] = [RecordQueueHandler(records)]
    else:
        root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("urllib3", "py4j", "botocore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def stop_logging() -> None:
    """Write every queued record, stop the listener thread and log directly from then on
    (nothing to do without a queue)."""
    global _listener
    if _listener is not None:
        root = logging.getLogger()
        root.handlers[:] = [h for h in root.handlers if not isinstance(h, RecordQueueHandler)] + list(_listener.handlers)
        _listener.stop()  # writes what is queued, then returns
        _listener = None
