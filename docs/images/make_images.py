"""Render the README's page images (`docs/images/print-*.png`) from a real print run.

Runs `qbank demo` on the samples in a scratch workspace (import, overlap, review, filing,
assembly, sealing), then `qbank export batch --pdf --with-key` of its batch under
`QBANK_LANG=en` (the documents stay Chinese), and turns the first page and one inner page of
each document type into a small PNG with `pdftoppm -r 60`. Needs LibreOffice and poppler-utils.

    python docs/images/make_images.py [--keep WORKSPACE]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

IMAGES = Path(__file__).resolve().parent
ROOT = IMAGES.parents[1]
DPI = 60

# print-<name>-<page>.png from the first copy of each PDF master: (PDF stem, name, pages)
PAGES = [
    ("试卷-A", "paper", (1, 2)),
    ("答题卡-A", "answer-sheet", (1,)),
    ("参考答案-A", "key", (1, 2)),
    ("操作技能试卷-P", "practical", (1, 2)),
    ("评分记录表-P", "scoring", (1, 2)),
    ("考场准备通知单-P", "venue-notice", (1, 2)),
    ("考生准备通知单-P", "candidate-notice", (1,)),
    ("印制清单", "print-list", (1,)),
]


def qbank(*args: str, env: dict[str, str]) -> None:
    """Run the qbank CLI of this checkout; stops the script when it fails."""
    command = [sys.executable, "-c", "from cli.main import main; main()", *args, "--quiet"]
    subprocess.run(command, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def print_run(workspace: Path) -> Path:
    """The demo's batch exported with PDF masters and keys, one copy; returns the folder."""
    from workflows.demo import DEMO_PASSPHRASE, DEMO_STAFF

    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "QBANK_LANG": "en",  # the operator's language: the documents stay Chinese
        "QBANK_KEYS": str(workspace / "keys"),
        "QBANK_PASSPHRASE": DEMO_PASSPHRASE,
    }
    qbank("demo", "--dir", str(workspace), "--no-pdf", env=env)
    out = workspace / "印制"
    qbank(
        "export", "batch", "--batch", "1", "--copies", "1", "--with-key", "--pdf",
        "--identity-person", DEMO_STAFF["print"][0],
        "--out", str(out), "--db", str(workspace / "qbank.db"),
        env=env,
    )  # fmt: skip
    return out


def page_images(out: Path) -> list[Path]:
    """PNGs of the chosen pages, replacing the earlier `print-*.png`."""
    for old in IMAGES.glob("print-*.png"):
        old.unlink()
    written = []
    for stem, name, pages in PAGES:
        for page in pages:
            target = IMAGES / f"print-{name}-{page}"
            subprocess.run(
                ["pdftoppm", "-r", str(DPI), "-png", "-singlefile",
                 "-f", str(page), "-l", str(page), str(out / f"{stem}.pdf"), str(target)],
                check=True,
                timeout=60,
            )  # fmt: skip
            written.append(target.with_suffix(".png"))
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="workspace to keep (default: a temporary one)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    for tool in ("soffice", "pdftoppm"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (LibreOffice and poppler-utils are needed)")
    with tempfile.TemporaryDirectory() as scratch:
        workspace = args.keep or Path(scratch) / "demo"
        for image in page_images(print_run(workspace)):
            print(f"{image.relative_to(ROOT)}  {image.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
