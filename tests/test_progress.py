"""Progress on long work: a bar on stderr when stderr is a terminal (a pseudo-terminal here),
nothing when it is not, nothing with --json or --quiet, nothing for work under the delay."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from test_print_practical import assembled_database

from qbank.samples import sample_dir

BANK = ("--occupation", "6-31-01-03", "--level", "4")
NEW = ("--create", "--occupation-name", "电工")
RUNNER = (
    "import sys\n"
    "import cli._common as common\n"
    "from cli.main import cli\n"
    "common.PROGRESS_DELAY = float(sys.argv[1])\n"
    "cli(sys.argv[2:], prog_name='qbank')\n"
)
"""The CLI in a fresh process, its bars' delay set (0: every stage shows its bar at once)."""


def qbank(*args: str, tty: bool, delay: float = 0.0) -> tuple[str, str]:
    """Run the CLI with stderr on a pseudo-terminal (`tty`) or a pipe; (stdout, stderr)."""
    argv = [sys.executable, "-c", RUNNER, str(delay), *args]
    env = {**os.environ, "QBANK_LANG": "zh"}
    with tempfile.TemporaryFile() as out:
        if not tty:
            run = subprocess.run(argv, stdout=out, stderr=subprocess.PIPE, env=env, check=True)
            out.seek(0)
            return out.read().decode(), run.stderr.decode()
        master, slave = pty.openpty()
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=slave, env=env
        )
        os.close(slave)
        err = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal (EIO on Linux)
                break
            if not chunk:
                break
            err += chunk
        os.close(master)
        assert process.wait() == 0, err.decode(errors="replace")
        out.seek(0)
        return out.read().decode(), err.decode()


@pytest.fixture(scope="module")
def items() -> str:
    return str(sample_dir() / "electrician-4" / "items.xlsx")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, items: str) -> str:
    """A database holding the sample items (each test may run on its own xdist worker)."""
    path = str(tmp_path_factory.mktemp("progress") / "qbank.db")
    qbank("--db", path, "import", "items", items, *BANK, *NEW, tty=False)
    return path


def test_import_shows_a_bar_on_a_terminal(tmp_path: Path, items: str) -> None:
    db = str(tmp_path / "qbank.db")
    out, err = qbank("--db", db, "import", "items", items, *BANK, *NEW, tty=True)
    assert "正在保存试题" in err
    assert "100%" in err
    assert "正在保存试题" not in out  # the bar is on stderr, the summary on stdout
    assert "597" in out


def test_import_without_a_terminal_shows_nothing(db: str, items: str) -> None:
    _, err = qbank("--db", db, "import", "items", items, *BANK, *NEW, "--dry-run", tty=False)
    assert err == ""


@pytest.mark.parametrize("flag", ["--json", "--quiet", "-q"])
def test_json_and_quiet_show_nothing_on_a_terminal(db: str, items: str, flag: str) -> None:
    out, err = qbank("--db", db, "import", "items", items, *BANK, *NEW, "--dry-run", flag, tty=True)
    assert err.strip() == ""
    assert out.strip()


def test_quiet_before_the_command(db: str, items: str) -> None:
    _, err = qbank(
        "--quiet", "--db", db, "import", "items", items, *BANK, *NEW, "--dry-run", tty=True
    )
    assert err.strip() == ""


def test_overlap_check_and_db_verify_show_their_stages(db: str, items: str) -> None:
    _, err = qbank("--db", db, "overlap", "check", *BANK, tty=True)
    assert "正在分词" in err
    _, err = qbank("--db", db, "db", "verify", tty=True)
    assert "正在核验数据库" in err


def test_work_shorter_than_the_delay_shows_nothing(db: str) -> None:
    out, err = qbank("--db", db, "db", "verify", tty=True, delay=60.0)
    assert err.strip() == ""
    assert out.strip()


def test_export_shows_documents_rendered(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    db = tmp_path / "qbank.db"
    shutil.copyfile(assembled_database(tmp_path_factory), db)
    args = ("--db", str(db), "export", "batch", "--batch", "1", "--copies", "2", "--no-count-pages")
    _, err = qbank(*args, "--out", str(tmp_path / "a"), tty=True)
    assert "正在生成印制文件" in err
    _, err = qbank(*args, "--out", str(tmp_path / "b"), "--json", tty=True)
    assert err.strip() == ""
