"""Reading limits: hostile files (zip bombs, a giant cell, a giant CSV line, endless problems)
get one clean refusal within seconds, under a 2 GB address-space limit, not a MemoryError.

The bombs are built here. A big deflate stream is made by compressing a chunk once with a
full flush (so it refers to nothing before it) and repeating those bytes: a sheet inflating
to 1.5 GB costs a megabyte and a CRC pass to build. Each refusal through the CLI is timed and
its peak memory (the child's ru_maxrss) printed, for the issue's figures (`pytest -s`).
"""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from cli.main import cli
from formats import limits as reading_limits
from formats.limits import FileTooLarge, LimitExceeded, Limits, check_zip, parse_limits
from importers.dispatch import read_items
from importers.practical import read_practical_data
from importers.review_xlsx import read_review_xlsx
from importers.tables import read_sheets
from qbank.errors import ImportRejected, InvalidInput
from qbank.records import PROBLEMS_KEPT, Location, Problem, ProblemList

MiB, GiB = 1024**2, 1024**3
ADDRESS_SPACE = 2 * GiB
REFUSAL_SECONDS = 60  # generous for a loaded 2-core machine; the figures printed are the truth
QBANK = [sys.executable, "-c", "from cli.main import main; main()"]
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<sheetData>"
)
SHEET_TAIL = b"</sheetData></worksheet>"
SHEET = "xl/worksheets/sheet1.xml"


# --- building bombs ------------------------------------------------------------------------


@dataclass
class Member:
    """One zip member as raw deflate pieces; `declared` overrides the size the directory says."""

    name: str
    pieces: list[tuple[bytes, bytes, int]]  # (plain chunk, its deflated bytes, repeat count)
    declared: int | None = None


