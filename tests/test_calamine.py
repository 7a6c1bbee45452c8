"""Workbooks read by calamine: the same records as openpyxl gave, .xls and .ods imported
directly, row numbers as Excel shows them, and hostile extents refused before calamine reads."""

from __future__ import annotations

import datetime as dt
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from cli.main import cli
from exporters.items_xlsx import Style, write_items_xlsx
from exporters.tree_xlsx import write_tree_xlsx
from formats.limits import current
from importers import convert, dispatch, workbook_extent
from importers.table_items import read_items_table
from importers.tables import read_sheets
from importers.tree import read_tree
from qbank.i18n import set_language
from qbank.records import ItemRecord

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").rglob("*.xlsx")) + sorted(
    (ROOT / "tests" / "data").rglob("*.xlsx")
)
OCC = ["--occupation", "6-31-01-03", "--level", "4", "--occupation-name", "电工", "--create"]


def generated(path: Path) -> Path:
    """Items starting at C5, with the types a bank holds: whole numbers as ids, dates, text."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "试题"
    header: list[object] = ["试题编号", "题型", "题干", "选项A", "选项B", "答案", "难度", "出处"]
    rows: list[list[object]] = [
        [1, "单选题", "电流的单位是（ ）。", "安培", "伏特", "A", 0.5, dt.datetime(2024, 3, 1)],
        [2, "判断题", "电压的单位是欧姆。", None, None, "×", 0.3, "教材"],
        [3, "单选题", "缺答案（ ）。", "甲", "乙", None, 1.5, None],
    ]
    for r, values in enumerate([header, *rows]):
        for c, value in enumerate(values):
            sheet.cell(row=5 + r, column=3 + c, value=value)
    book.save(path)
    return path


def openpyxl_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbook_extent, "calamine_reads_xlsx", lambda *args: False)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_same_records_as_openpyxl(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    read = read_tree if "tree" in path.name else read_items_table
    with zipfile.ZipFile(path) as archive:
        assert workbook_extent.calamine_reads_xlsx(archive, set(archive.namelist()), current())
    fast = read(path)
    openpyxl_only(monkeypatch)
    assert fast == read(path)


@pytest.mark.parametrize("style", ["national", "app"])
def test_exported_workbooks_same_both_ways(
    tmp_path: Path, style: Style, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files qbank's own exporters write (the layouts the import tests generate)."""
    items = read_items_table(ROOT / "samples" / "electrician-4" / "items.xlsx").records
    nodes = read_tree(ROOT / "samples" / "electrician-4" / "tree.xlsx").records
    write_items_xlsx(items, tmp_path / "items.xlsx", style=style)
    write_tree_xlsx(nodes, tmp_path / "tree.xlsx", title="电工 四级")
    fast = read_items_table(tmp_path / "items.xlsx"), read_tree(tmp_path / "tree.xlsx")
    assert len(fast[0].records) == len(items) and len(fast[1].records) == len(nodes)
    openpyxl_only(monkeypatch)
    assert fast == (read_items_table(tmp_path / "items.xlsx"), read_tree(tmp_path / "tree.xlsx"))


