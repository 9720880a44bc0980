"""Queued logging (the API's): every record as one JSON line, in order, none lost at the end."""

import io
import json
import logging
import threading

import pytest

from shared.logging import configure_logging, stop_logging


@pytest.fixture
def queued_json() -> io.StringIO:
    stream = io.StringIO()
    configure_logging("INFO", "json", stream, queued=True)
    yield stream
    stop_logging()


def test_records_from_many_threads_arrive_whole_and_in_each_threads_order(queued_json: io.StringIO) -> None:
    def write(thread: int) -> None:
        for number in range(500):
            logging.getLogger("services.api.access").info("line %d", number, extra={"thread_no": thread, "number": number})

    threads = [threading.Thread(target=write, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop_logging()  # writes what is still queued
    lines = [json.loads(line) for line in queued_json.getvalue().splitlines()]
    assert len(lines) == 2000
    for thread in range(4):
        assert [r["number"] for r in lines if r["thread_no"] == thread] == list(range(500))
    assert lines[0]["message"].startswith("line ") and {"time", "level", "logger"} <= set(lines[0])


def test_a_traceback_and_the_extra_fields_survive_the_queue(queued_json: io.StringIO) -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("services.api.middleware").exception("unhandled error", extra={"request_id": "r-1"})
    stop_logging()
    [record] = [json.loads(line) for line in queued_json.getvalue().splitlines()]
    assert record["message"] == "unhandled error" and record["request_id"] == "r-1"
    assert "RuntimeError: boom" in record["exc_info"] and "Traceback" in record["exc_info"]


def test_after_the_listener_stops_records_are_written_directly(queued_json: io.StringIO) -> None:
    stop_logging()
    logging.getLogger("late").warning("after shutdown")
    assert json.loads(queued_json.getvalue().splitlines()[-1])["message"] == "after shutdown"
