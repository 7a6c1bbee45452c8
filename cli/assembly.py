"""`qbank assemble` and `qbank paper check`: papers for a batch from filed items only."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import click

from cli._common import (
    ROW_ID,
    common_options,
    emit_json,
    json_option,
    progress,
    qbank_errors,
    t,
    transaction,
)
from cli.identities import identity_options, keyring_from
from qbank import audit
from qbank.assembly.layout import PaperLayout, PracticalLayout
from qbank.batch import get_batch
from qbank.blueprint import Blueprint, check_blueprint, load_blueprint
from qbank.errors import InvalidInput
from qbank.model import Paper
from qbank.policy import load_policy
from qbank.text.numbers import format_number, format_percent


@click.command("assemble")
@click.option("--batch", "batch_id", type=ROW_ID, required=True, help="考试批次编号 / batch id")
@click.option(
    "--blueprint",
    "blueprint_file",
    type=click.Path(path_type=Path),
    required=True,
    help="组卷方案 TOML / blueprint",
)
@click.option("--papers", default="A,B", show_default=True, help="试卷代号，逗号分隔 / paper codes")
@click.option("--seed", type=int, help="随机种子（默认由系统安全随机数生成，并记录） / seed")
@click.option(
    "--practical/--no-practical",
    default=True,
    show_default=True,
    help="同时抽取一套操作技能试卷 / also draw a practical set",
)
@click.option("--time-limit", type=float, default=20.0, show_default=True, help="求解时限（秒）")
@click.option(
    "--dry-run", is_flag=True, help="只显示组卷方案的约束摘要，不组卷 / show constraints only"
)
@click.option("--policy", "policy_file", type=click.Path(path_type=Path), help="政策文件 / policy")
@identity_options
@json_option
@common_options
@qbank_errors
def assemble_cmd(
    batch_id: int,
    blueprint_file: Path,
    papers: str,
    seed: int | None,
    practical: bool,
    time_limit: float,
    dry_run: bool,
    policy_file: Path | None,
    identity_files: tuple[Path, ...],
    identity_person: str | None,
    as_json: bool,
) -> None:
    """按组卷方案从已备案试题中组卷（A/B 卷互不重复超过上限），并抽取操作技能试卷 / assemble papers.

    近期批次的试卷已封存时，需用 --identity 或 --identity-person 给出本人的 age 身份，
    以便核对与这些试卷的重复率和试题使用次数。

    \b
    例 / Example:
      qbank assemble --batch 1 --blueprint samples/blueprints/electrician-4-theory.toml --papers A,B
      qbank assemble --batch 1 --blueprint 方案.toml --papers A,B --seed 42 --json
      qbank assemble --batch 2 --blueprint 方案.toml --identity-person 王老师
    """
    from qbank.assembly.service import assemble, draw_practical

    bp = load_blueprint(blueprint_file)
    codes = [c.strip() for c in papers.split(",") if c.strip()]
    if not codes:
        raise InvalidInput("assembly.bad_codes", codes=papers)
    policy = load_policy(policy_file)
    if dry_run:
        _show_constraints(bp)
        return
    seed = seed if seed is not None else secrets.randbits(63)
    actor = audit.current_actor()
    keyring = keyring_from(identity_files, identity_person)
    with transaction() as session, progress(shown=not as_json) as advance:
        batch = get_batch(session, batch_id)
        seed, stored = assemble(
            session,
            batch,
            bp,
            codes,
            policy,
            actor=actor,
            seed=seed,
            time_limit=time_limit,
            identities=keyring,
            progress=lambda done, total: advance("solve", done, total),
        )
        drawn = (
            draw_practical(session, batch, policy, actor=actor, seed=seed, identities=keyring)
            if practical
            else None
        )
        out = _assembled(seed, stored, drawn)
    if as_json:
        emit_json(out)
        return
    click.echo(t("assembly.done", seed=seed, papers="、".join(p["code"] for p in out["papers"])))
    for paper in out["papers"]:
        click.echo(f"  {paper['code']}: {len(paper['items'])} / {format_number(paper['score'])}")
    if out["practical"]:
        click.echo(t("assembly.practical", set=out["practical"]["set"]))


def _show_constraints(bp: Blueprint) -> None:
    """The blueprint's summary, sections, weights and self-contradictions (--dry-run)."""
    click.echo(
        t(
            "assembly.summary",
            title=bp.title,
            items=bp.item_count,
            score=format_number(bp.total_score),
            minutes=bp.duration_minutes,
        )
    )
    for section in bp.sections:
        click.echo(f"  {section.title}: {section.count} × {format_number(section.score)}")
    for rule in bp.weights:
        share, tolerance = format_percent(rule.share), format_percent(rule.tolerance)
        click.echo(f"  {rule.range}: {share} ± {tolerance}")
    for line in check_blueprint(bp):
        click.echo(f"  ! {line}")


def _assembled(seed: int, stored: list[Paper], drawn: Paper | None) -> dict[str, Any]:
    """What `--json` prints: the seed, each paper's items and sections, the drawn set."""
    papers = []
    for p in stored:
        layout = PaperLayout.from_json(p.layout)
        sections = [
            {"type": s.type, "title": s.title, "items": list(s.items), "score": s.score}
            for s in layout.sections
        ]
        papers.append(
            {
                "id": p.id,
                "code": p.code,
                "items": list(layout.items),
                "score": layout.score,
                "sections": sections,
            }
        )
    practical = None
    if drawn is not None:
        practical = {"id": drawn.id, "set": PracticalLayout.from_json(drawn.layout).set}
    return {"seed": seed, "papers": papers, "practical": practical}


@click.group("paper")
def paper_group() -> None:
    """试卷 / papers."""


@paper_group.command("check")
@click.argument("paper_id", type=ROW_ID)
@click.option("--policy", "policy_file", type=click.Path(path_type=Path), help="政策文件 / policy")
@identity_options
@common_options
@qbank_errors
def paper_check(
    paper_id: int,
    policy_file: Path | None,
    identity_files: tuple[Path, ...],
    identity_person: str | None,
) -> None:
    """用独立校验器复核一份已保存的理论试卷（与同批次试卷、近期批次一并核对）；通过时退出码为 0.

    已封存的试卷需用 --identity 或 --identity-person 给出 age 身份才能复核。

    \b
    例 / Example:
      qbank paper check 1
      qbank paper check 3 --identity 王老师.age-identity.txt
    """
    from qbank.assembly.service import check_batch_papers, get_paper

    keyring = keyring_from(identity_files, identity_person)
    with transaction() as session:
        paper = get_paper(session, paper_id)
        lines = [
            line
            for line in check_batch_papers(
                session,
                get_batch(session, paper.batch_id),
                load_policy(policy_file),
                identities=keyring,
            )
            if paper.code in line.split(" ", 1)[0].split("/")
        ]
    for line in lines:
        click.echo(line)
    click.echo(t("assembly.check_ok" if not lines else "assembly.check_failed", count=len(lines)))
    if lines:
        raise SystemExit(1)