def test_generated_sheet_from_c5(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = generated(tmp_path / "c5.xlsx")
    with zipfile.ZipFile(path) as archive:
        assert workbook_extent.calamine_reads_xlsx(archive, set(archive.namelist()), current())
    fast = read_items_table(path)
    assert [r.location.row for r in fast.records] == [6, 7]
    assert [(p.location.row, p.field) for p in fast.problems] == [(8, "answer"), (8, "difficulty")]
    openpyxl_only(monkeypatch)
    assert fast == read_items_table(path)


def test_far_cell_is_not_handed_to_calamine(tmp_path: Path) -> None:
    """A1 and XFD1048576: calamine would ask for 512 GiB and abort; openpyxl reads it."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = "题型"
    sheet["XFD1048576"] = 1
    book.save(tmp_path / "far.xlsx")
    with zipfile.ZipFile(tmp_path / "far.xlsx") as archive:
        assert not workbook_extent.calamine_reads_xlsx(archive, set(archive.namelist()), current())


def test_ods_repeated_cells_refused_before_calamine(tmp_path: Path) -> None:
    content = (
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"><office:body>'
        '<office:spreadsheet><table:table table:name="表1">'
        '<table:table-row table:number-rows-repeated="1000000"><table:table-cell'
        ' table:number-columns-repeated="16384" office:value-type="float" office:value="1"/>'
        "</table:table-row></table:table></office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    path = tmp_path / "bomb.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
    parsed = read_items_table(path)
    assert [p.key for p in parsed.problems] == ["limit.exceeded_here"]
    assert parsed.problems[0].location.file == "bomb.ods"
    assert parsed.problems[0].location.sheet == "表1"


def test_corrupt_ods_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "坏.ods"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    parsed = dispatch.read_items(path)
    assert [(p.key, p.location.file) for p in parsed.problems] == [
        ("problem.unreadable_file", "坏.ods")
    ]


# --- real .xls and .ods, written by LibreOffice ---------------------------------------------


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    program = convert.soffice()
    if program is None:
        pytest.skip("LibreOffice (soffice) is not installed: no .xls/.ods to read")
    folder = tmp_path_factory.mktemp("calamine")
    sources = [generated(folder / "c5.xlsx")]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["代码", "名称", "鉴定比重"], ["A", "基本要求", 0.25], ["B", "相关知识", 0.75]):
        sheet.append(row)
    for cell in ("C2", "C3"):
        sheet[cell].number_format = "0%"
    book.save(folder / "percent.xlsx")
    sources.append(folder / "percent.xlsx")
    for sample in ("items.xlsx", "tree.xlsx"):
        target = folder / sample
        target.write_bytes((ROOT / "samples" / "electrician-4" / sample).read_bytes())
        sources.append(target)
    for form in ("xls", "ods"):
        done = subprocess.run(
            [program, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
             "--convert-to", form, "--outdir", str(folder), *map(str, sources)],
            capture_output=True, timeout=300,
        )  # fmt: skip
        if done.returncode != 0 or not (folder / f"c5.{form}").is_file():
            pytest.skip(f"LibreOffice could not write .{form}: {done.stderr[-300:]!r}")
    return folder


@pytest.mark.parametrize("form", ["xls", "ods", "et"])
@pytest.mark.parametrize("name", ["c5", "items"])
def test_xls_ods_give_the_xlsx_items(converted: Path, form: str, name: str) -> None:
    source = converted / f"{name}.{'xls' if form == 'et' else form}"
    path = converted / f"{name}-copy.{form}"
    path.write_bytes(source.read_bytes())
    expected = dispatch.read_items(converted / f"{name}.xlsx", notice=_no_notice)
    got = dispatch.read_items(path, notice=_no_notice)
    assert [p.location.row for p in got.problems] == [p.location.row for p in expected.problems]
    assert [_comparable(r) for r in got.records] == [_comparable(r) for r in expected.records]


def _no_notice(line: str) -> None:
    raise AssertionError(f"converted instead of read directly: {line}")


def _comparable(record: ItemRecord) -> object:
    """A record without its file name (the location names the file it came from)."""
    location = record.location
    return (repr({**vars(record), "location": None}), location.sheet, location.row)


@pytest.mark.parametrize("form", ["xls", "ods"])
def test_tree_from_xls_ods(converted: Path, form: str) -> None:
    expected = dispatch.read_tree(converted / "tree.xlsx")
    got = dispatch.read_tree(converted / f"tree.{form}")
    assert got.problems == [] and len(got.records) == len(expected.records)
    assert [n.code for n in got.records] == [n.code for n in expected.records]


@pytest.mark.parametrize("form", ["xls", "ods"])
def test_cli_imports_xls_ods(converted: Path, form: str, sqlite_url: str) -> None:
    try:
        result = CliRunner().invoke(
            cli, ["--db", sqlite_url, "import", "items", str(converted / f"items.{form}"), *OCC]
        )
    finally:
        set_language(None)
    assert result.exit_code == 0, result.output
    assert "597" in result.stdout and "LibreOffice" not in result.stderr


def test_percentages_of_an_ods_read_as_shown(converted: Path) -> None:
    """calamine drops number formats: the .ods's percentage cells are found while its extent
    is checked, so 25% reads as 25 as from the .xlsx (where openpyxl reads such a workbook)."""
    assert [n.weight for n in dispatch.read_tree(converted / "percent.xlsx").records] == [25, 75]
    assert [n.weight for n in dispatch.read_tree(converted / "percent.ods").records] == [25, 75]


def _rewritten(path: Path, old: bytes, new: bytes) -> Path:
    with zipfile.ZipFile(path) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    assert old in parts[sheet]
    parts[sheet] = parts[sheet].replace(old, new)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b'<c r="C6"', b"<c"),  # a cell without its reference
        (b'<c r="D6"', b'<c r="D60"'),  # a cell past the rows seen so far
        (b'<row r="6"', b'<row spans="3:10" r="6"'),  # the reference not first
    ],
)
def test_sheets_calamine_is_not_given(tmp_path: Path, old: bytes, new: bytes) -> None:
    """Shapes whose extent the byte checks cannot bound go to openpyxl, and still read."""
    path = _rewritten(generated(tmp_path / "odd.xlsx"), old, new)
    with zipfile.ZipFile(path) as archive:
        assert not workbook_extent.calamine_reads_xlsx(archive, set(archive.namelist()), current())
    assert read_items_table(path).problems or read_items_table(path).records


def test_damaged_xls_that_panics_calamine(
    converted: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """calamine panics on some damaged .xls: one located problem, nothing on stderr."""
    import io
    import random

    from python_calamine import CalamineError, CalamineWorkbook

    source = (converted / "c5.xls").read_bytes()
    rnd = random.Random(1)
    for _ in range(500):
        data = bytearray(source)
        for _ in range(rnd.randint(1, 20)):
            data[rnd.randrange(len(data))] = rnd.randrange(256)
        try:
            CalamineWorkbook.from_filelike(io.BytesIO(bytes(data)))
        except CalamineError:
            continue
        except BaseException as error:  # pyo3's PanicException
            if type(error).__name__ == "PanicException":
                break
            raise
    else:
        pytest.skip("no damaged variant found that makes this calamine panic")
    capfd.readouterr()
    path = tmp_path / "坏.xls"
    path.write_bytes(bytes(data))
    sheets, problems = read_sheets(path, path.name)
    assert sheets == [] and [(p.key, p.location.file) for p in problems] == [
        ("problem.unreadable_file", "坏.xls")
    ]
    assert capfd.readouterr().err == ""
