"""Messages a person can act on (#14): files that are not what their name says, directories,
old office formats (converted with LibreOffice when it is installed), and click's own usage
errors, in Chinese by default and in English on request; through the command line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner, Result

from cli.main import cli
from importers import convert
from qbank.i18n import set_language

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "samples" / "electrician-4"
OCC = ["--occupation", "6-31-01-03", "--level", "4", "--occupation-name", "电工", "--create"]

needs_libreoffice = pytest.mark.skipif(
    convert.soffice() is None, reason="LibreOffice (soffice) is not installed"
)


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    try:
        return CliRunner(env=env).invoke(cli, list(args), prog_name="qbank")
    finally:
        set_language(None)  # `--lang` lasts for the process; here, for one command


def import_items(db: str, path: Path, *more: str, env: dict[str, str] | None = None) -> Result:
    return invoke("--db", db, "import", "items", str(path), *OCC, *more, env=env)


def error_line(result: Result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, result.output
    return lines[-1]


# --- files that are not what their name says ----------------------------------------------


def test_text_file_named_docx(tmp_path: Path, sqlite_url: str) -> None:
    path = tmp_path / "题库.docx"
    path.write_text("这不是 Word 文件", encoding="utf-8")
    result = import_items(sqlite_url, path)
    assert result.exit_code == 1
    assert error_line(result).startswith("错误：不是有效的 Word 文件（.docx）：题库.docx。")
    assert "另存为 .docx" in error_line(result)
    assert "Package not found" not in result.output
    english = import_items(sqlite_url, path, "--lang", "en")
    assert error_line(english).startswith("Error: not a valid Word file (.docx): 题库.docx.")


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda b: b[: len(b) // 2], id="truncated-zip"),
        pytest.param(lambda b: b"PK\x03\x04" + b"\x00" * 64, id="zip-header-only"),
        pytest.param(lambda b: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, id="word-97"),
    ],
)
def test_broken_docx(tmp_path: Path, sqlite_url: str, spoil) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "items.docx"
    path.write_bytes(spoil((BANK / "items.docx").read_bytes()))
    result = import_items(sqlite_url, path)
    assert result.exit_code == 1
    assert "不是有效的 Word 文件（.docx）：items.docx" in error_line(result)


def test_workbook_named_docx_is_not_a_word_file(tmp_path: Path, sqlite_url: str) -> None:
    path = tmp_path / "items.docx"
    shutil.copyfile(BANK / "items.xlsx", path)  # a valid zip, but no word/document.xml
    result = import_items(sqlite_url, path)
    assert "不是有效的 Word 文件（.docx）：items.docx" in error_line(result)


def test_text_file_named_xlsx(tmp_path: Path, sqlite_url: str) -> None:
    path = tmp_path / "细目表.xlsx"
    path.write_text("a,b,c\n", encoding="utf-8")
    items = import_items(sqlite_url, path)
    assert items.exit_code == 1
    assert "不是有效的 Excel 文件（.xlsx）：细目表.xlsx" in error_line(items)
    tree = invoke("--db", sqlite_url, "import", "tree", str(path), *OCC, "--lang", "en")
    assert "not a valid Excel file (.xlsx): 细目表.xlsx" in error_line(tree)


@pytest.mark.parametrize(
    ("command", "name"),
    [("items", "题库.docx"), ("tree", "细目表.xlsx"), ("practical", "卷"), ("items", "samples")],
)
def test_directory_given_as_file(tmp_path: Path, sqlite_url: str, command: str, name: str) -> None:
    folder = tmp_path / name
    folder.mkdir()
    result = invoke("--db", sqlite_url, "import", command, str(folder), *OCC)
    assert result.exit_code == 1
    assert error_line(result) == f"错误：{folder} 是一个目录，不是文件"
    english = invoke("--db", sqlite_url, "import", command, str(folder), *OCC, "--lang", "en")
    assert error_line(english) == f"Error: {folder} is a directory, not a file"


# --- old office formats -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("a.doc", "Word 文件（.doc）"),
        ("a.wps", "WPS 文字文件（.wps）"),
        ("a.et", "WPS 表格文件（.et）"),
    ],
)
def test_old_suffix_on_junk_is_refused_at_once(
    tmp_path: Path, sqlite_url: str, name: str, kind: str
) -> None:
    path = tmp_path / name
    path.write_bytes(bytes(range(256)))
    started = time.monotonic()
    result = import_items(sqlite_url, path)
    assert time.monotonic() - started < 10  # no converter was started
    assert result.exit_code == 1
    assert f"不是有效的 {kind}：{name}" in error_line(result)


def test_docx_under_an_old_name_is_read_as_it_is(tmp_path: Path, sqlite_url: str) -> None:
    path = tmp_path / "items.doc"
    shutil.copyfile(BANK / "items.docx", path)
    result = import_items(sqlite_url, path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "LibreOffice" not in result.stderr
    assert "597" in result.stdout


def test_without_libreoffice_says_how_to_save(tmp_path: Path, sqlite_url: str) -> None:
    path = tmp_path / "题库.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024)
    empty = tmp_path / "no-programs"
    empty.mkdir()
    result = import_items(sqlite_url, path, env={"PATH": str(empty)})
    assert result.exit_code == 1
    line = error_line(result)
    assert "题库.doc 是旧格式（.doc）" in line
    assert "另存为 .docx" in line and "安装 LibreOffice" in line
    english = import_items(sqlite_url, path, "--lang", "en", env={"PATH": str(empty)})
    assert "save it as .docx" in error_line(english)
    sheet = tmp_path / "细目表.et"
    sheet.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024)
    tree = invoke("--db", sqlite_url, "import", "tree", str(sheet), *OCC, env={"PATH": str(empty)})
    assert "细目表.et 是旧格式（.et）" in error_line(tree)
    assert "Excel 或 WPS 表格" in error_line(tree) and "另存为 .xlsx" in error_line(tree)


def fake_soffice(folder: Path, body: str) -> dict[str, str]:
    """A PATH whose `soffice` is a shell script doing `body` (a converter that fails or
    hangs: the real one does neither on purpose)."""
    folder.mkdir()
    script = folder / "soffice"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return {"PATH": f"{folder}{os.pathsep}{os.environ.get('PATH', '')}"}


@pytest.mark.skipif(os.name == "nt", reason="a shell script stands in for LibreOffice")
def test_conversion_failure_is_a_clear_error(tmp_path: Path, sqlite_url: str) -> None:
    path = tmp_path / "题库.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024)
    env = fake_soffice(
        tmp_path / "bin", "echo 'Error: source file could not be loaded' >&2; exit 1"
    )
    result = import_items(sqlite_url, path, env=env)
    assert result.exit_code == 1
    line = error_line(result)
    assert line.startswith("错误：LibreOffice 未能将 题库.doc 转换为 .docx（退出状态 1")
    assert "source file could not be loaded" in line and "另存为 .docx" in line
    silent = fake_soffice(tmp_path / "bin2", "exit 0")  # claims success, writes nothing
    result = import_items(sqlite_url, path, env=silent)
    assert "（没有生成文件）" in error_line(result)


@pytest.mark.skipif(os.name == "nt", reason="a shell script stands in for LibreOffice")
def test_conversion_timeout_stops_the_converter(tmp_path: Path, sqlite_url: str) -> None:
    path = tmp_path / "items.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024)
    marker = tmp_path / "still-running"
    env = fake_soffice(tmp_path / "bin", f"sleep 3; touch '{marker}'")
    env["QBANK_CONVERT_TIMEOUT"] = "0.5"
    started = time.monotonic()
    result = import_items(sqlite_url, path, "--lang", "en", env=env)
    assert time.monotonic() - started < 3
    assert result.exit_code == 1
    assert "LibreOffice took more than 0.5 seconds to convert items.xls" in error_line(result)
    time.sleep(3.5)
    assert not marker.exists(), "the converter's process group was not stopped"


@pytest.fixture(scope="module")
def legacy_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample bank, and a small bank with two items lacking their answers, as Word
    97-2003 files made by LibreOffice itself (one run for both)."""
    folder = tmp_path_factory.mktemp("legacy")
    broken = docx.Document()
    for line in (
        "一、判断题",
        "1. 电流的单位是安培。（√）",
        "2. 电压的单位是欧姆。（ ）",
        "二、单项选择题",
        "1. 电阻的单位是（ ）。",
        "A. 欧姆 B. 伏特 C. 安培 D. 瓦特",
    ):
        broken.add_paragraph(line)
    broken.save(str(folder / "缺答案.docx"))
    shutil.copyfile(BANK / "items.docx", folder / "items.docx")
    program = convert.soffice()
    assert program is not None
    subprocess.run(
        [program, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
         "--convert-to", "doc", "--outdir", str(folder / "doc"),
         str(folder / "items.docx"), str(folder / "缺答案.docx")],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return folder / "doc"


@needs_libreoffice
def test_doc_is_converted_and_imported(legacy_files: Path, sqlite_url: str) -> None:
    result = import_items(sqlite_url, legacy_files / "items.doc")
    assert result.exit_code == 0, result.output
    assert "已用 LibreOffice 将 items.doc 转换为 .docx" in result.stderr
    assert "items.doc" in result.stdout and "597" in result.stdout
    again = import_items(sqlite_url, legacy_files / "items.doc", "--lang", "en", "--dry-run")
    assert "converted items.doc to .docx with LibreOffice" in again.stderr
    assert not list(Path(tempfile.gettempdir()).glob("qbank-convert-*"))


@needs_libreoffice
def test_problems_of_a_converted_file_name_the_original(
    legacy_files: Path, sqlite_url: str
) -> None:
    result = import_items(sqlite_url, legacy_files / "缺答案.doc")
    assert result.exit_code == 1
    assert "已用 LibreOffice 将 缺答案.doc 转换为 .docx" in result.stderr
    problems = [line for line in result.stderr.splitlines() if "缺少答案" in line]
    assert problems == ["缺答案.doc 第 3 段：缺少答案", "缺答案.doc 第 5 段：缺少答案"]
    assert "source" not in result.output
    assert error_line(result) == "错误：缺答案.doc 有 2 处问题，未导入任何内容"


@needs_libreoffice
def test_converted_file_keeps_to_the_limits(legacy_files: Path, sqlite_url: str) -> None:
    """The converted .docx is read under the same limits as one the user saved."""
    result = import_items(
        sqlite_url, legacy_files / "items.doc", "--limit", "paragraph_chars=10", "--lang", "en"
    )
    assert result.exit_code == 1
    assert "items.doc" in result.output and "paragraph_chars" in result.output
    assert "source" not in result.output


# --- click's usage errors -----------------------------------------------------------------

USAGE_CASES = [
    (
        ["import", "items", "a.docx", "--occupation", "6-31-01-03", "--level", "四"],
        "错误：--level 的值无效：“四”不是有效的整数",
        "Error: invalid value for --level: '四' is not a valid integer",
    ),
    (
        ["import", "items", "a.docx", "--level", "4"],
        "错误：缺少选项 --occupation",
        "Error: missing option --occupation",
    ),
    (
        ["import", "items", "--occupation", "6-31-01-03", "--level", "4"],
        "错误：缺少参数 FILE",
        "Error: missing argument FILE",
    ),
    (
        ["bank", "list", "--lang", "fr"],
        "错误：--lang 的值无效：“fr”不是可选值之一（zh, en）",
        "Error: invalid value for --lang: 'fr' is not one of zh, en",
    ),
    (
        ["import", "items", "a.docx", "--nope"],
        "错误：没有选项 --nope",
        "Error: no such option: --nope",
    ),
    (
        ["improt", "items"],
        "错误：没有命令 improt；是否要用 import？",
        "Error: no such command: improt; did you mean import?",
    ),
    (
        ["import", "items", "a.docx", "--occupation"],
        "错误：选项 --occupation 需要一个值",
        "Error: option --occupation requires a value",
    ),
    (
        ["filing", "verify", "x", "--trusted-key", "no-such-key.pub"],
        "错误：--trusted-key 的值无效：no-such-key.pub 不存在",
        "Error: invalid value for --trusted-key: no-such-key.pub does not exist",
    ),
    (
        ["import", "items", "a.docx", "b.docx", "--occupation", "x", "--level", "4"],
        "错误：多余的参数：b.docx",
        "Error: unexpected extra arguments: b.docx",
    ),
]


@pytest.mark.parametrize(("args", "zh", "en"), USAGE_CASES)
def test_usage_errors_in_the_users_language(args: list[str], zh: str, en: str) -> None:
    chinese = invoke(*args)
    assert chinese.exit_code == 2, chinese.output
    assert error_line(chinese) == zh
    assert chinese.stderr.startswith("用法：qbank")
    assert "Usage:" not in chinese.output and "Try '" not in chinese.output
    english = invoke(*args, env={"QBANK_LANG": "en"})
    assert english.exit_code == 2
    assert error_line(english) == en
    assert english.stderr.startswith("Usage: qbank")


def test_usage_error_out_of_range() -> None:
    result = invoke("import", "items", "a.docx", "--occupation", "x", "--level", "9" * 30)
    assert result.exit_code == 2
    assert error_line(result).startswith("错误：--level 的值无效：" + "9" * 30 + " 不在 ")


def test_usage_errors_through_the_installed_entry_point(tmp_path: Path) -> None:
    """The console script takes the same path as CliRunner (a real process, real stderr)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QBANK_LANG": "zh"}
    command = [sys.executable, "-c", "from cli.main import main; main()"]
    missing = subprocess.run(
        [*command, "import", "items", "a.docx", "--level", "四"],
        env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert missing.returncode == 2
    assert missing.stderr.splitlines()[-1] == "错误：--level 的值无效：“四”不是有效的整数"
    folder = tmp_path / "题库.docx"
    folder.mkdir()
    english = subprocess.run(
        [*command, "--db", str(tmp_path / "q.db"), "import", "items", str(folder), *OCC],
        env={**env, "QBANK_LANG": "en"}, capture_output=True, text=True, timeout=120,
        cwd=tmp_path,
    )  # fmt: skip
    assert english.returncode == 1
    assert english.stderr.strip() == f"Error: {folder} is a directory, not a file"
    assert "Traceback" not in missing.stderr + english.stderr


def test_zip_with_too_many_entries_is_refused_by_its_limit_not_called_invalid(
    tmp_path: Path, sqlite_url: str
) -> None:
    """The package check reads a zip's directory only within the limits: a zip over them is
    reported by the reader naming the limit."""
    path = tmp_path / "many.docx"
    with zipfile.ZipFile(path, "w") as archive:
        for number in range(30):
            archive.writestr(f"word/part{number}.xml", "<a/>")
    result = import_items(sqlite_url, path, "--limit", "members=10", "--lang", "en")
    assert result.exit_code == 1
    assert "members" in result.output
    assert "not a valid Word file" not in result.output
