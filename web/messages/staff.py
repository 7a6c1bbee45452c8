"""Texts of the staff pages: key -> (Simplified Chinese, English)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "web.staff.heading": ("考务批次", "Exam batches"),
    "web.staff.scope_all": (
        "评价机构可查看全部批次。",
        "As the institution you see every batch.",
    ),
    "web.staff.scope_mine": (
        "这里列出指定您参与（组卷、提取、印制、传送、封存、启封或归档）且您有权查看其题库的批次。",
        "Batches that name you for a step, in banks you may see.",
    ),
    "web.staff.hidden": (
        "另有 {count} 个批次指定了您，但您没有查看其题库的权限（请评价机构用 qbank person grant 授权）。",
        "{count} more batches name you, in banks you may not see "
        "(the institution grants them with qbank person grant).",
    ),
    "web.staff.none": ("没有可显示的批次。", "No batches to show."),
    "web.staff.col.code": ("批次", "Batch"),
    "web.staff.col.bank": ("题库", "Bank"),
    "web.staff.col.date": ("考试日期", "Exam date"),
    "web.staff.col.site": ("考点", "Site"),
    "web.staff.col.candidates": ("考生人数", "Candidates"),
    "web.staff.col.progress": ("保管链进度", "Custody progress"),
    "web.staff.signed": ("已签", "signed"),
    "web.staff.pending": ("待签", "pending"),
    "web.staff.optional": ("可选", "optional"),
    "web.staff.progress": ("已签 {done} / {total} 个环节", "{done} of {total} steps signed"),
    "web.staff.next": ("下一步：{step}（{people}）", "next: {step} ({people})"),
    "web.staff.all_done": ("全部环节已签署", "every step signed"),
    "web.staff.no_layout": (
        "保管布局尚未签署（qbank custody layout）",
        "no custody layout signed yet (qbank custody layout)",
    ),
    "web.staff.recorded_note": (
        "进度按数据库中记录的签名统计；打开批次可对整条保管链重新核验。",
        "Progress counts the signatures recorded; open a batch to verify its whole chain.",
    ),
    "web.staff.batch_heading": ("批次 {code}", "Batch {code}"),
    "web.staff.papers": ("试卷", "Papers"),
    "web.staff.paper": ("{code} 卷（{kind}）", "{code} ({kind})"),
    "web.staff.kind.theory": ("理论知识", "theory"),
    "web.staff.kind.practical": ("操作技能", "practical"),
    "web.staff.no_papers": ("尚未组卷", "no papers assembled yet"),
    "web.staff.back": ("返回批次列表", "Back to the batches"),
    "web.staff.verdict_heading": ("核验结论", "Verdict"),
    "web.staff.verdict_note": (
        "以数据库登记的评价机构公钥核验整条保管链，与 qbank custody verify --batch 相同；"
        "不接数据库的独立核验请导出（qbank custody export）后在“核验”页上传。",
        "The whole chain verified against the institution's key registered in the database, "
        "as qbank custody verify --batch does; for an independent check export it "
        "(qbank custody export) and upload it on the Verify page.",
    ),
    "web.staff.layout_heading": ("保管布局", "Custody layout"),
    "web.staff.layout_signer": ("签署人", "Signed by"),
    "web.staff.layout_time": ("签署时间", "Signed at"),
    "web.staff.layout_origin": ("日志名称", "Log origin"),
    "web.staff.legs_planned": ("计划传送段数", "Planned transport legs"),
    "web.staff.legs_any": ("不限（至少 1 段）", "any (at least one)"),
    "web.staff.steps_heading": ("各环节", "Steps"),
    "web.staff.col.step": ("环节", "Step"),
    "web.staff.col.quorum": ("须签人数", "Quorum"),
    "web.staff.col.designated": ("指定人员", "Designated"),
    "web.staff.col.signed_by": ("已签署", "Signed by"),
    "web.staff.col.status": ("状态", "Status"),
    "web.staff.quorum_unset": ("未定", "not fixed"),
    "web.staff.legs": ("已签 {legs} 段", "{legs} legs signed"),
    "web.staff.waiting": ("待 {people} 签署", "waiting for {people}"),
    "web.staff.pending_heading": ("待签环节", "Steps still to sign"),
    "web.staff.nothing_pending": ("没有待签的环节。", "No steps left to sign."),
    "web.staff.timeline_heading": ("保管链记录", "Custody chain"),
    "web.staff.no_entries": ("还没有签署记录。", "Nothing signed yet."),
    "web.staff.entry": ("第 {position} 号记录", "Entry {position}"),
    "web.staff.unverified": (
        "未通过核验（或在未通过核验的记录之后），不计入进度",
        "not verified (or after the entry that failed); not counted",
    ),
    "web.staff.col.person": ("签署人", "Signer"),
    "web.staff.col.fingerprint": ("公钥指纹", "Key fingerprint"),
    "web.staff.col.time": ("签署时间（UTC）", "Time (UTC)"),
    "web.staff.col.materials": ("接收", "Received"),
    "web.staff.col.products": ("交出", "Handed on"),
    "web.staff.col.evidence": ("凭证", "Evidence"),
    "web.staff.none_listed": ("无", "none"),
    "web.staff.product.paper": ("试卷", "paper"),
    "web.staff.product.bundle": ("封存包", "sealed bundle"),
    "web.staff.product.file": ("文件", "file"),
    "web.staff.not_designated": (
        "{name} 不是批次 {code} 的指定人员",
        "{name} is not designated for batch {code}",
    ),
}
