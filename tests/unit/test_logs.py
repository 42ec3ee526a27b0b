import json
import logging
import re
import sys
from datetime import date

import pytest

from servers.runtime.logs import JsonFormatter, configure_logging, request_id_var


def record(message="seeded %s hotels", args=(24,), level=logging.INFO, exc_info=None, **extra) -> logging.LogRecord:
    return logging.getLogger("hotelagg.test").makeRecord(
        "hotelagg.test", level, __file__, 1, message, args, exc_info, extra=extra or None
    )


def formatted(rec: logging.LogRecord) -> dict:
    line = JsonFormatter().format(rec)
    assert "\n" not in line
    entry = json.loads(line)
    assert isinstance(entry, dict)
    return entry


@pytest.fixture
def request_id():
    token = request_id_var.set("req-123")
    yield "req-123"
    request_id_var.reset(token)


def test_record_is_one_json_object_with_time_level_logger_and_message():
    entry = formatted(record())
    assert entry == {"time": entry["time"], "level": "INFO", "logger": "hotelagg.test", "message": "seeded 24 hotels"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["time"])


def test_multi_line_message_stays_on_one_line():
    assert formatted(record("first\nsecond", ()))["message"] == "first\nsecond"


def test_request_id_of_the_current_context_is_included(request_id):
    assert formatted(record())["request_id"] == request_id


def test_no_request_id_outside_an_rpc():
    assert "request_id" not in formatted(record())


def test_extras_are_included_as_fields():
    entry = formatted(record(hotels=24, services=["inventory"], grace_seconds=2.5))
    assert (entry["hotels"], entry["services"], entry["grace_seconds"]) == (24, ["inventory"], 2.5)


def test_extras_that_json_cannot_encode_are_written_as_text():
    entry = formatted(record(night=date(2026, 6, 1), rooms={3}))
    assert (entry["night"], entry["rooms"]) == ("2026-06-01", "{3}")


def test_exception_traceback_is_included():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        entry = formatted(record("failed", (), level=logging.ERROR, exc_info=sys.exc_info()))
    assert entry["level"] == "ERROR"
    assert "RuntimeError: boom" in entry["exception"]


@pytest.fixture
def restored_root_logger():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


def test_configure_logging_writes_json_lines_to_stderr(restored_root_logger, capsys):
    configure_logging("warning")
    logging.getLogger("hotelagg.x").info("not shown")
    logging.getLogger("hotelagg.x").warning("shown", extra={"hotel_id": "h-1"})
    lines = capsys.readouterr().err.splitlines()
    assert [json.loads(line)["message"] for line in lines] == ["shown"]
    assert json.loads(lines[0])["hotel_id"] == "h-1"
    assert restored_root_logger.level == logging.WARNING
