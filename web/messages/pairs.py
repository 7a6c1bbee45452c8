"""Texts of the near-duplicate pair and overlap report pages: key -> (Simplified Chinese, English)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # --- the reviewer's pair pages
    "web.pairs.heading": ("相似试题：{bank}", "Near-duplicate pairs: {bank}"),
    "web.pairs.back_bank": ("返回题库概览", "Back to the bank"),
    "web.pairs.back_list": ("返回相似试题列表", "Back to the pairs"),
    "web.pairs.no_report": (
        "本题库还没有保存的理论题重复率报告（先运行 qbank overlap check）。",
        "This bank has no stored theory overlap report yet (run qbank overlap check).",
    ),
    "web.pairs.report_line": (
        "最新重复率报告 {sha}…（{when}，{by}）：重复率 {rate}（上限 {cap}），{verdict}",
        "Latest overlap report {sha}… ({when}, {by}): repetition {rate} (cap {cap}), {verdict}",
    ),
    "web.pairs.verdict.pass": ("合格", "pass"),
    "web.pairs.verdict.fail": ("不合格", "FAIL"),
    "web.pairs.counts": (
        "相似题对 {pairs} 对（其中报告生成时已裁定 {adjudicated} 对），相似度阈值 {threshold}",
        "{pairs} pairs ({adjudicated} adjudicated when the report was made), threshold {threshold}",
    ),
    "web.pairs.none": ("报告中没有相似题对。", "The report has no near-duplicate pairs."),
    "web.pairs.col.a": ("试题 A", "Item A"),
    "web.pairs.col.b": ("试题 B", "Item B"),
    "web.pairs.col.similarity": ("相似度", "Similarity"),
    "web.pairs.col.state": ("处理情况", "State"),
    "web.pairs.open": ("对照查看", "Compare"),
    "web.pairs.state.open": ("待处理", "open"),
    "web.pairs.state.reported": (
        "已裁定（报告生成时，{reviewer}）",
        "adjudicated when reported ({reviewer})",
    ),
    "web.pairs.state.marked": ("已裁定（{reviewer}）", "adjudicated ({reviewer})"),
    "web.pairs.state.gone": ("试题已删除", "item deleted"),
    "web.pairs.status.draft": ("待审核", "pending"),
    "web.pairs.status.approved": ("已通过", "approved"),
    "web.pairs.status.rejected": ("未通过", "rejected"),
    "web.pairs.own": ("本人试题（回避）", "your own item (recused)"),
    "web.pairs.pair_heading": ("相似题对 {a} 与 {b}", "Pair {a} and {b}"),
    "web.pairs.similarity": (
        "词集相似度（Jaccard，报告）{jaccard}（共有 {shared} / 合计 {union}）；字符相似度 {chars}",
        "token-set similarity (Jaccard, from the report) {jaccard} ({shared} shared of "
        "{union}); character similarity {chars}",
    ),
    "web.pairs.legend": (
        "标色为两题文字的不同之处：红色为仅左侧有，绿色为仅右侧有，黄色为两侧不同。",
        "Highlighted: the differences (red only on the left, green only on the right, "
        "yellow differs on both sides).",
    ),
    "web.pairs.item": ("试题 {id}", "Item {id}"),
    "web.pairs.type": ("题型", "Type"),
    "web.pairs.answer": ("答案", "Answer"),
    "web.pairs.knowledge": ("鉴定点", "Knowledge point"),
    "web.pairs.explanation": ("解析", "Explanation"),
    "web.pairs.status": ("审核状态", "Review status"),
    "web.pairs.version": ("版本", "Version"),
    "web.pairs.gone": (
        "该题已删除或不在本题库中，不能再裁定或审核。",
        "This item was deleted or is not in this bank; it cannot be judged or reviewed.",
    ),
    "web.pairs.marks": ("裁定记录", "Adjudications"),
    "web.pairs.no_marks": ("尚无裁定。", "None yet."),
    "web.pairs.mark_line": (
        "{when} {reviewer}：{reason}",
        "{when} {reviewer}: {reason}",
    ),
    "web.pairs.mark_current": ("有效（针对两题的现行版本）", "in force (the current versions)"),
    "web.pairs.mark_lapsed": (
        "已失效（其中一题已有新版本）",
        "lapsed (an item has a newer version)",
    ),
    "web.pairs.adjudicate_heading": ("裁定为不同试题", "Judge them distinct"),
    "web.pairs.adjudicate_help": (
        "确认两题考查内容不同：签名后此对不计入重复率；任一题出新版本后裁定失效。",
        "Sign that the two items examine different content: the pair is no longer counted; "
        "the mark lapses when either item gets a new version.",
    ),
    "web.pairs.reason": ("裁定理由", "Reason"),
    "web.pairs.default_reason": ("考查内容不同", "考查内容不同"),
    "web.pairs.adjudicate": ("签名裁定", "Sign the mark"),
    "web.pairs.reject_heading": ("审核不通过其中一题", "Reject one of them"),
    "web.pairs.reject_help": (
        "以审核结论“不通过”签名（与 qbank review reject 相同），须填写审核意见。",
        "Sign a rejection (as qbank review reject does); a comment is required.",
    ),
    "web.pairs.reject_which": ("不通过的试题", "Item to reject"),
    "web.pairs.comment": ("审核意见（必填）", "Comment (required)"),
    "web.pairs.reject": ("签名：不通过", "Sign the rejection"),
    "web.pairs.recused": (
        "两题中有您本人命题或导入的试题，按回避原则您不能对其签名。",
        "One of these items is yours: by the avoidance rule you may not sign on it.",
    ),
    "web.pairs.not_reviewer": (
        "裁定与审核须由审题专家签名；您的角色只能查看。",
        "Marks and decisions are signed by reviewers; your roles may only look.",
    ),
    "web.pairs.done.adjudicated": (
        "已签名裁定：两题考查内容不同。",
        "Signed: the two items are distinct.",
    ),
    "web.pairs.done.rejected": ("已签名：该题审核不通过。", "Signed: the item is rejected."),
    "web.pairs.no_bank": ("没有编号为 {id} 的题库", "there is no bank {id}"),
    "web.pairs.not_a_pair": (
        "试题 {a} 与 {b} 不是本题库最新重复率报告中的相似题对",
        "items {a} and {b} are not a pair of this bank's latest overlap report",
    ),
    "web.pairs.reason_required": ("请填写裁定理由", "a reason is required"),
    "web.pairs.comment_required": (
        "不通过时必须填写审核意见",
        "a rejection needs a comment",
    ),
    "web.pairs.pick_item": (
        "请选择这对试题中的一题",
        "choose one of the two items of this pair",
    ),
    "web.pairs.item_gone": (
        "试题 {id} 已删除，未签名",
        "item {id} was deleted; nothing was signed",
    ),
    "web.pairs.version_changed": (
        "试题 {id} 在打开本页后已有新版本，未签名；请刷新页面重新查看",
        "item {id} has a new version since this page was opened; nothing was signed, reload",
    ),
    # --- the regulator's overlap report viewer
    "web.overlap.heading": ("核验重复率报告", "Verify an overlap report"),
    "web.overlap.help": (
        "上传 qbank overlap check 生成的重复率报告（JSON）。同时上传报告所针对的题库试题文件"
        "（如备案包中的 bank.xlsx）时，按 qbank overlap verify --items 的方式重新计算每一项数字"
        "（无需数据库），并对照显示相似题对的文字。",
        "Upload an overlap report (JSON) written by qbank overlap check. With the items file it "
        "was made from (e.g. bank.xlsx of the filing package), every figure is re-derived as "
        "qbank overlap verify --items does (no database), and the pairs' texts are shown.",
    ),
    "web.overlap.report_file": ("重复率报告（JSON）", "Overlap report (JSON)"),
    "web.overlap.items_file": (
        "题库试题文件（可选，.xlsx / .docx / .csv）",
        "Items file (optional: .xlsx / .docx / .csv)",
    ),
    "web.overlap.submit": ("核验", "Verify"),
    "web.overlap.no_report": ("请选择重复率报告文件", "choose an overlap report file"),
    "web.overlap.file_line": ("报告文件：{file}", "Report file: {file}"),
    "web.overlap.items_line": ("试题文件：{file}", "Items file: {file}"),
    "web.overlap.figures": ("报告数字", "Figures"),
    "web.overlap.kind": ("范围", "Scope"),
    "web.overlap.bank": ("题库", "Bank"),
    "web.overlap.bank_value": (
        "职业 {occupation}，{level} 级",
        "occupation {occupation}, level {level}",
    ),
    "web.overlap.method": ("比较方法", "Method"),
    "web.overlap.threshold": ("相似度阈值", "Similarity threshold"),
    "web.overlap.snapshot": ("比较的版本", "Versions compared"),
    "web.overlap.snapshot_value": ("{count} 个，SHA-256 {sha}…", "{count}, SHA-256 {sha}…"),
    "web.overlap.repeated": ("重复（分子 / 分母）", "Repeated (numerator / denominator)"),
    "web.overlap.rate": ("重复率", "Rate"),
    "web.overlap.cap": ("上限", "Cap"),
    "web.overlap.verdict": ("结论", "Verdict"),
    "web.overlap.tokenizer": ("分词", "Tokenizer"),
    "web.overlap.policy": ("政策", "Policy"),
    "web.overlap.generated": ("生成", "Generated"),
    "web.overlap.verification": ("重新计算核验", "Re-derivation"),
    "web.overlap.not_rederived": (
        "未重新计算：{why}以下为报告自述的数字。",
        "Not re-derived: {why} The figures below are the report's own claims.",
    ),
    "web.overlap.why.no_items": (
        "没有上传报告所针对的试题文件；理论题报告需要它（或数据库：qbank overlap verify）才能重算。",
        "no items file was uploaded; a theory report needs it (or the database: qbank overlap "
        "verify) to be re-derived.",
    ),
    "web.overlap.why.kind": (
        "此类报告只能在有数据库或备案包时重新计算（qbank overlap verify 或 qbank filing verify）。",
        "reports of this kind re-derive only with the database or the filing package (qbank "
        "overlap verify or qbank filing verify).",
    ),
    "web.overlap.col.figure": ("项目", "Figure"),
    "web.overlap.col.check": ("核对", "Check"),
    "web.overlap.col.claimed": ("报告", "Claimed"),
    "web.overlap.col.recomputed": ("重算", "Recomputed"),
    "web.overlap.histogram": ("相似度分布", "Similarities"),
    "web.overlap.histogram_alt": (
        "相似题对按相似度分组的柱状图（深色为计入重复率，浅色为已裁定）",
        "Pairs by similarity (dark: counted; light: adjudicated)",
    ),
    "web.overlap.clusters": ("重复题组（{count} 组）", "Clusters ({count})"),
    "web.overlap.cluster_line": ("{size} 题：{ids}", "{size} items: {ids}"),
    "web.overlap.no_clusters": ("没有重复题组。", "No clusters."),
    "web.overlap.set_pairs": ("操作技能试卷两两重复", "Practical sets pairwise"),
    "web.overlap.pairs": ("相似题对（共 {total} 对）", "Pairs ({total} in all)"),
    "web.overlap.more": (
        "另有 {count} 对相似度较低的题对未在此显示（见报告 JSON 或 qbank overlap xlsx）。",
        "{count} less similar pairs are not shown here (see the JSON or qbank overlap xlsx).",
    ),
    "web.overlap.no_texts": (
        "未上传试题文件，只显示编号与相似度。",
        "No items file: only ids and similarities are shown.",
    ),
    "web.overlap.not_in_file": ("试题文件中没有该版本", "this version is not in the items file"),
    "web.overlap.adjudicated_by": (
        "已裁定：{reviewer}（{reason}）",
        "adjudicated: {reviewer} ({reason})",
    ),
}