def _deflated(data: bytes) -> bytes:
    """`data` as raw deflate blocks that refer to nothing before them (full flush)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


def member(name: str, *parts: tuple[bytes, int]) -> Member:
    return Member(name, [(plain, _deflated(plain), count) for plain, count in parts])


_FINAL = zlib.compressobj(9, zlib.DEFLATED, -15).flush()  # an empty final block


def write_zip(path: Path, members: Iterable[Member]) -> Path:
    """A zip of deflated members written by hand, so that sizes up to 4 GB cost no time."""
    central = []
    with open(path, "wb") as out:
        for m in members:
            crc, size, packed = 0, 0, len(_FINAL)
            for plain, deflated, count in m.pieces:
                for _ in range(count):
                    crc = zlib.crc32(plain, crc)
                size += len(plain) * count
                packed += len(deflated) * count
            declared = size if m.declared is None else m.declared
            assert declared < 2**32 and packed < 2**32, "keep bombs below zip64"
            name = m.name.encode()
            offset = out.tell()
            fixed = (20, 0, 8, 0, 0x21, crc, packed, declared, len(name), 0)
            out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", *fixed) + name)
            for _plain, deflated, count in m.pieces:
                for _ in range(count):
                    out.write(deflated)
            out.write(_FINAL)
            central.append(
                struct.pack(
                    "<4s6H3L5H2L",
                    b"PK\x01\x02",
                    20,
                    *fixed[:-1],
                    0,
                    0,
                    0,
                    0,
                    0,
                    offset,
                )
                + name
            )
        start = out.tell()
        for entry in central:
            out.write(entry)
        end = struct.pack(
            "<4s4H2LH",
            b"PK\x05\x06",
            0,
            0,
            len(central),
            len(central),
            out.tell() - start,
            start,
            0,
        )
        out.write(end)
    return path


def workbook_members(tmp_path: Path) -> list[Member]:
    """Every member of a real one-sheet workbook except the sheet itself."""
    book = Workbook()
    book.active.append(["题型", "题干", "答案"])  # type: ignore[union-attr]
    template = tmp_path / "template.xlsx"
    book.save(template)
    with zipfile.ZipFile(template) as archive:
        return [member(n, (archive.read(n), 1)) for n in archive.namelist() if n != SHEET]


def xlsx_with_sheet(path: Path, sheet: Member) -> Path:
    return write_zip(path, [*workbook_members(path.parent), sheet])


def rows_sheet(inflated: int, declared: int | None = None) -> Member:
    """A sheet of `inflated` bytes of empty `<row/>` elements."""
    chunk = b"<row/>" * (MiB // 6)
    sheet = member(SHEET, (SHEET_HEAD, 1), (chunk, inflated // len(chunk)), (SHEET_TAIL, 1))
    sheet.declared = declared
    return sheet


def cell_sheet(chars: int, declared: int | None = None) -> Member:
    """A sheet whose only cell holds `chars` letters."""
    head = SHEET_HEAD + b'<row r="1"><c r="A1" t="inlineStr"><is><t>'
    chunk = b"a" * MiB
    tail = b"</t></is></c></row>" + SHEET_TAIL
    sheet = member(SHEET, (head, 1), (chunk, chars // MiB), (tail, 1))
    sheet.declared = declared
    return sheet


# --- running the CLI as a user would, under an address-space limit ------------------------


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float


def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run_qbank(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """`qbank ARGS` in a child process limited to 2 GB of address space; its time and peak."""
    out, err = cwd / "stdout.txt", cwd / "stderr.txt"
    started = time.monotonic()
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        child = subprocess.Popen(
            [*QBANK, *args],
            stdout=stdout,
            stderr=stderr,
            cwd=Path(__file__).resolve().parent.parent,
            env={**os.environ, "QBANK_LANG": "en", **(env or {})},
            preexec_fn=_limit_address_space,
        )
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    return Run(
        child.returncode,
        out.read_text(errors="replace"),
        err.read_text(errors="replace"),
        seconds,
        usage.ru_maxrss / 1024,
    )


def import_items_cli(path: Path, tmp_path: Path, *extra: str) -> Run:
    db = tmp_path / "qbank.db"
    args = ["import", "items", str(path), "--occupation", "6-31-01-03", "--level", "4"]
    args += ["--create", "--occupation-name", "电工"]
    run = run_qbank([*args, "--db", str(db), *extra], tmp_path)
    size = path.stat().st_size / MiB
    print(
        f"\n[limits] qbank import items {path.name} ({size:.1f} MB) {' '.join(extra)}: "
        f"exit {run.code}, {run.seconds:.1f} s, peak {run.peak_mb:.0f} MB"
        f" | {run.stderr.strip().splitlines()[0] if run.stderr.strip() else ''}"
    )
    return run


def assert_clean_refusal(run: Run, *words: str) -> None:
    assert run.code == 1, run.stderr[-2000:]
    assert "Traceback" not in run.stderr + run.stdout
    assert "MemoryError" not in run.stderr
    assert run.seconds < REFUSAL_SECONDS
    for word in words:
        assert word in run.stderr, run.stderr[-2000:]


def test_cli_starts_under_the_address_space_limit(tmp_path: Path) -> None:
    run = run_qbank(["import", "items", "--help"], tmp_path)
    print(f"\n[limits] qbank import items --help: {run.seconds:.1f} s, peak {run.peak_mb:.0f} MB")
    assert run.code == 0, run.stderr
    assert "--limit" in run.stdout and "QBANK_LIMITS" in run.stdout


# --- the bombs of the issue ----------------------------------------------------------------


def test_rows_bomb_honest_directory_refused_before_inflating(tmp_path: Path) -> None:
    """1.5 GB of `<row/>` in ~2 MB: refused from the zip directory, nothing inflated."""
    bomb = xlsx_with_sheet(tmp_path / "rows.xlsx", rows_sheet(1536 * MiB))
    assert bomb.stat().st_size < 8 * MiB
    run = import_items_cli(bomb, tmp_path)
    assert_clean_refusal(run, "rows.xlsx", SHEET, "uncompressed size", "member_size")


def test_rows_bomb_lying_directory_is_stopped_at_the_declared_size(tmp_path: Path) -> None:
    """The directory says 1 MB, the stream holds 1.5 GB: nothing past 1 MB is ever inflated."""
    bomb = xlsx_with_sheet(tmp_path / "liar.xlsx", rows_sheet(1536 * MiB, declared=MiB))
    run = import_items_cli(bomb, tmp_path)
    assert_clean_refusal(run, "liar.xlsx")
    assert run.peak_mb < 1024


def test_rows_bomb_within_size_limits_stops_at_the_row_limit(tmp_path: Path) -> None:
    """Raised size limits: rows are counted while streaming, before openpyxl (which holds
    every row of a sheet without <dimension> while looking for one) sees the sheet."""
    bomb = xlsx_with_sheet(tmp_path / "many.xlsx", rows_sheet(300 * MiB))
    run = import_items_cli(bomb, tmp_path, "--limit", "member_size=1G")
    assert_clean_refusal(run, "many.xlsx", SHEET, "number of rows", "--limit rows=")
    assert run.peak_mb < 1024


def test_row_number_bomb_refused_at_the_row_limit(tmp_path: Path) -> None:
    """One `<row r="2000000000"/>` would make openpyxl fill in two billion empty rows."""
    sheet = member(SHEET, (SHEET_HEAD + b'<row r="2000000000"/>' + SHEET_TAIL, 1))
    bomb = xlsx_with_sheet(tmp_path / "far.xlsx", sheet)
    sheets, problems = read_sheets(bomb, "far.xlsx")
    assert sheets == []
    assert [p.key for p in problems] == ["limit.exceeded_here"]
    assert problems[0].location == Location("far.xlsx", "Sheet", 1_048_577)


def test_giant_cell_refused_by_member_size(tmp_path: Path) -> None:
    bomb = xlsx_with_sheet(tmp_path / "cell.xlsx", cell_sheet(1536 * MiB))
    run = import_items_cli(bomb, tmp_path)
    assert_clean_refusal(run, "cell.xlsx", "member_size")


def test_giant_cell_refused_while_streaming_with_raised_size_limits(tmp_path: Path) -> None:
    """Size limits raised past the cell: the text node is refused before it is a string."""
    bomb = xlsx_with_sheet(tmp_path / "cell.xlsx", cell_sheet(1536 * MiB))
    run = import_items_cli(
        bomb, tmp_path, "--limit", "member_size=3G", "--limit", "unzipped_size=3G"
    )
    assert_clean_refusal(run, "cell.xlsx", "characters in one cell", "cell_chars")
    assert run.peak_mb < 1024


def test_giant_cell_lying_directory(tmp_path: Path) -> None:
    bomb = xlsx_with_sheet(tmp_path / "cell.xlsx", cell_sheet(1536 * MiB, declared=10 * MiB))
    run = import_items_cli(bomb, tmp_path)
    assert_clean_refusal(run, "cell.xlsx")
    assert run.peak_mb < 1024


def test_cell_over_the_cell_limit_is_refused_after_parsing(tmp_path: Path) -> None:
    """A cell a little over the limit (under the streaming bound) is caught on its row."""
    bomb = xlsx_with_sheet(tmp_path / "long.xlsx", cell_sheet(0))
    with zipfile.ZipFile(bomb) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    parts[SHEET] = parts[SHEET].replace(b"<t></t>", b"<t>" + b"a" * 40_000 + b"</t>")
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    _, problems = read_sheets(bomb, "long.xlsx")
    assert [p.key for p in problems] == ["limit.exceeded_here"]
    assert problems[0].location.row == 1
    assert "cell_chars" in problems[0].message
    with reading_limits.applied(Limits(cell_chars=50_000)):
        sheets, problems = read_sheets(bomb, "long.xlsx")
    assert problems == [] and len(sheets[0].rows[0][1][0]) == 40_000  # type: ignore[arg-type]


def test_one_line_csv_refused_with_bounded_output(tmp_path: Path) -> None:
    """The issue's 56 MB one-line CSV: one refusal, not 8,000,000 problems."""
    bomb = tmp_path / "line.csv"
    with open(bomb, "wb") as out:
        out.write("题型,题干,答案\n".encode())
        for _ in range(56):
            out.write(b"x," * (MiB // 2))
    run = import_items_cli(bomb, tmp_path)
    assert_clean_refusal(run, "line.csv", "row 2", "line_chars")
    assert len(run.stderr) + len(run.stdout) < 4096


def test_csv_fields_and_long_field_limits(tmp_path: Path) -> None:
    wide = tmp_path / "wide.csv"
    wide.write_text("题型,题干,答案\n" + "x," * 20_000 + "\n", encoding="utf-8")
    _, problems = read_sheets(wide, "wide.csv")
    assert [p.location.row for p in problems] == [2] and "columns" in problems[0].message
    quoted = tmp_path / "quoted.csv"
    quoted.write_text('题型,题干,答案\n判断题,"' + "长\n" * 20_000 + '",对\n', encoding="utf-8")
    _, problems = read_sheets(quoted, "quoted.csv")
    assert len(problems) == 1 and "cell_chars" in problems[0].message
    with reading_limits.applied(Limits(cell_chars=100_000)):
        sheets, problems = read_sheets(quoted, "quoted.csv")
    assert problems == [] and len(sheets[0].rows) == 2


def test_csv_rows_limit(tmp_path: Path) -> None:
    many = tmp_path / "many.csv"
    many.write_text("题型,题干,答案\n" + "判断题,x,对\n" * 50, encoding="utf-8")
    with reading_limits.applied(Limits(rows=20)):
        _, problems = read_sheets(many, "many.csv")
    assert [p.location.row for p in problems] == [21]


def test_file_size_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    big.write_bytes(b"a,b\n" * 1000)
    with reading_limits.applied(Limits(file_size=1000)):
        _, problems = read_sheets(big, "big.csv")
    assert "file_size" in problems[0].message


# --- problems: the first 200 listed, all counted ------------------------------------------


def bad_rows_csv(path: Path, rows: int) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["题型", "题干", "答案"])
        for n in range(rows):
            writer.writerow(["判断题", f"第 {n} 题", "也许"])
    return path


def test_ten_thousand_bad_rows_list_200_and_count_the_rest(tmp_path: Path) -> None:
    bad = bad_rows_csv(tmp_path / "bad.csv", 10_000)
    run = import_items_cli(bad, tmp_path)
    assert run.code == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 200 + 2  # 200 problems, "and N more", the summary
    assert lines[200] == "… and 9800 more problem(s)"
    assert "10000 problem(s)" in lines[201]
    as_json = import_items_cli(bad, tmp_path, "--json")
    summary = json.loads(as_json.stdout)
    assert summary["problem_count"] == 10_000
    assert len(summary["problems"]) == 10_000
    more = import_items_cli(bad, tmp_path, "--limit", "problems=500")
    assert "… and 9500 more problem(s)" in more.stderr


def test_problems_kept_in_memory_are_bounded() -> None:
    where = Location("f")
    problems = ProblemList(Problem(where, "file", "problem.no_items") for _ in range(25_000))
    assert len(problems) == PROBLEMS_KEPT and problems.total == 25_000
    problems.extend(ProblemList([Problem(where, "file", "problem.no_items")], cap=0))
    assert problems.total == 25_001
    error = ImportRejected("f", problems)
    assert "25001" in str(error)


def test_problems_bounded_when_every_row_is_bad(tmp_path: Path) -> None:
    bad = bad_rows_csv(tmp_path / "bad.csv", 30_000)
    parsed = read_items(bad)
    assert len(parsed.problems) == PROBLEMS_KEPT
    assert parsed.problems.total == 30_000  # type: ignore[attr-defined]


# --- the API -------------------------------------------------------------------------------


def test_parse_limits_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    limits = parse_limits("member_size=1G, rows=2_000_000,cell-chars=64k")
    assert (limits.member_size, limits.rows, limits.cell_chars) == (GiB, 2_000_000, 65_536)
    for bad in ("nonsense=1", "rows", "rows=-1", "rows=lots"):
        with pytest.raises(InvalidInput):
            parse_limits(bad)
    monkeypatch.setenv(reading_limits.ENV_VAR, "rows=7")
    assert reading_limits.current().rows == 7
    with reading_limits.applied(Limits(rows=9)):
        assert reading_limits.current().rows == 9
    assert reading_limits.current().rows == 7


def test_bad_limit_option_is_a_usage_error(tmp_path: Path) -> None:
    args = ["import", "items", "x.csv", "--occupation", "6-31-01-03", "--level", "4"]
    result = CliRunner().invoke(cli, [*args, "--limit", "nope=3", "--db", str(tmp_path / "q.db")])
    assert result.exit_code == 2 and "nope=3" in result.output


def test_check_zip_names_member_and_limit(tmp_path: Path) -> None:
    bomb = xlsx_with_sheet(tmp_path / "rows.xlsx", rows_sheet(300 * MiB))
    with pytest.raises(FileTooLarge) as caught:
        check_zip(bomb)
    error = caught.value
    assert (error.limit, error.where, error.file) == ("member_size", SHEET, "rows.xlsx")
    assert isinstance(error, LimitExceeded) and isinstance(error, ImportRejected)
    check_zip(bomb, Limits(member_size=GiB), stream=False)  # the directory alone passes
    with pytest.raises(LimitExceeded):
        check_zip(bomb, Limits(member_size=GiB, unzipped_size=100 * MiB))


def test_entries_limit(tmp_path: Path) -> None:
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as archive:
        for n in range(50):
            archive.writestr(f"m{n}", b"")
    with pytest.raises(LimitExceeded) as caught:
        check_zip(many, Limits(members=20))
    assert caught.value.limit == "members"


def test_read_capped() -> None:
    assert reading_limits.read_capped(io.BytesIO(b"abc"), 3, file="f") == b"abc"
    with pytest.raises(FileTooLarge):
        reading_limits.read_capped(io.BytesIO(b"abcd"), 3, file="f")


# --- Word files and review sheets ----------------------------------------------------------


def docx_with_body(tmp_path: Path, body: Iterator[tuple[bytes, int]]) -> Path:
    import docx

    template = tmp_path / "template.docx"
    docx.Document().save(str(template))
    with zipfile.ZipFile(template) as archive:
        members = [
            member(n, (archive.read(n), 1)) for n in archive.namelist() if n != "word/document.xml"
        ]
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w='
        b'"http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    )
    tail = b"</w:body></w:document>"
    document = member("word/document.xml", (head, 1), *body, (tail, 1))
    return write_zip(tmp_path / "bomb.docx", [*members, document])


def test_docx_giant_paragraph_refused(tmp_path: Path) -> None:
    bomb = docx_with_body(
        tmp_path, iter([(b"<w:p><w:r><w:t>", 1), (b"a" * MiB, 200), (b"</w:t></w:r></w:p>", 1)])
    )
    parsed = read_items(bomb)
    assert parsed.records == []
    assert [p.key for p in parsed.problems] == ["limit.exceeded_here"]
    assert "paragraph_chars" in parsed.problems[0].message


def test_docx_elements_bomb_refused(tmp_path: Path) -> None:
    """30 MB of `<w:p/>`: 5 million elements python-docx would hold (limit: 2 million),
    counted while streaming; 4.9 million ran out of a 2 GB address space after 96 s."""
    bomb = docx_with_body(tmp_path, iter([(b"<w:p/>" * (MiB // 6), 30)]))
    run = import_items_cli(bomb, tmp_path)
    assert_clean_refusal(run, "bomb.docx", "word/document.xml", "--limit elements=")
    assert run.peak_mb < 1024


def test_docx_paragraph_over_the_limit_after_parsing(tmp_path: Path) -> None:
    runs = b"<w:r><w:t>" + b"a" * 1000 + b"</w:t></w:r>"
    bomb = docx_with_body(tmp_path, iter([(b"<w:p>", 1), (runs, 150), (b"</w:p>", 1)]))
    parsed = read_items(bomb)
    assert [p.location.paragraph for p in parsed.problems] == [1]
    assert "paragraph_chars" in parsed.problems[0].message


def test_review_sheet_bomb_refused(tmp_path: Path) -> None:
    bomb = xlsx_with_sheet(tmp_path / "review.xlsx", rows_sheet(300 * MiB))
    parsed = read_review_xlsx(bomb)
    assert parsed.records == []
    assert "member_size" in parsed.problems[0].message


def test_workbook_parts_parsed_whole_are_counted(tmp_path: Path) -> None:
    """Shared strings count as cells, other parts (styles) by elements, before openpyxl."""
    members = workbook_members(tmp_path)
    strings = member(
        "xl/sharedStrings.xml", (b"<sst>", 1), (b"<si><t>a</t></si>" * 100, 30), (b"</sst>", 1)
    )
    book = write_zip(tmp_path / "strings.xlsx", [*members, strings, member(SHEET, (b"", 1))])
    with pytest.raises(LimitExceeded) as caught:
        check_zip(book, Limits(cells=2_000))
    assert (caught.value.limit, caught.value.where) == ("cells", "xl/sharedStrings.xml")
    with pytest.raises(LimitExceeded) as caught:
        check_zip(book, Limits(elements=100))
    assert caught.value.limit == "elements"
    assert caught.value.where not in ("xl/sharedStrings.xml", SHEET)


def test_yaml_aliases_refused(tmp_path: Path) -> None:
    """A practical set in YAML may not use aliases: `*a` repeated is a billion-laughs bomb."""
    bomb = tmp_path / "laughs.yaml"
    bomb.write_text(
        "code: X-1\ntitle: t\ntotal_minutes: 10\n"
        "venue_prep:\n  - &a {category: 设备, name: n, spec: s, quantity: 1台, note: ''}\n"
        "candidate_prep: [*a, *a, *a]\ntasks: []\n",
        encoding="utf-8",
    )
    parsed = read_practical_data(bomb)
    assert [(p.key, p.location.row) for p in parsed.problems] == [("problem.bad_syntax", 6)]
    assert "aliases" in parsed.problems[0].message
