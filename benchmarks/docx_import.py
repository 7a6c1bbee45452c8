"""Word (.docx) item import benchmark: time against paragraph count, beside python-docx itself.

    python benchmarks/docx_import.py [--sizes 10000,20000,40000,200000] [--layouts bank,continued]
                                     [--no-cli] [--json]

Writes real .docx files (word/document.xml written directly into python-docx's own template,
one plain paragraph per line) in two layouts:

- `bank`: a national-layout bank, five paragraphs an item (stem, its second line, options,
  answer, explanation), numbered 1, 2, … past 10000 — the shape of a long exported bank;
- `continued`: one item whose stem and explanation run on over every paragraph, the worst
  case for anything that re-joins or re-scans an item's text on each new paragraph (issue 11
  measured 4/18/72 s for 10k/20k/40k such paragraphs, and no end for 200k).

For each file it measures

- `floor`: python-docx opening the file and reading every paragraph's text, in-process (what
  any python-docx reader pays before looking at a single line);
- `reader`: `importers.docx_items.read_items_docx`, in-process;
- `cli`: `qbank import items FILE --dry-run` as a user runs it, in a subprocess on a fresh
  SQLite database (parsing, field checks, content keys, the bank lookups), wall-clock and
  CPU seconds; `startup` is the same command on a one-item file.

Seconds are wall-clock with CPU seconds beside them (on a shared machine the CPU figure is the
steadier one). Linear time shows as a constant seconds-per-10k-paragraphs column. Nothing is
asserted; tests/test_import_docx_items.py holds the behaviour.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import docx  # noqa: E402

from importers.docx_items import read_items_docx  # noqa: E402

W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
DEFAULT_SIZES = (10_000, 20_000, 40_000, 200_000)
OCCUPATION = ("--occupation", "6-31-01-03", "--level", "4")


def bank_lines(paragraphs: int) -> list[str]:
    """A single-choice section of five-paragraph items."""
    lines = ["二、单项选择题（每题1分）"]
    number = 0
    while len(lines) < paragraphs:
        number += 1
        lines += [
            f"{number}．第{number}题：在三相四线制供电系统中，",
            f"中性线 N{number} 的作用是（ B ）。",
            f"A．保护接地{number}　B．使不对称负载的相电压对称　C．提高功率因数　D．短路保护",
            "答案：B",
            f"解析：中性线使各相电压保持对称（第{number}题）。",
        ]
    return lines[:paragraphs]


def continued_lines(paragraphs: int) -> list[str]:
    """One item whose stem, then explanation, go on over every paragraph."""
    half = max(1, (paragraphs - 5) // 2)
    stem = [f"续行{i}：电路 R{i} 中的电流 I{i}" for i in range(half)]
    explanation = [f"解析续行{i}：U{i} = I{i} × R{i}" for i in range(paragraphs - 5 - half)]
    return [
        "单项选择题",
        "1．下列说法正确的是（ B ）。",
        *stem,
        "A．甲　B．乙　C．丙　D．丁",
        "难度：中等",
        "解析：开始",
        *explanation,
    ]


LAYOUTS: dict[str, Callable[[int], list[str]]] = {
    "bank": bank_lines,
    "continued": continued_lines,
}


def write_docx(path: Path, lines: Sequence[str]) -> None:
    buffer = io.BytesIO()
    docx.Document().save(buffer)
    body = "".join(
        f'<w:p><w:r><w:t xml:space="preserve">{escape(line)}</w:t></w:r></w:p>' for line in lines
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f"<w:document {W_NS}><w:body>{body}<w:sectPr/></w:body></w:document>"
    ).encode()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = document if info.filename == "word/document.xml" else source.read(info)
            out.writestr(info.filename, data)


def timed(run: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def floor(path: Path) -> int:
    document = docx.Document(str(path))
    return sum(len(p.text) for p in document.paragraphs)


def cli(path: Path, workdir: Path) -> tuple[float, float, str]:
    """`qbank import items --dry-run` in a subprocess: wall and CPU seconds, last line.

    Runs what the `qbank` console script runs, from this checkout (PYTHONPATH), so the
    figures are of the code beside this file even when another copy is installed.
    """
    database = workdir / f"bench-{path.stem}.db"
    command = [
        sys.executable,
        "-c",
        "import sys; from cli.main import main; sys.argv[0] = 'qbank'; sys.exit(main())",
        *("--db", str(database), "import", "items", str(path), *OCCUPATION, "--dry-run"),
        *("--create", "--occupation-name", "电工"),
    ]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=workdir, env=env, check=False
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    output = (done.stdout + done.stderr).strip().splitlines()
    status = output[-1] if output else f"exit {done.returncode}"
    if done.returncode != 0:
        status = f"exit {done.returncode}: {status}"
    return wall, cpu, status


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--layouts", default=",".join(LAYOUTS))
    parser.add_argument("--no-cli", action="store_true", help="skip the qbank subprocess runs")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    layouts = [name for name in args.layouts.split(",") if name]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="qbank-docx-bench-") as tmp:
        workdir = Path(tmp)
        startup = None
        if not args.no_cli:
            tiny = workdir / "tiny.docx"
            write_docx(tiny, bank_lines(6))
            startup = cli(tiny, workdir)[:2]
        for layout in layouts:
            for size in sizes:
                path = workdir / f"{layout}-{size}.docx"
                write_docx(path, LAYOUTS[layout](size))
                floor_wall, floor_cpu, _ = timed(lambda p=path: floor(p))
                reader_wall, reader_cpu, parsed = timed(lambda p=path: read_items_docx(p))
                row: dict[str, Any] = {
                    "layout": layout,
                    "paragraphs": size,
                    "file_bytes": path.stat().st_size,
                    "items": len(parsed.records),
                    "problems": len(parsed.problems),
                    "floor_s": round(floor_wall, 2),
                    "floor_cpu_s": round(floor_cpu, 2),
                    "reader_s": round(reader_wall, 2),
                    "reader_cpu_s": round(reader_cpu, 2),
                }
                if not args.no_cli:
                    cli_wall, cli_cpu, status = cli(path, workdir)
                    row |= {"cli_s": round(cli_wall, 2), "cli_cpu_s": round(cli_cpu, 2)}
                    row["cli_status"] = status
                rows.append(row)
                path.unlink()
                if not args.json:
                    print(_line(row), flush=True)
    environment = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
    }
    if args.json:
        figures = {"environment": environment, "rows": rows}
        if startup is not None:
            figures["cli_startup_s"], figures["cli_startup_cpu_s"] = map(
                lambda v: round(v, 2), startup
            )
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        if startup is not None:
            print(f"cli startup (one-item file): {startup[0]:.2f} s ({startup[1]:.2f} cpu-s)")
        print(f"environment: {environment}")
    return 0


def _line(row: dict[str, Any]) -> str:
    per_10k = 10_000 / row["paragraphs"]
    text = (
        f"{row['layout']:<9} {row['paragraphs']:>7} paragraphs {row['items']:>6} items"
        f"  floor {row['floor_s']:6.2f} s ({row['floor_cpu_s']:6.2f} cpu)"
        f"  reader {row['reader_s']:6.2f} s ({row['reader_cpu_s']:6.2f} cpu,"
        f" {row['reader_cpu_s'] * per_10k:4.2f} cpu-s/10k)"
    )
    if "cli_s" in row:
        text += f"  cli --dry-run {row['cli_s']:6.2f} s ({row['cli_cpu_s']:6.2f} cpu)"
        text += f"  [{row['cli_status'][:60]}]"
    return text


if __name__ == "__main__":
    raise SystemExit(main())
