"""`qbank demo`: the whole chain on the samples, every verdict shown and checked, and a demo
that fails (exit status 1, the failed verdict named) when a verdict is not VALID/PASS."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from click.testing import CliRunner
from conftest import SAMPLES, DemoRun

from cli.main import cli


def verdict_lines(output: str) -> list[str]:
    """The lines of the demo's verdict block (after 各项结论：, up to the blank line)."""
    lines = output.splitlines()
    start = lines.index("各项结论：") + 1
    return lines[start : lines.index("", start)]


def test_demo_runs_end_to_end_and_every_verdict_passes(demo_run: tuple[Path, DemoRun]) -> None:
    workspace, result = demo_run  # the shared run (conftest), which other modules read too
    assert result.exit_code == 0, result.output
    batch = f"{date.today():%Y%m%d}-01"
    assert verdict_lines(result.output) == [
        "  题库内理论题重复率（6-31-01-03 4）：PASS",
        "  操作技能试卷两两重复率（6-31-01-03 4）：PASS",
        "  备案条件检查（6-31-01-03 4）：PASS",
        "  备案包核验（6-31-01-03 4）：VALID",
        f"  保管链核验（{batch}）：VALID",
        f"  数据库核验（{workspace / 'qbank.db'}）：PASS",
    ]
    assert "题库内理论题重复率：3/597 = 0.50%（上限 30%），结论：通过" in result.output
    assert "鉴定中心核验：核验通过（VALID）" in result.output
    assert "不连数据库核验：有效（VALID）：保管链完整，7 条记录" in result.output
    assert "数据库核验（qbank db verify）：" in result.output and "，0 处问题" in result.output
    assert "6-31-01-03  电工  4（四级）  597     162   350   85    6       96" in result.output
    assert "items.xlsx：导入 0 题（新题 0，新版本 0），未变 597 题" in result.output
    assert result.output.splitlines()[-1].startswith("演示完成：数据库 ")


def test_a_failed_verdict_fails_the_demo_and_stops_it(tmp_path: Path) -> None:
    """A sample bank whose second practical set repeats the first: the practical overlap
    check fails, so the demo says so, files nothing and exits 1."""
    bank = tmp_path / "samples" / "electrician-4"
    (bank / "practical").mkdir(parents=True)
    for name in ("tree.xlsx", "items.xlsx", "practical/DG4-SC-01.yaml"):
        shutil.copyfile(SAMPLES / "electrician-4" / name, bank / name)
    first = (bank / "practical" / "DG4-SC-01.yaml").read_text(encoding="utf-8")
    assert first.startswith("code: DG4-SC-01\n")
    copy = first.replace("code: DG4-SC-01\n", "code: DG4-SC-99\n", 1)
    (bank / "practical" / "DG4-SC-99.yaml").write_text(copy, encoding="utf-8")
    (bank / "bank.toml").write_text(
        'occupation = "6-31-01-03"\nname = "电工"\nlevel = 4\ntree = ["tree.xlsx"]\n'
        'items = ["items.xlsx"]\n'
        'practical = ["practical/DG4-SC-01.yaml", "practical/DG4-SC-99.yaml"]\n',
        encoding="utf-8",
    )
    workspace = tmp_path / "ws"
    result = CliRunner().invoke(
        cli, ["demo", "--dir", str(workspace), "--samples", str(tmp_path / "samples")]
    )
    assert result.exit_code == 1, result.output
    assert "操作技能试卷两两重复率：100/100 = 100.00%（上限 30%），结论：不通过" in result.stdout
    assert verdict_lines(result.stdout) == [
        "  题库内理论题重复率（6-31-01-03 4）：PASS",
        "  操作技能试卷两两重复率（6-31-01-03 4）：FAIL",
    ]
    assert result.stderr == (
        "错误：演示未通过：操作技能试卷两两重复率（6-31-01-03 4）的结论为 FAIL，后续步骤未执行\n"
    )
    assert "演示完成" not in result.stdout
    assert not (workspace / "filings").exists()  # stopped before review and filing


def test_demo_without_samples_is_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(
        cli, ["demo", "--dir", str(tmp_path / "ws"), "--samples", str(empty)]
    )
    assert result.exit_code == 1
    assert result.output == f"错误：在 {empty} 中没有找到样例题库（*/bank.toml）\n"


def test_a_malformed_bank_list_is_a_clear_error(tmp_path: Path) -> None:
    manifest = tmp_path / "samples" / "broken" / "bank.toml"
    manifest.parent.mkdir(parents=True)
    manifest.write_text('occupation = "6-31-01-03"\n', encoding="utf-8")  # no level
    result = CliRunner().invoke(
        cli, ["demo", "--dir", str(tmp_path / "ws"), "--samples", str(tmp_path / "samples")]
    )
    assert result.exit_code == 1
    assert result.output == f"错误：样例题库清单 {manifest} 无法读取：缺少 level\n"
    assert not (tmp_path / "ws").exists()  # read before anything is created
