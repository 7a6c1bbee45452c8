"""Small in-memory print records for the document tests: a theory paper of the three item
types with long stems (answer brackets near line ends, long explanations) and a practical
paper whose preparation lists carry tokens that must not break ("KM1、KM2", "JR36-20").

No database: the exporters take these records as they would take a filed batch's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from qbank.printing import (
    PracticalPaperDoc,
    PrintedItem,
    PrintedOption,
    PrintedSection,
    PrintRunDoc,
    TheoryPaperDoc,
)
from qbank.records import Location, PracticalSetRecord, PracticalTask, PrepRow, RubricRow

__all__ = ["practical_paper", "print_run", "theory_doc", "theory_paper"]

_FILLER = "在三相异步电动机的控制线路中，为了防止两个接触器同时吸合造成电源短路，"


def _item(number: int, kind: str) -> PrintedItem:
    # Lengths vary with the number so that brackets land at every place in a line.
    stem = _FILLER[: 10 + number % 23] + "应当采用的保护措施是（ ）。"
    options: tuple[PrintedOption, ...] = ()
    answer = "√" if number % 2 else "×"
    if kind == "judgement":
        stem = _FILLER[: 12 + number % 29] + "必须采用电气互锁。"
    else:
        options = tuple(
            PrintedOption(letter, text)
            for letter, text in zip(
                "ABCD", ("电气互锁", "机械互锁", "双重互锁", "自锁"), strict=True
            )
        )
        answer = "A" if kind == "single" else "AC"
    return PrintedItem(
        number=number,
        item_id=number,
        version=f"{number:064x}",
        type=kind,
        stem=stem,
        options=options,
        answer=answer,
        explanation=("解析：" + _FILLER * 2 + "故选" + answer + "。") if number % 3 == 0 else None,
        score=1.0,
    )


def theory_paper(per_section: int = 12) -> TheoryPaperDoc:
    """A theory paper of `per_section` 判断, 单选 and 多选 items, numbered continuously."""
    sections = []
    first = 1
    for ordinal, (kind, title) in zip(
        "一二三",
        (("judgement", "判断题"), ("single", "单项选择题"), ("multiple", "多项选择题")),
        strict=True,
    ):
        items = tuple(_item(n, kind) for n in range(first, first + per_section))
        sections.append(
            PrintedSection(
                ordinal=ordinal,
                title=title,
                type=kind,
                first=first,
                last=first + per_section - 1,
                score_each=1.0,
                total=float(per_section),
                items=items,
            )
        )
        first += per_section
    return theory_doc(
        sections,
        title="电工（四级/中级工）理论知识试卷",
        total_score=float(3 * per_section),
        pass_score=float(2 * per_section),
        fingerprint="ab" * 32,
    )


def theory_doc(
    sections: Sequence[PrintedSection],
    *,
    title: str,
    total_score: float,
    pass_score: float,
    fingerprint: str,
) -> TheoryPaperDoc:
    """Paper A of the sample batch (电工 四级, 长沙考点, 2026-12-12) holding `sections`."""
    return TheoryPaperDoc(
        paper_id=1,
        batch_code="20261212-01",
        exam_date="2026-12-12",
        site="长沙考点",
        paper_code="A",
        occupation_code="6-31-01-03",
        occupation_name="电工",
        work_type="",
        level=4,
        level_name="四级/中级工",
        title=title,
        duration_minutes=90,
        total_score=total_score,
        pass_score=pass_score,
        sections=tuple(sections),
        fingerprint=fingerprint,
    )


_VENUE = (
    PrepRow("交流接触器", "CJX2-1210 线圈电压380V", "2只", "KM1、KM2", "设备"),
    PrepRow("热继电器", "JR36-20", "1只", "整定电流按电动机额定电流调整", "设备"),
    PrepRow("三相异步电动机", "Y112M-4 4kW", "1台", "", "设备"),
    PrepRow("按钮", "LA4-3H", "1只", "SB1、SB2、SB3", "器材"),
    PrepRow("导线", "BVR-1.5mm²", "若干", "红、黄、绿、蓝、黑五色", "材料"),
)
_CANDIDATE = (
    PrepRow("万用表", "MF47", "1块", "自备"),
    PrepRow("电工工具", "", "1套", "含验电笔、螺丝刀、剥线钳、尖嘴钳"),
)


def practical_paper(rows: int = 4) -> PracticalPaperDoc:
    """A practical paper whose venue list repeats its five rows `rows` times (long enough
    to cross a page when `rows` is large)."""
    rubric = (
        *(
            RubricRow(f"评分要素{n}", 10.0, f"按图接线，每错一处扣2分；KM{n}自锁触点接错扣5分。")
            for n in range(1, 6)
        ),
        RubricRow("安全文明生产", 0.0, "发生短路或触电事故", veto=True),
    )
    record = PracticalSetRecord(
        code="DG4-01",
        title="电工（四级/中级工）操作技能考核试卷",
        location=Location("memory"),
        venue_prep=_VENUE * rows,
        candidate_prep=_CANDIDATE,
        tasks=(
            PracticalTask(
                "1",
                "三相异步电动机正反转控制线路安装",
                "按图安装接线。\n通电试车一次成功。",
                50.0,
                60,
                rubric=rubric,
            ),
        ),
        total_minutes=60,
    )
    return PracticalPaperDoc(
        paper_id=2,
        batch_code="20261212-01",
        exam_date="2026-12-12",
        site="长沙考点",
        paper_code="P",
        occupation_code="6-31-01-03",
        occupation_name="电工",
        level=4,
        level_name="四级/中级工",
        set_code="DG4-01",
        set_version="0" * 64,
        record=record,
        fingerprint="cd" * 8,
    )


def print_run() -> PrintRunDoc:
    """Batch 20261212-01 with theory paper A and practical paper P."""
    return PrintRunDoc(
        batch_id=1,
        batch_code="20261212-01",
        occupation_code="6-31-01-03",
        occupation_name="电工",
        level=4,
        level_name="四级/中级工",
        exam_date="2026-12-12",
        site="长沙考点",
        created=datetime(2026, 11, 1, 8, 0, 0),
        papers=(theory_paper(), practical_paper()),
    )
