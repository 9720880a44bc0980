"""The JSON log: every record one line with its extra fields and traceback, in order, from any thread."""

import io
import json
import logging
import threading

from shared.logging import configure_logging


def test_records_from_many_threads_arrive_whole_and_in_each_threads_order() -> None:
    stream = io.StringIO()
    configure_logging("INFO", "json", stream)

    def write(thread: int) -> None:
        for number in range(500):
            logging.getLogger("services.api.access").info("line %d", number, extra={"thread_no": thread, "number": number})

    threads = [threading.Thread(target=write, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 2000
    for thread in range(4):
        assert [r["number"] for r in lines if r["thread_no"] == thread] == list(range(500))
    assert lines[0]["message"].startswith("line ") and {"time", "level", "logger"} <= set(lines[0])


def test_a_traceback_and_the_extra_fields_are_in_the_line() -> None:
    stream = io.StringIO()
    configure_logging("INFO", "json", stream)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("services.api.middleware").exception("unhandled error", extra={"request_id": "r-1"})
    [record] = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert record["message"] == "unhandled error" and record["request_id"] == "r-1"
    assert "RuntimeError: boom" in record["exc_info"] and "Traceback" in record["exc_info"]
