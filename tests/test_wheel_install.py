"""An installed wheel (not the checkout, not an editable install) carries the demo's samples.

The wheel is built from a copy of the sources without build isolation and without an index
(no network), installed with pip into a fresh virtual environment, and run from a folder
outside the checkout. The fresh environment sees the test environment's site-packages for
the dependencies through a .pth line, which puts them after its own: the editable install
there (a finder that a .pth in that folder would start) is not started, so `qbank` is the
installed wheel's.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIPPED = shutil.ignore_patterns(
    ".git",
    ".venv",
    "venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
    "qbank-demo",
    "*.db",
    "tests",
    "benchmarks",
)


def _can_build_wheels() -> bool:
    """bdist_wheel is in setuptools from 70.1, in the `wheel` package before."""
    return (
        importlib.util.find_spec("setuptools.command.bdist_wheel") is not None
        or importlib.util.find_spec("wheel") is not None
    )


pytestmark = pytest.mark.skipif(
    not _can_build_wheels(),
    reason="building a wheel offline needs setuptools>=70.1 (or the wheel package) installed",
)


def _env() -> dict[str, str]:
    """The environment without anything that would point Python or qbank at the checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "QBANK_"))}
    env["PIP_NO_INDEX"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(args: list[str | Path], cwd: Path, timeout: float = 300) -> str:
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"{args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


class Installed:
    def __init__(self, wheel: Path, prefix: Path, outside: Path) -> None:
        self.wheel = wheel
        self.prefix = prefix
        self.outside = outside
        scripts = "Scripts" if os.name == "nt" else "bin"
        self.python = prefix / scripts / "python"
        self.qbank = prefix / scripts / "qbank"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    source = base / "proj"
    shutil.copytree(ROOT, source, ignore=SKIPPED)
    dist = base / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "-w", dist, "./proj"],
        cwd=base,
    )  # fmt: skip
    (wheel,) = dist.glob("qbank-*.whl")
    prefix = base / "env"
    venv.EnvBuilder(with_pip=True).create(prefix)
    scripts = "Scripts" if os.name == "nt" else "bin"
    _run([prefix / scripts / "python", "-m", "pip", "install", "--no-deps", wheel], cwd=base)
    purelib = Path(
        _run(
            [prefix / scripts / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            cwd=base,
        ).strip()
    )  # fmt: skip
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (purelib / "zz_test_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    outside = base / "elsewhere"
    outside.mkdir()
    return Installed(wheel, prefix, outside)


def test_wheel_holds_the_samples(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    for sample in (ROOT / "samples").rglob("*"):
        if sample.is_file() and sample.suffix in (".docx", ".xlsx", ".csv", ".yaml", ".toml"):
            assert f"qbank_samples/{sample.relative_to(ROOT / 'samples').as_posix()}" in names


def test_installed_package_finds_its_samples(installed: Installed) -> None:
    out = _run(
        [installed.python, "-c",
         "import qbank, qbank.samples; print(qbank.__file__); print(qbank.samples.sample_dir())"],
        cwd=installed.outside,
    )  # fmt: skip
    package, samples = (Path(line) for line in out.splitlines())
    assert package.is_relative_to(installed.prefix), "qbank was imported from outside the wheel"
    assert samples.is_relative_to(installed.prefix)
    assert samples.name == "qbank_samples"
    assert (samples / "electrician-4" / "items.docx").is_file()


def test_installed_qbank_imports_a_sample(installed: Installed) -> None:
    code = (
        "from qbank.samples import sample_dir; print(sample_dir() / 'electrician-4' / 'items.docx')"
    )
    sample = _run([installed.python, "-c", code], cwd=installed.outside).strip()
    has_bank_new = subprocess.run(
        [installed.qbank, "bank", "new", "--help"], env=_env(), capture_output=True
    )
    if has_bank_new.returncode == 0:  # banks are made on purpose (issue #14)
        _run(
            [installed.qbank, "--db", "bank.db", "bank", "new", "--occupation", "6-31-01-03",
             "--level", "4", "--name", "电工"],
            cwd=installed.outside,
        )  # fmt: skip
    out = _run(
        [installed.qbank, "--db", "bank.db", "import", "items", sample, "--occupation",
         "6-31-01-03", "--level", "4", "--occupation-name", "电工", "--dry-run"],
        cwd=installed.outside,
    )  # fmt: skip
    assert "597" in out


@pytest.mark.slow
def test_installed_qbank_runs_the_demo(installed: Installed) -> None:
    """`qbank demo` with no --samples, from a folder that is not the checkout (about a
    minute: the whole chain, printing included)."""
    out = _run([installed.qbank, "demo", "--dir", "demo"], cwd=installed.outside, timeout=900)
    assert (installed.outside / "demo" / "qbank.db").is_file()
    assert "6-31-01-03" in out
