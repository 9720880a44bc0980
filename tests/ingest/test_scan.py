"""The driver-side scan: header, encoding, sha256, and where records start."""

import csv
import hashlib
import io
import random
from pathlib import Path

import numpy as np
import pytest

from services.ingest import records
from services.ingest.scan import EncodingProbe, read_header, scan_catalog
from shared.errors import IngestError


def structure_of(text: str) -> records.Structure:
    data = np.frombuffer(text.encode(), np.uint8)
    return records.structure(data, np.flatnonzero(data == 10), np.flatnonzero(data == 34))


def record_lines(text: str, multiline: bool = True) -> list[int]:
    """1-based line of every data record, from the scan's count and steps."""
    count, steps = structure_of(text).records(multiline)
    shifts = dict(steps)
    lines, shift = [], 0
    for record in range(count):
        shift = shifts.get(record, shift)
        lines.append(record + 2 + shift)
    return lines


@pytest.mark.parametrize(
    "head, message",
    [
        (b"", "is empty"),
        (b"\xef\xbb\xbf \r\n\n", "is empty"),
        (b"PK\x03\x04\x00\x00binary", "not a CSV text file"),
        (b"\xff\xfet\x00r\x00a\x00", "not a CSV text file"),
        (b"just one column\nvalue\n", "no comma-separated columns ('just one column')"),
    ],
)
def test_a_file_that_is_not_a_csv_catalog_is_refused_with_the_reason(head: bytes, message: str) -> None:
    with pytest.raises(IngestError, match=f"catalog.csv .*{message.replace('(', '.').replace(')', '.')}"):
        read_header(head, "catalog.csv")


def test_the_header_is_read_with_quotes_and_without_the_byte_order_mark() -> None:
    assert read_header(b'\xef\xbb\xbftrack_id,"name, full",energy\r\n1,2,3\r\n', "x") == ["track_id", "name, full", "energy"]


@pytest.mark.parametrize(
    "chunks, encoding",
    [
        ([b"id,name\n", "1,Beyonc\u00e9\n".encode()], "utf-8"),
        ([b"\xef\xbb\xbfid,name\n1,Bj\xc3", b"\xb6rk\n"], "utf-8-sig"),  # a character split between chunks
        ([b"id,name\n1,Beyonc\xe9 \x96 Mot\xf6rhead\n"], "cp1252"),
        ([b"id,name\n1,Beyonc\xe9\x81\n"], "latin-1"),  # 0x81 is undefined in Windows-1252
        ([b"id,name\n1,caf\xc3"], "cp1252"),  # a sequence cut off at the end is not UTF-8
    ],
)
def test_the_encoding_is_utf8_unless_a_byte_says_otherwise(chunks: list[bytes], encoding: str) -> None:
    probe = EncodingProbe()
    for number, chunk in enumerate(chunks):
        probe.feed(chunk, first=number == 0)
    assert probe.finish() == encoding


def test_records_start_after_quoted_newlines_blank_lines_and_escaped_quotes() -> None:
    text = (
        "id,name,x\r\n"  # 1 header
        '1,"two\r\nlines",3\r\n'  # 2-3
        "\r\n"  # 4 blank
        '2,"he said ""hi""",3\r\n'  # 5
        '3,12" Mix,3\r\n'  # 6 a stray quote inside an unquoted field changes nothing
        "   \r\n"  # 7 whitespace only
        '4,"a, b",3\r\n'  # 8
        '5,"""quoted\nstart""",3\n'  # 9-10
        "6,last,3"  # 11 no final newline
    )
    assert record_lines(text) == [2, 5, 6, 8, 9, 11]
    assert structure_of(text).quoted_newlines and structure_of(text).balanced


def test_read_line_by_line_every_non_blank_line_is_a_record() -> None:
    text = 'id,name\n1,"open\n2,b\n\n3,c\n'
    structure = structure_of(text)
    assert not structure.balanced  # the quote is never closed
    count, steps = structure.records(multiline=False)
    assert count == 3 and steps == ((2, 1),)


def test_record_starts_agree_with_pythons_csv_module_on_random_files() -> None:
    rng = random.Random(7)
    pieces = ["a", "b c", "", "x,y", 'say "hi"', "two\nlines", "tail\r\n", " ", "12\" mix"]
    for _ in range(200):
        rows = [[rng.choice(pieces) for _ in range(3)] for _ in range(rng.randint(1, 12))]
        out = io.StringIO()
        csv.writer(out, lineterminator=rng.choice(["\n", "\r\n"])).writerows([["h1", "h2", "h3"], *rows])
        text = out.getvalue()
        reader = csv.reader(io.StringIO(text, newline=""))
        expected, previous = [], 0
        for row in reader:
            blank = not row or (len(row) == 1 and not row[0].strip())
            if not blank and previous > 0:  # the header starts on line 1
                expected.append(previous + 1)
            previous = reader.line_num
        assert record_lines(text) == expected, text


def test_the_scan_hashes_every_part_in_order_and_finds_the_encoding(tmp_path: Path) -> None:
    first = tmp_path / "part-1.csv"
    second = tmp_path / "part-2.csv"
    first.write_bytes(b"track_id,name\n1,a\n2,b\n")
    second.write_bytes(b"track_id,name\n3,Caf\xe9\n")
    scan = scan_catalog([first, second], ["part-1.csv", "part-2.csv"], "catalog")
    assert scan.sha256 == hashlib.sha256(first.read_bytes() + second.read_bytes()).hexdigest()
    assert scan.size == first.stat().st_size + second.stat().st_size
    assert scan.encoding == "cp1252" and scan.spark_charset == "windows-1252"
    assert [(p.name, p.records, p.line_steps) for p in scan.parts] == [("part-1.csv", 2, ()), ("part-2.csv", 1, ())]
    assert not scan.multiline
