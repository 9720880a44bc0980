"""The access log writes the same JSON line as the logging path, and falls back to it."""

import asyncio
import io
import json
import logging

import pytest

from shared.logging import configure_logging
from services.api.access_log import FLUSH_LINES, FLUSH_SECONDS, LOGGER, AccessLog


@pytest.fixture
def json_stream() -> io.StringIO:
    stream = io.StringIO()
    configure_logging("INFO", "json", stream)
    return stream


def only_configured_handler() -> None:
    """Drop the capture handlers the test runner adds around each test (the autouse fixture restores them)."""
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if type(h) is logging.StreamHandler]


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_direct_line_matches_what_the_json_formatter_writes(json_stream: io.StringIO) -> None:
    only_configured_handler()
    access = AccessLog()
    access.write("POST", "/v1/recommendations", 200, "req-1", 0.0012345)
    assert access._direct_handler() is not None  # the fast path was taken
    logging.getLogger(LOGGER).info(
        "%s %s %d", "POST", "/v1/recommendations", 200,
        extra={"request_id": "req-1", "method": "POST", "path": "/v1/recommendations", "status": 200, "duration_ms": 1.234},
    )  # fmt: skip
    direct, formatted = lines(json_stream)
    assert list(direct) == list(formatted)  # same fields, same order
    assert {k: v for k, v in direct.items() if k != "time"} == {k: v for k, v in formatted.items() if k != "time"}
    assert direct["time"][:16] == formatted["time"][:16] and len(direct["time"]) == len(formatted["time"])


def test_other_handlers_text_logs_and_levels_take_the_logging_path(json_stream: io.StringIO) -> None:
    only_configured_handler()
    access = AccessLog()
    seen: list[logging.LogRecord] = []
    extra = logging.Handler()
    extra.emit = seen.append  # type: ignore[method-assign]
    logging.getLogger().addHandler(extra)
    access.write("GET", "/healthz", 200, "req-2", 0.0001)
    assert access._direct_handler() is None
    assert [r.request_id for r in seen] == ["req-2"] and lines(json_stream)[0]["request_id"] == "req-2"

    text = io.StringIO()
    configure_logging("INFO", "text", text)
    only_configured_handler()
    access.write("GET", "/healthz", 503, "req-3", 0.0001)
    assert "GET /healthz 503" in text.getvalue()

    configure_logging("WARNING", "json", json_stream)
    access.write("GET", "/healthz", 200, "req-4", 0.0001)
    assert "req-4" not in json_stream.getvalue()


def test_in_an_event_loop_lines_are_written_in_batches(json_stream: io.StringIO) -> None:
    only_configured_handler()
    access = AccessLog()

    async def serve() -> None:
        for number in range(3):
            access.write("GET", "/healthz", 200, f"req-{number}", 0.0001)
        assert lines(json_stream) == []  # waiting for the batch
        await asyncio.sleep(FLUSH_SECONDS * 3)
        assert [line["request_id"] for line in lines(json_stream)] == ["req-0", "req-1", "req-2"]
        for number in range(FLUSH_LINES + 1):
            access.write("GET", "/healthz", 200, f"more-{number}", 0.0001)
        assert len(lines(json_stream)) == 3 + FLUSH_LINES  # a full batch is written at once
        access.flush()  # as the app does when it shuts down
        assert lines(json_stream)[-1]["request_id"] == f"more-{FLUSH_LINES}"

    asyncio.run(serve())
