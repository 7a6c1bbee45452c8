"""Every user-facing message: key -> (Simplified Chinese, English).

Keep one entry per message; parameters are `str.format` names. Sections are grouped by the
module that raises them. Field labels (`field.*`) name record fields in the user's language.
"""

from __future__ import annotations

CATALOGUE: dict[str, tuple[str, str]] = {
    # --- field labels -------------------------------------------------------------------
    "field.type": ("题型", "item type"),
    "field.stem": ("题干", "stem"),
    "field.options": ("选项", "options"),
    "field.answer": ("答案", "answer"),
    "field.knowledge_point": ("鉴定点", "knowledge point"),
    "field.knowledge_path": ("知识点", "knowledge path"),
    "field.importance": ("重要程度", "importance"),
    "field.difficulty": ("难度", "difficulty"),
    "field.discrimination": ("区分度", "discrimination"),
    "field.score": ("分数", "score"),
    "field.explanation": ("解析", "explanation"),
    "field.source": ("出处", "source"),
    "field.author": ("作者", "author"),
    "field.number": ("题号", "item number"),
    "field.guid": ("试题编号", "GUID"),
    "field.header": ("表头", "header"),
    "field.file": ("文件", "file"),
    "field.code": ("代码", "code"),
    "field.name": ("名称", "name"),
    "field.weight": ("鉴定比重", "weight"),
    "field.task": ("试题", "task"),
    "field.tasks": ("试题", "tasks"),
    "field.requirements": ("考核要求", "requirements"),
    "field.time_limit": ("考试时间", "time limit"),
    "field.rubric": ("评分记录表", "rubric"),
    "field.criteria": ("评分标准", "criteria"),
    "field.element": ("评分要素", "scoring element"),
    "field.preparation": ("准备通知单", "preparation list"),
    "field.quantity": ("数量", "quantity"),
    "field.veto": ("否决项", "veto"),
    "field.title": ("标题", "title"),
    "field.section": ("大题", "section"),
    "field.paragraph": ("段落", "paragraph"),
    "field.decision": ("审核结论", "decision"),
    "field.comment": ("审核意见", "comment"),
    "field.id": ("试题ID", "item id"),
    "field.version": ("版本", "version"),
    # --- verified content (qbank.content): re-hash at every trust boundary ----------------
    "content.tampered.item": (
        "试题 {subject}（版本 {version}）{reason}：{consequence}",
        "item {subject} (version {version}): {reason}; {consequence}",
    ),
    "content.tampered.set": (
        "操作技能试卷 {subject}（版本 {version}）{reason}：{consequence}",
        "practical set {subject} (version {version}): {reason}; {consequence}",
    ),
    "content.reason.hash": (
        "的内容已被改动，不能重新算出其版本号（现为 {detail}）",
        "its content was altered and no longer re-hashes to its version id (it hashes to {detail})",
    ),
    "content.reason.not_canonical": (
        "的内容不是规范 JSON",
        "its content is not canonical JSON of an item or set",
    ),
    "content.reason.field": (
        "的“{field}”已被改动，与其版本内容不一致",
        "its stored {field} was altered and differs from its hashed content",
    ),
    "content.reason.not_filed": (
        "不是备案清单所列的版本（清单为 {detail}）",
        "is not the version the filing lists ({detail})",
    ),
    "content.reason.gone": (
        "已备案，但数据库中已没有此版本号的内容（版本行被改动）",
        "was filed, but no stored row carries this version id any more (the row was altered)",
    ),
    "content.reason.review": (
        "与审核签名所列的版本不符（签名为 {detail}）",
        "differs from the version its review signed ({detail})",
    ),
    "content.reason.paper": (
        "不是试卷记录的版本（试卷为 {detail}）",
        "is not the version the paper records ({detail})",
    ),
    "content.consequence.assemble": ("未组卷", "no paper was assembled"),
    "content.consequence.check": ("检查未通过", "the check did not pass"),
    "content.consequence.export": ("未导出", "nothing was exported"),
    "content.consequence.file": ("题库未备案", "the bank was not filed"),
    "content.consequence.overlap": ("未生成重复率报告", "no overlap report was made"),
    "content.consequence.print": ("试卷未打印", "the paper was not printed"),
    "content.consequence.seal": ("未封存，未写出任何文件", "nothing was sealed or written"),
    "content.consequence.unseal": (
        "未解封，未写出任何文件",
        "the bundle was not opened; nothing was written",
    ),
    "content.consequence.verify": ("核验未通过", "the verification failed"),
    # --- locations ----------------------------------------------------------------------
    "loc.file": ("{file}", "{file}"),
    "loc.sheet_row": ("{file} 工作表“{sheet}”第 {row} 行", "{file}, sheet '{sheet}', row {row}"),
    "loc.row": ("{file} 第 {row} 行", "{file}, row {row}"),
    "loc.paragraph": ("{file} 第 {paragraph} 段", "{file}, paragraph {paragraph}"),
    "loc.table": (
        "{file} 第 {table} 个表格第 {row} 行",
        "{file}, table {table}, row {row}",
    ),
    "loc.table_cell": (
        "{file} 第 {table} 个表格第 {row} 行第 {column} 列",
        "{file}, table {table}, row {row}, column {column}",
    ),
    # --- problems found while reading items -----------------------------------------------
    "problem.missing": ("缺少{field}", "{field} is missing"),
    "problem.unknown_type": (
        "无法识别的题型“{value}”，应为 判断题、单项选择题 或 多项选择题",
        "unknown item type '{value}'; expected judgement, single choice or multiple choice",
    ),
    "problem.unparseable_answer": (
        "无法识别的答案“{value}”",
        "cannot read the answer '{value}'",
    ),
    "problem.answer_not_in_options": (
        "答案 {answer} 不在选项 {options} 之中",
        "answer {answer} is not among the options {options}",
    ),
    "problem.single_several_answers": (
        "单项选择题只能有一个答案，实际为 {answer}",
        "a single-choice item has exactly one answer, got {answer}",
    ),
    "problem.multiple_one_answer": (
        "多项选择题应有两个或以上答案，实际为 {answer}",
        "a multiple-choice item needs two or more answers, got {answer}",
    ),
    "problem.judgement_answer": (
        "判断题答案应为 √/×（对/错、正确/错误、是/否），实际为“{value}”",
        "a judgement item's answer must be true/false (√/×, 对/错, 正确/错误, 是/否), got '{value}'",
    ),
    "problem.too_few_options": (
        "选择题至少需要 {minimum} 个选项，实际为 {count} 个",
        "a choice item needs at least {minimum} options, got {count}",
    ),
    "problem.judgement_has_options": (
        "判断题不应有选项",
        "a judgement item has no options",
    ),
    "problem.bad_script_markup": (
        "{field}{letter}中的上下标标记“{text}”没有闭合：下标写作 _{{…}}、上标写作 ^{{…}}，花括号内"
        "不能为空、不能换行；要写字面的 _{{ 或 ^{{，请在前面加反斜杠 \\",
        "{field}{letter}: the sub/superscript markup '{text}' is not closed: write a subscript "
        "as _{{…}} and a superscript as ^{{…}}, not empty and on one line; for a literal _{{ or "
        "^{{ put a backslash \\ before it",
    ),
    "problem.duplicate_option": (
        "选项 {letter} 重复",
        "option {letter} appears twice",
    ),
    "problem.option_gap": (
        "选项不连续：有 {letters}，缺少 {missing}",
        "options are not consecutive: have {letters}, missing {missing}",
    ),
    "problem.duplicate_number": (
        "题号 {number} 重复（第一次出现在{first}）",
        "item number {number} is used twice (first at {first})",
    ),
    "problem.number_out_of_sequence": (
        "题号 {number} 没有接在上一题 {previous} 之后（应为 {expected}）：可能有题目并入了上一题或缺失",
        "item number {number} does not follow {previous} (expected {expected}): an item may have "
        "been merged into the one before or be missing",
    ),
    "problem.unknown_knowledge_point": (
        "鉴定点代码 {code} 不在本题库的鉴定要素细目表中",
        "knowledge point {code} is not in this bank's knowledge tree",
    ),
    "problem.bad_knowledge_code": (
        "鉴定点代码“{value}”格式不正确，应如 B-A-C-012 或 BAC012",
        "knowledge point code '{value}' is malformed; expected e.g. B-A-C-012 or BAC012",
    ),
    "problem.bad_difficulty": (
        "难度“{value}”无法识别，应为 易/较易/中等/较难/难、简单/一般/困难、1–5 或 0–1 之间的数",
        "difficulty '{value}' not understood; expected 易/较易/中等/较难/难, 简单/一般/困难, "
        "1-5 or a number between 0 and 1",
    ),
    "problem.bad_number": (
        "{field}应为数字，实际为“{value}”",
        "{field} must be a number, got '{value}'",
    ),
    "problem.bad_importance": (
        "重要程度应为 X、Y 或 Z，实际为“{value}”",
        "importance must be X, Y or Z, got '{value}'",
    ),
    "problem.header_not_found": (
        "找不到表头：至少需要 {required} 列（可用 --map 列名=字段 指定）",
        "no header row found: need at least the columns {required} (use --map COLUMN=field)",
    ),
    "problem.unknown_map_column": (
        "--map 指定的列“{column}”不在表头中",
        "column '{column}' given to --map is not in the header",
    ),
    "problem.duplicate_column": (
        "列“{column}”和“{other}”都对应{field}",
        "columns '{column}' and '{other}' both map to {field}",
    ),
    "problem.unreadable_file": (
        "无法读取文件：{reason}",
        "cannot read the file: {reason}",
    ),
    "problem.unknown_encoding": (
        "无法识别文件编码（应为 UTF-8 或 GB18030/GBK）",
        "cannot detect the file's encoding (expected UTF-8 or GB18030/GBK)",
    ),
    "problem.no_items": ("文件中没有找到试题", "no items found in the file"),
    "problem.outside_section": (
        "该段落不在任何大题（一、判断题 / 二、单项选择题 / 三、多项选择题）之下",
        "paragraph is not under any section heading (判断题 / 单项选择题 / 多项选择题)",
    ),
    "problem.unrecognised_paragraph": (
        "无法识别的段落“{text}”",
        "paragraph not understood: '{text}'",
    ),
    # --- importers.docx_items ---------------------------------------------------------------
    "problem.answer_conflict": (
        "题干括号内的答案 {inline} 与答案行的 {line} 不一致",
        "the answer in the stem's brackets ({inline}) differs from the answer line ({line})",
    ),
    "problem.answer_key_conflict": (
        "试题中的答案 {inline} 与参考答案中的 {key} 不一致",
        "the item's own answer ({inline}) differs from the answer key's ({key})",
    ),
    "problem.no_key_answer": (
        "第 {number} 题没有答案：题中没有，参考答案中也没有这一题",
        "item {number} has no answer: none in the item, and the answer key has no such number",
    ),
    "problem.answer_without_item": (
        "参考答案中的第 {number} 题没有对应的试题",
        "the answer key gives an answer for item {number}, but there is no such item",
    ),
    # --- knowledge tree -------------------------------------------------------------------
    "problem.duplicate_code": (
        "代码 {code} 重复（第一次出现在{first}）",
        "code {code} is used twice (first at {first})",
    ),
    "problem.bad_weight": (
        "鉴定比重应为 0–100 之间的数，实际为“{value}”",
        "weight must be a number between 0 and 100, got '{value}'",
    ),
    "problem.weights_do_not_sum": (
        "{parent} 下各项鉴定比重之和为 {total}，应为 {expected}",
        "weights under {parent} add up to {total}, expected {expected}",
    ),
    "problem.orphan_node": (
        "{code} 没有上级鉴定范围",
        "{code} has no parent range",
    ),
    # --- importers.table_items, importers.tree ------------------------------------------
    "problem.unknown_map_field": (
        "--map 指定的字段“{name}”不存在，可用字段：{fields}",
        "--map names an unknown field '{name}'; available: {fields}",
    ),
    "problem.tree_header_not_found": (
        "找不到鉴定要素细目表的表头：至少需要 {required} 列",
        "no knowledge-tree header row found: need at least the columns {required}",
    ),
    "problem.bad_range_code": (
        "鉴定范围代码“{value}”格式不正确，应为字母，如 B 或 B-A-C",
        "range code '{value}' is malformed; expected letters, e.g. B or B-A-C",
    ),
    "problem.top_weights_do_not_sum": (
        "各一级鉴定范围的鉴定比重之和为 {total}，应为 {expected}",
        "the level-1 range weights add up to {total}, expected {expected}",
    ),
    # --- practical sets -------------------------------------------------------------------
    "problem.score_total": (
        "{what}配分合计 {total} 分，应为 {expected} 分",
        "{what} scores add up to {total}, expected {expected}",
    ),
    "problem.no_tasks": ("试卷中没有找到考核试题", "no tasks found in the practical paper"),
    "problem.bad_structure": (
        "{what}格式不正确：{reason}",
        "{what} is malformed: {reason}",
    ),
    # --- importers.practical, importers.practical_docx ------------------------------------
    "field.set": ("试卷", "paper set"),
    "field.total_minutes": ("考试总时间", "total time"),
    "field.spec": ("规格型号", "specification"),
    "field.note": ("备注", "note"),
    "field.category": ("类别", "category"),
    "field.module": ("鉴定范围", "module"),
    "problem.bad_syntax": ("{format} 语法错误：{reason}", "{format} syntax error: {reason}"),
    "problem.unknown_key": (
        "无法识别的键“{key}”，可用的键：{allowed}",
        "unknown key '{key}'; allowed keys: {allowed}",
    ),
    "problem.duplicate_key": ("键“{key}”出现了两次", "key '{key}' is given twice"),
    "problem.expected_mapping": (
        "{field}应为“键: 值”形式的映射",
        "{field} must be a mapping (key: value)",
    ),
    "problem.expected_list": ("{field}应为列表", "{field} must be a list"),
    "problem.expected_text": ("{field}应为文本或数字", "{field} must be text or a number"),
    "problem.expected_bool": (
        "{field}应为 true/false（是/否），实际为“{value}”",
        "{field} must be true or false, got '{value}'",
    ),
    "problem.not_positive": (
        "{field}应大于 0，实际为 {value}",
        "{field} must be above 0, got {value}",
    ),
    "problem.negative": (
        "{field}不能为负数，实际为 {value}",
        "{field} cannot be negative, got {value}",
    ),
    "problem.bad_minutes": (
        "{field}应为分钟数（1–10080 的整数，如 60 或 60分钟），实际为“{value}”",
        "{field} must be whole minutes between 1 and 10080 (e.g. 60), got '{value}'",
    ),
    "problem.set_score_total": (
        "试卷 {code} 各试题配分合计 {total} 分，应为 {expected} 分",
        "the tasks of set {code} add up to {total} points, expected {expected}",
    ),
    "problem.rubric_score_total": (
        "试题 {number} 的评分记录表配分合计 {total} 分，与该题配分 {expected} 分不符",
        "the rubric of task {number} adds up to {total} points, but the task is worth {expected}",
    ),
    "problem.rubric_unknown_task": (
        "评分记录表对应的试题 {number} 不存在",
        "the rubric refers to task {number}, which is not in the paper",
    ),
    "problem.rubric_unassigned": (
        "无法确定该评分记录表属于哪道试题（每道试题都已有评分记录表）",
        "cannot tell which task this rubric table belongs to (every task already has one)",
    ),
    "problem.summary_task_score": (
        "成绩汇总表中试题 {number} 的配分为 {value}，与试题的配分 {expected} 不符",
        "the score table gives task {number} {value} points; the task has {expected}",
    ),
    "problem.summary_task_time": (
        "成绩汇总表中试题 {number} 的考核时间为 {value} 分钟，与试题的 {expected} 分钟不符",
        "the score table gives task {number} {value} minutes; the task has {expected}",
    ),
    "problem.summary_total": (
        "成绩汇总表的合计为 {value}，与各试题配分之和 {expected} 不符",
        "the score table's total is {value}; the tasks add up to {expected}",
    ),
    "problem.summary_unknown_task": (
        "成绩汇总表中的“{name}”不是本套试卷的试题",
        "'{name}' in the score table is not a task of this set",
    ),
    "problem.summary_missing_task": (
        "成绩汇总表中没有试题 {number}",
        "the score table does not list task {number}",
    ),
    "problem.rubric_twice": (
        "试题 {number} 有两个评分记录表（第一个在{first}）",
        "task {number} has two rubric tables (the first at {first})",
    ),
    "problem.prep_header_not_found": (
        "找不到准备通知单表格的表头：至少需要“名称”列",
        "no header row in the preparation table: need at least a 名称 (name) column",
    ),
    "problem.rubric_header_not_found": (
        "找不到评分记录表的表头：至少需要“评分要素”“配分”“评分标准”列",
        "no header row in the rubric table: need the columns 评分要素, 配分 and 评分标准",
    ),
    # --- import outcome -------------------------------------------------------------------
    "import.rejected": (
        "{file} 有 {count} 处问题，未导入任何内容",
        "{file} has {count} problem(s); nothing was imported",
    ),
    # --- reading limits (formats.limits) ---------------------------------------------
    "limit.exceeded": (
        "{file}{where}：{label}超过上限（{value}，上限 {maximum}），未读取；确需读取时可用"
        " --limit {name}=更大的值 或环境变量 QBANK_LIMITS=\"{name}=…\" 提高上限",
        "{file}{where}: {label} over the limit ({value}, limit {maximum}); not read. To read it"
        " anyway raise the limit with --limit {name}=LARGER or QBANK_LIMITS=\"{name}=…\"",
    ),
    "limit.exceeded_at": (
        "{at}：{where}{label}超过上限（{value}，上限 {maximum}），未读取；确需读取时可用"
        " --limit {name}=更大的值 或环境变量 QBANK_LIMITS=\"{name}=…\" 提高上限",
        "{at}: {where}{label} over the limit ({value}, limit {maximum}); not read. To read it"
        " anyway raise the limit with --limit {name}=LARGER or QBANK_LIMITS=\"{name}=…\"",
    ),
    "limit.exceeded_here": (
        "{where}{label}超过上限（{value}，上限 {maximum}），未读取；确需读取时可用 --limit {name}=更大的值"
        " 或环境变量 QBANK_LIMITS=\"{name}=…\" 提高上限",
        "{where}{label} over the limit ({value}, limit {maximum}); not read. To read it anyway"
        " raise the limit with --limit {name}=LARGER or QBANK_LIMITS=\"{name}=…\"",
    ),
    "limit.where": (" {where}", ", {where}"),
    "limit.where_here": ("{where}：", "{where}: "),
    "limit.unknown": (
        "未知的读取上限“{value}”，应为 名称=值，名称可为：{names}",
        "unknown limit '{value}'; expected NAME=VALUE with NAME one of: {names}",
    ),
    "limit.bad_value": (
        "读取上限 {name} 的值“{value}”不正确：应为正整数，大小可带 K/M/G（如 512M）",
        "limit {name}: '{value}' is not a positive whole number (sizes may end in K/M/G, e.g. 512M)",
    ),
    "limit.more_problems": ("……及其他 {count} 个问题", "… and {count} more problem(s)"),
    "limit.file_size": ("文件大小（字节）", "file size (bytes)"),
    "limit.unzipped_size": ("解压后的总大小（字节）", "total uncompressed size (bytes)"),
    "limit.member_size": ("解压后的大小（字节）", "uncompressed size (bytes)"),
    "limit.members": ("压缩包中的条目数", "number of entries in the package"),
    "limit.cell_chars": ("一个单元格的字符数", "characters in one cell"),
    "limit.paragraph_chars": ("一个段落的字符数", "characters in one paragraph"),
    "limit.rows": ("行数", "number of rows"),
    "limit.columns": ("一行的单元格（字段）数", "cells (fields) in one row"),
    "limit.cells": ("工作表的单元格总数", "cells in the sheet"),
    "limit.line_chars": ("一行的字符数", "characters in one line"),
    "limit.problems": ("列出的问题数", "problems listed"),
    "limit.elements": ("XML 元素数", "number of XML elements"),
    "limit.text_node": (
        "一段连续文本（字节）", "bytes of text in one piece (more than any cell or paragraph)",
    ),
    # --- engine: banks, items, storage (qbank.bank, qbank.items) ---------------------------
    "bank.bad_level": (
        "等级应为 1–5（1 一级/高级技师 … 5 五级/初级工），实际为 {level}",
        "level must be 1-5 (1 = 一级 … 5 = 五级), got {level}",
    ),
    "bank.bad_occupation_code": (
        "职业编码“{code}”格式不正确，应如 6-31-01-03 或 6-18-01-01-02",
        "occupation code '{code}' is malformed; expected e.g. 6-31-01-03 or 6-18-01-01-02",
    ),
    "bank.not_found": (
        "没有职业 {occupation} 等级 {level} 的题库（先用 qbank bank new 新建）",
        "no bank for occupation {occupation} level {level} (create it with qbank bank new)",
    ),
    # --- explicit banks, field loss, item links (qbank.bank, qbank.field_loss, qbank.linking)
    "bank.name_required": (
        "新建题库要写职业名称（--name / --occupation-name），如 电工",
        "a new bank needs its occupation name (--name / --occupation-name), e.g. 电工",
    ),
    "bank.occupation_named": (
        "职业 {occupation} 已有名称“{existing}”，与“{name}”不同；请核对职业编码",
        "occupation {occupation} is already named '{existing}', not '{name}'; check the code",
    ),
    "bank.exists": (
        "题库 {occupation} {name} {level} 已存在",
        "bank {occupation} {name} {level} already exists",
    ),
    "bank.name_placeholder": ("职业名称", "NAME"),
    "bank.or": ("，或 ", ", or "),
    "bank.missing": (
        "没有 {occupation} {level}题库。新建题库请先运行 qbank bank new --occupation "
        "{occupation} --level {number} --name {name}（脚本可在导入时加 --create "
        "--occupation-name {name}）",
        "there is no bank {occupation} level {number}. To make it, run qbank bank new "
        "--occupation {occupation} --level {number} --name {name} first (scripts may add "
        "--create --occupation-name {name} to the import)",
    ),
    "bank.missing_suggest": (
        "没有 {occupation} {level}题库。是否要导入到 {choices}？新建题库请先运行 qbank bank new "
        "--occupation {occupation} --level {number} --name {name}（脚本可在导入时加 --create "
        "--occupation-name {name}）",
        "there is no bank {occupation} level {number}. Did you mean {choices}? To make it, run "
        "qbank bank new --occupation {occupation} --level {number} --name {name} first "
        "(scripts may add --create --occupation-name {name} to the import)",
    ),
    "bank.created": (
        "已新建题库 {occupation} {name} {level}",
        "created bank {occupation} {name} {level}",
    ),
    "problem.field_loss": (
        "{item}：新版本会丢失{fields}",
        "{item}: the new version would lose {fields}",
    ),
    "field_loss.rejected": (
        "{file}：{count} 道题的新版本会丢失已有字段，未导入。保留现有值请加 --keep-missing，"
        "确认丢弃请加 --allow-field-loss",
        "{file}: the new versions of {count} items would lose fields they have; nothing was "
        "imported. Add --keep-missing to keep the current values, or --allow-field-loss to "
        "drop them",
    ),
    "field_loss.kept": (
        "{count} 道题沿用了文件中没有的现有字段（--keep-missing）",
        "{count} items kept current fields the file does not have (--keep-missing)",
    ),
    "item.label_guid": ("试题编号 {guid}", "GUID {guid}"),
    "item.label_stem": ("“{stem}”", "'{stem}'"),
    "cli.bad_threshold": (
        "相似度阈值应在 0 与 1 之间（如 0.9），实际为 {value}",
        "the similarity threshold must be between 0 and 1 (e.g. 0.9), got {value}",
    ),
    "link.linked": (
        "{where} 作为试题编号 {guid} 的新版本（相似度 {similarity}）：{diff}",
        "{where} becomes a new version of GUID {guid} (similarity {similarity}): {diff}",
    ),
    "problem.link_ambiguous": (
        "与 {count} 道已有试题都很接近（{candidates}），请决定：加试题编号，或加 --new-items "
        "作为新题导入",
        "close to {count} stored items ({candidates}); decide: give it a GUID, or add "
        "--new-items to import it as new",
    ),
    "problem.link_answer_changed": (
        "与试题编号 {guid} 很接近（相似度 {similarity}）但答案由 {old} 改为 {new}，请决定：加"
        "试题编号作为新版本，或加 --new-items 作为新题导入",
        "close to GUID {guid} (similarity {similarity}) but its answer changed from {old} to "
        "{new}; decide: give it that GUID for a new version, or add --new-items to import "
        "it as new",
    ),
    "problem.link_contested": (
        "与同一文件中的{other}都接近试题编号 {guid}，请决定：加试题编号，或加 --new-items 作为"
        "新题导入",
        "this and {other} of the same file are both close to GUID {guid}; decide: give one "
        "a GUID, or add --new-items to import them as new",
    ),
    "item.not_found": ("没有编号为 {id} 的试题", "no item with id {id}"),
    "item.deleted": ("已于 {at} 逻辑删除（数据保留）", "deleted logically on {at} (data kept)"),
    "problem.duplicate_item": (
        "与{first}是同一道题（试题编号或题型、题干、选项相同）",
        "same item as {first} (same GUID, or same type, stem and options)",
    ),
    "problem.duplicate_content": (
        "与题库中已有的试题 {guid}（ID {id}）题型、题干、选项相同，同一题库不能有两道相同的题",
        "same type, stem and options as item {guid} (id {id}) already in the bank; a bank "
        "cannot hold the same item twice",
    ),
    "db.busy": (
        "题库正忙（另一个导入或写入正在进行），请稍后再试",
        "the bank is busy (another import or write is in progress); try again later",
    ),
    # --- command line (cli) ---------------------------------------------------------------
    "cli.unsupported_file": (
        "不支持的文件类型“{suffix}”，应为 {expected}",
        "unsupported file type '{suffix}'; expected {expected}",
    ),
    "cli.bad_map": (
        "--map 的格式应为 列名=字段，实际为“{value}”",
        "--map takes COLUMN=field, got '{value}'",
    ),
    "cli.file_missing": ("找不到文件 {path}", "file not found: {path}"),
    "settings.not_regular_file": (
        "{path} 不是普通文件（设置文件应为 TOML 文本文件）",
        "{path} is not a regular file (a settings file is a TOML text file)",
    ),
    "settings.too_large": (
        "{path} 超过 {limit} 字节，不像设置文件，未读取",
        "{path} is larger than {limit} bytes, too large for a settings file; not read",
    ),
    "cli.error": ("错误：{message}", "Error: {message}"),
    # --- cli._errors: the top-level handler (database, operating system, unexpected) ------
    "cli.db_empty": ("--db 不能为空", "--db must not be empty"),
    "cli.db_open_failed": (
        "无法打开数据库 {url}：{reason}",
        "cannot open the database {url}: {reason}",
    ),
    "cli.db_failed": ("数据库 {url} 出错：{reason}", "the database {url} failed: {reason}"),
    "cli.db_bad_url": (
        "数据库地址 {url} 无效：{reason}",
        "the database URL {url} is not valid: {reason}",
    ),
    "tokens.rjieba_missing": (
        "未能加载 rjieba（{reason}），改用 jieba 分词：结果相同，但速度较慢",
        "rjieba could not be loaded ({reason}); tokenising with jieba instead: the same tokens, "
        "only slower",
    ),
    "cli.db_newer": (
        "数据库 {url} 的结构版本 {revision} 不为本程序所知（可能由更新版本的 qbank 创建），请升级 qbank",
        "the database {url} has schema revision {revision}, which this qbank does not know "
        "(probably made by a newer qbank); upgrade qbank",
    ),
    "cli.os_error": ("{path}：{reason}", "{path}: {reason}"),
    "cli.os_error_two": ("{path} → {other}：{reason}", "{path} -> {other}: {reason}"),
    "cli.os_error_bare": ("系统错误：{reason}", "system error: {reason}"),
    "cli.internal_error": (
        "{command} 意外出错：{error}（位置 {where}；加 --debug 可查看详细信息）",
        "{command} failed unexpectedly: {error} (at {where}; run with --debug for details)",
    ),
    "cli.interrupted": ("已中断", "interrupted"),
    "cli.out_of_memory": (
        "{command} 内存不足（位置 {where}）：某个输入可能过大",
        "{command} ran out of memory (at {where}); an input may be too large",
    ),
    "cli.reason.not_a_database": ("不是 SQLite 数据库文件", "not a SQLite database file"),
    "cli.reason.cannot_open_file": ("无法打开该文件", "the file cannot be opened"),
    "cli.reason.no_directory": ("目录 {path} 不存在", "the directory {path} does not exist"),
    "cli.reason.not_directory": ("{path} 不是目录", "{path} is not a directory"),
    "cli.reason.refused": (
        "服务器拒绝连接（服务器是否在运行、地址和端口是否正确？）",
        "the server refused the connection (is it running, are host and port right?)",
    ),
    "cli.reason.disk_full": ("磁盘空间已满", "the disk is full"),
    "cli.reason.locked": (
        "数据库正被另一进程占用，请稍后再试",
        "the database is locked by another process; try again later",
    ),
    "cli.reason.quota": ("超出磁盘配额", "disk quota exceeded"),
    "cli.reason.read_only": ("只读，无法写入", "read-only, cannot be written"),
    "cli.reason.not_found": ("文件或目录不存在", "no such file or directory"),
    "cli.reason.permission": ("没有权限", "permission denied"),
    "cli.reason.is_a_directory": ("这是一个目录，应为文件", "is a directory, expected a file"),
    "cli.reason.not_a_directory": ("路径中有一段不是目录", "a part of the path is not a directory"),
    "cli.reason.exists": ("已存在", "already exists"),
    "cli.reason.not_empty": ("目录不为空", "directory not empty"),
    "cli.reason.name_too_long": ("文件名过长", "file name too long"),
    "cli.reason.too_many_files": ("打开的文件过多", "too many open files"),
    "cli.reason.too_large": ("文件过大", "file too large"),
    "cli.reason.io": ("读写错误（I/O）", "input/output error"),
    "cli.reason.loop": ("符号链接层数过多（可能成环）", "too many levels of symbolic links"),
    # --- files a person hands to qbank (importers.dispatch, importers.convert) -------------
    "file.is_directory": ("{path} 是一个目录，不是文件", "{path} is a directory, not a file"),
    "file.not_valid": (
        "不是有效的 {kind}（{suffix}）：{file}。请用 {app} 打开它，另存为 {target} 后再导入",
        "not a valid {kind} ({suffix}): {file}. Open it in {app}, save it as {target} and "
        "import that",
    ),
    "file.kind.word": ("Word 文件", "Word file"),
    "file.kind.excel": ("Excel 文件", "Excel file"),
    "file.kind.wps_writer": ("WPS 文字文件", "WPS Writer file"),
    "file.kind.wps_sheet": ("WPS 表格文件", "WPS Spreadsheets file"),
    "file.app.word": ("Word 或 WPS 文字", "Word or WPS Writer"),
    "file.app.excel": ("Excel 或 WPS 表格", "Excel or WPS Spreadsheets"),
    "file.legacy": (
        "{file} 是旧格式（{suffix}），qbank 不能直接读取。请用 {app} 打开它，另存为 {target} "
        "后再导入；或安装 LibreOffice，qbank 会自动转换",
        "{file} is in an old format ({suffix}) that qbank cannot read directly. Open it in "
        "{app}, save it as {target} and import that; or install LibreOffice and qbank "
        "converts it itself",
    ),
    "file.converted": (
        "已用 LibreOffice 将 {file} 转换为 {target}",
        "converted {file} to {target} with LibreOffice",
    ),
    "file.convert_failed": (
        "LibreOffice 未能将 {file} 转换为 {target}（{reason}）。请用 {app} 打开它，另存为 "
        "{target} 后再导入",
        "LibreOffice could not convert {file} to {target} ({reason}). Open it in {app}, save "
        "it as {target} and import that",
    ),
    "file.convert_timeout": (
        "LibreOffice 转换 {file} 超过 {seconds} 秒，已停止。请用 {app} 打开它，另存为 {target} "
        "后再导入（或设置 QBANK_CONVERT_TIMEOUT 延长时限）",
        "LibreOffice took more than {seconds} seconds to convert {file} and was stopped. Open "
        "it in {app}, save it as {target} and import that (or raise QBANK_CONVERT_TIMEOUT)",
    ),
    "file.convert_no_output": ("没有生成文件", "it wrote no file"),
    "file.convert_exit": ("退出状态 {status}", "exit status {status}"),
    # --- click's usage errors, as cli._errors shows them ----------------------------------
    "usage.usage": ("用法：", "Usage: "),
    "usage.try_help": ("运行 {command} {option} 查看帮助。", "Try '{command} {option}' for help."),
    "usage.missing_option": ("缺少选项 {param}", "missing option {param}"),
    "usage.missing_argument": ("缺少参数 {param}", "missing argument {param}"),
    "usage.missing_command": ("缺少子命令", "missing command"),
    "usage.choose_from": ("；可选值：{choices}", "; choose from: {choices}"),
    "usage.bad_value": ("{param} 的值无效：{reason}", "invalid value for {param}: {reason}"),
    "usage.not_integer": ("“{value}”不是有效的整数", "'{value}' is not a valid integer"),
    "usage.not_number": ("“{value}”不是有效的数字", "'{value}' is not a valid number"),
    "usage.out_of_range": ("{value} 不在 {range} 范围内", "{value} is not in the range {range}"),
    "usage.not_choice": (
        "“{value}”不是可选值之一（{choices}）",
        "'{value}' is not one of {choices}",
    ),
    "usage.no_such_option": ("没有选项 {name}", "no such option: {name}"),
    "usage.no_such_command": ("没有命令 {name}", "no such command: {name}"),
    "usage.did_you_mean": ("；是否要用 {names}？", "; did you mean {names}?"),
    "usage.option_needs_value": ("选项 {name} 需要一个值", "option {name} requires a value"),
    "usage.option_takes_no_value": ("选项 {name} 不接受值", "option {name} does not take a value"),
    "usage.extra_arguments": ("多余的参数：{args}", "unexpected extra arguments: {args}"),
    "usage.path_missing": ("{path} 不存在", "{path} does not exist"),
    "usage.path_is_file": ("{path} 是一个文件，不是目录", "{path} is a file, not a directory"),
    "samples.missing": (
        "找不到演示用的样例文件（{package}）；请重新安装 qbank，或用 --samples 指定样例目录",
        "the demo's sample files ({package}) are missing; reinstall qbank or name a samples "
        "folder with --samples",
    ),
    "cli.init_done": ("数据库已就绪：{url}", "database ready: {url}"),
    "progress.read": ("正在读取文件", "reading rows"),
    "progress.store": ("正在保存试题", "storing items"),
    "progress.tokenise": ("正在分词", "tokenising"),
    "progress.render": ("正在生成印制文件", "rendering documents"),
    "progress.check": ("正在核验数据库", "verifying the database"),
    "progress.signatures": ("正在读取最小哈希签名", "reading MinHash signatures"),
    "progress.candidates": ("正在查找候选重复对", "finding candidate pairs"),
    "progress.verify": ("正在核对候选重复对", "verifying candidate pairs"),
    "progress.solve": ("正在组卷（已完成的试卷）", "assembling papers (papers solved)"),
    "cli.items_checked": (
        "{file}：校验通过，可导入 {imported} 题（新题 {new_items}，新版本 {new_versions}），"
        "未变 {unchanged} 题（未写入数据库）",
        "{file}: valid; would import {imported} ({new_items} new items, {new_versions} new "
        "versions), {unchanged} unchanged (nothing written)",
    ),
    "cli.items_imported": (
        "{file}：导入 {imported} 题（新题 {new_items}，新版本 {new_versions}），未变 {unchanged} 题",
        "{file}: imported {imported} ({new_items} new items, {new_versions} new versions), "
        "{unchanged} unchanged",
    ),
    "cli.tree_imported": (
        "{file}：细目表 {ranges} 个鉴定范围、{points} 个鉴定点",
        "{file}: knowledge tree with {ranges} ranges and {points} points",
    ),
    "cli.practical.none": ("该题库还没有操作技能试卷", "this bank has no practical sets"),
    "cli.practical.col.code": ("试卷编号", "code"),
    "cli.practical.col.title": ("名称", "title"),
    "cli.practical.col.tasks": ("试题", "tasks"),
    "cli.practical.col.score": ("总分", "points"),
    "cli.practical.col.minutes": ("时间（分钟）", "minutes"),
    "cli.practical.col.vetoes": ("否决项", "vetoes"),
    "cli.practical.col.status": ("状态", "status"),
    "cli.practical.col.version": ("版本", "version"),
    "cli.practical.minutes": ("{minutes} 分钟", "{minutes} min"),
    "cli.practical.no_time": ("未注明", "not given"),
    "cli.practical.version": (
        "版本 {seq}：{version}（{status}，来自 {origin}）",
        "version {seq}: {version} ({status}, from {origin})",
    ),
    "cli.practical.totals": (
        "试题 {tasks} 道，总分 {score}，考核时间 {minutes}，否决项 {vetoes} 项",
        "{tasks} tasks, {score} points, time {minutes}, {vetoes} veto rows",
    ),
    "cli.practical.author": ("命题人：{author}", "author: {author}"),
    "cli.practical.venue_prep": ("考场准备通知单（{count} 项）：", "venue preparation ({count}):"),
    "cli.practical.candidate_prep": (
        "考生准备通知单（{count} 项）：",
        "candidate preparation ({count}):",
    ),
    "cli.practical.task": (
        "试题{number}：{title}（配分 {score}，考核时间 {minutes}）",
        "task {number}: {title} ({score} points, time {minutes})",
    ),
    "cli.practical.module": ("考核模块：{code}", "module: {code}"),
    "cli.practical.requirements": ("考核要求：", "requirements:"),
    "cli.practical.rubric": ("评分记录表（{count} 行）：", "rubric ({count} rows):"),
    "cli.practical.veto": ("否决", "veto"),
    "practical.not_found": (
        "该题库中没有编号为 {code} 的操作技能试卷",
        "this bank has no practical set {code}",
    ),
    "content.consequence.show": ("未显示", "nothing was shown"),
    "cli.practical_imported": (
        "{file}：操作技能试卷导入 {imported} 套，未变 {unchanged} 套",
        "{file}: practical sets imported {imported}, unchanged {unchanged}",
    ),
    "cli.by_status": ("按状态：", "by status: "),
    "cli.versions": ("历史版本：", "versions:"),
    "cli.col.occupation": ("职业编码", "occupation"),
    "cli.col.name": ("职业", "name"),
    "cli.col.level": ("等级", "level"),
    "cli.col.items": ("理论题", "items"),
    "cli.col.judgement": ("判断", "judgement"),
    "cli.col.single": ("单选", "single"),
    "cli.col.multiple": ("多选", "multiple"),
    "cli.col.practical_sets": ("操作卷", "practical sets"),
    "cli.col.knowledge_points": ("鉴定点", "points"),
    "cli.col.id": ("编号", "id"),
    "cli.col.type": ("题型", "type"),
    "cli.col.stem": ("题干", "stem"),
    "cli.col.answer": ("答案", "answer"),
    "cli.col.kp": ("鉴定点", "knowledge point"),
    "cli.col.difficulty": ("难度", "difficulty"),
    "cli.col.status": ("状态", "status"),
    "cli.col.version": ("版本", "version"),
    "type.judgement": ("判断题", "judgement"),
    "type.single": ("单选题", "single choice"),
    "type.multiple": ("多选题", "multiple choice"),
    # --- demo -----------------------------------------------------------------------------
    "demo.no_samples": (
        "在 {path} 中没有找到样例题库（*/bank.toml）",
        "no sample banks (*/bank.toml) under {path}",
    ),
    "demo.bad_manifest": (
        "样例题库清单 {path} 无法读取：{reason}",
        "cannot read the sample bank list {path}: {reason}",
    ),
    "demo.manifest_key": ("缺少 {key}", "{key} is missing"),
    "demo.verdicts": ("各项结论：", "verdicts:"),
    "demo.verdict_line": ("  {check}（{subject}）：{verdict}", "  {check} ({subject}): {verdict}"),
    "demo.failed": (
        "演示未通过：{check}（{subject}）的结论为 {verdict}，后续步骤未执行",
        "the demo failed: {check} ({subject}) is {verdict}; the later stages did not run",
    ),
    "demo.check.overlap_theory": ("题库内理论题重复率", "theory repetition within the bank"),
    "demo.check.overlap_practical": ("操作技能试卷两两重复率", "repetition between practical sets"),
    "demo.check.compliance": ("备案条件检查", "filing rules"),
    "demo.check.filing": ("备案包核验", "filing package verification"),
    "demo.check.custody": ("保管链核验", "custody log verification"),
    "demo.check.database": ("数据库核验", "database verification"),
    "demo.bank": (
        "== {name}（{occupation}）{level} 级 ==",
        "== {name} ({occupation}) level {level} ==",
    ),
    "demo.overlap": (
        "：{numerator}/{denominator} = {rate}（上限 {cap}），{verdict}",
        ": {numerator}/{denominator} = {rate} (cap {cap}), {verdict}",
    ),
    "demo.files": (
        "  报告：{json}；审题用表：{xlsx}",
        "  report: {json}; reviewer workbook: {xlsx}",
    ),
    "demo.reviewed": (
        "审核：{reviewer} 签名通过 {approved} 项，不通过 {rejected} 项",
        "review: {reviewer} signed {approved} approvals, {rejected} rejections",
    ),
    "demo.filed": (
        "备案包：{path}（Merkle 根 {root}…）；鉴定中心核验：{verdict}",
        "filing package: {path} (Merkle root {root}…); regulator's check: {verdict}",
    ),
    "demo.assembled": (
        "组卷：批次 {batch}，种子 {seed}，A/B 卷各 {items} 题、相同 {shared} 题；操作技能试卷 {practical}",
        "assembly: batch {batch}, seed {seed}, papers A/B of {items} items sharing {shared}; practical set {practical}",
    ),
    "demo.custody_signed": (
        "保管链第 {position} 号记录：{step}，{person} 签署",
        "custody entry {position}: {step}, signed by {person}",
    ),
    "demo.sealed": (
        "封存包：{bundle}（{files} 个文件，每份试卷 {copies} 份，已签名；用时 {seconds} 秒）；"
        "数据库中的 {papers} 份试卷已转为密文",
        "sealed bundle: {bundle} ({files} files, {copies} copies of each paper, signed; "
        "{seconds} s); {papers} papers in the database are now ciphertext",
    ),
    "demo.unsealed": (
        "印制点用自己的 age 身份解开封存包：{path}（{files} 个文件，签名与清单相符）",
        "the print office opened the bundle with its age identity: {path} ({files} files, "
        "signature and manifest match)",
    ),
    "demo.opened": (
        "保管链第 {position} 号记录：启封，{papers} 份试卷写回数据库",
        "custody entry {position}: opened, {papers} papers written back to the database",
    ),
    "demo.custody_verified": (
        "保管链已导出：{path}（{entries} 条记录）；不连数据库核验：{verdict}",
        "custody log exported: {path} ({entries} entries); verified without the database: "
        "{verdict}",
    ),
    "demo.db_verified": (
        "数据库核验（qbank db verify）：{checked} 项检查，{failures} 处问题",
        "database verified (qbank db verify): {checked} checks, {failures} failure(s)",
    ),
    "demo.rate": ("，用时 {seconds} 秒（{rate} 题/秒）", " in {seconds} s ({rate} items/s)"),
    "demo.done": (
        "演示完成：数据库 {db}，共用时 {seconds} 秒",
        "demo done: database {db}, {seconds} s in all",
    ),
    # --- policy (qbank.policy) -----------------------------------------------------------
    "policy.unreadable": (
        "无法读取政策文件 {file}：{reason}",
        "cannot read policy file {file}: {reason}",
    ),
    "policy.missing": (
        "政策文件 {file} 缺少 {key}（需要 value 和 source）",
        "policy file {file} lacks {key} (needs value and source)",
    ),
    "policy.bad_value": (
        "政策文件 {file} 中 {key} 的取值 {value} 不合理",
        "policy file {file}: {key} = {value} is not a valid value",
    ),
    # --- overlap (qbank.overlap) ---------------------------------------------------------
    "overlap.reason_required": (
        "裁定为不同试题时必须写明理由（--reason）",
        "a reason is required to mark two items distinct (--reason)",
    ),
    "overlap.item_not_in_bank": ("本题库中没有编号为 {id} 的试题", "no item {id} in this bank"),
    "overlap.bad_report": (
        "{file} 不是 qbank 重复率报告（{reason}）",
        "{file} is not a qbank overlap report ({reason})",
    ),
    "overlap.bad_report_field": (
        "重复率报告 {file} 有误：{field} {problem}",
        "overlap report {file} is malformed: {field} {problem}",
    ),
    "overlap.expect.present": ("缺失", "is missing"),
    "overlap.expect.absent": ("不应出现在此报告中", "does not belong in this report"),
    "overlap.expect.object": ("应为 JSON 对象", "should be a JSON object"),
    "overlap.expect.list": ("应为列表", "should be a list"),
    "overlap.expect.text": ("应为文字", "should be text"),
    "overlap.expect.count": ("应为非负整数", "should be a whole number ≥ 0"),
    "overlap.expect.number": ("应为非负数", "should be a number ≥ 0"),
    "overlap.expect.share": ("应为 0 到 1 之间的数", "should be a number between 0 and 1"),
    "overlap.expect.bool": ("应为 true 或 false", "should be true or false"),
    "overlap.expect.id": ("应为试题编号（整数或文字）", "should be an id (a whole number or text)"),
    "overlap.expect.format": (
        "应为 \"qbank-overlap-report/1\"",
        "should be \"qbank-overlap-report/1\"",
    ),
    "overlap.expect.kind": (
        "应为 theory、practical、practical-levels 或 reference",
        "should be theory, practical, practical-levels or reference",
    ),
    "overlap.expect.verdict": ("应为 pass 或 fail", "should be pass or fail"),
    "overlap.expect.method": ("应为 exact 或 minhash-lsh", "should be exact or minhash-lsh"),
    "overlap.expect.reference_kind": ("应为 bank 或 file", "should be bank or file"),
    "overlap.item_deleted": (
        "试题 {id} 已删除，不能裁定",
        "item {id} has been deleted; it cannot be adjudicated",
    ),
    "overlap.verify_needs_source": (
        "核验需要数据库或试题文件（--items）",
        "verification needs the database or an items file (--items)",
    ),
    "overlap.verify_unsupported": (
        "无法核验范围为 {kind} 的报告",
        "cannot verify a report of scope {kind}",
    ),
    "overlap.scope.theory": ("题库内理论题重复率", "repetition within the bank's theory items"),
    "overlap.scope.practical": ("操作技能试卷两两重复率", "repetition between practical sets"),
    "overlap.scope.practical-levels": (
        "与其他等级操作技能试题的重复",
        "practical tasks shared with other levels",
    ),
    "overlap.scope.reference": ("与参照题库的重复", "overlap with the reference"),
    "overlap.method_exact": ("全部两两精确比较", "exact, all pairs"),
    "overlap.method_lsh": (
        "MinHash/LSH 候选（{bands} 段 × {rows} 行）后精确核对",
        "MinHash/LSH candidates ({bands} bands × {rows} rows), verified exactly",
    ),
    "overlap.summary": (
        "相似度 ≥ {threshold} 的题对 {pairs} 对，重复题组 {clusters} 组；重复率 {numerator}/{denominator} = {rate}（上限 {cap}）",
        "{pairs} pairs at similarity ≥ {threshold}, {clusters} clusters; rate {numerator}/{denominator} = {rate} (cap {cap})",
    ),
    "overlap.more_pairs": ("  ……另有 {count} 对，见报告", "  … {count} more pairs in the report"),
    "overlap.verdict_pass": ("结论：通过", "verdict: pass"),
    "overlap.verdict_fail": ("结论：不通过", "verdict: fail"),
    "overlap.written": ("报告已写入 {path}", "report written to {path}"),
    "overlap.xlsx_written": ("审题用 Excel 已写入 {path}", "reviewer workbook written to {path}"),
    "overlap.reference_required": (
        "请给出 --reference-occupation 和 --reference-level，或 --reference-file（二选一）",
        "give either --reference-occupation and --reference-level, or --reference-file",
    ),
    "overlap.match": ("一致", "matches"),
    "overlap.mismatch": ("不一致", "MISMATCH"),
    "overlap.claimed": ("报告：", "claimed:"),
    "overlap.recomputed": ("重算：", "recomputed:"),
    "overlap.verified": (
        "核验通过：报告中的每一项数字均可重新得出",
        "verified: every figure re-derives",
    ),
    "overlap.not_verified": (
        "核验未通过：报告与重新计算的结果不一致",
        "NOT verified: the report differs from the recomputation",
    ),
    "overlap.marked": (
        "已记录：试题 {a} 与 {b} 由 {reviewer} 裁定为不同试题",
        "recorded: items {a} and {b} judged distinct by {reviewer}",
    ),
    # --- exporters.overlap_xlsx -------------------------------------------------------------
    "overlap_xlsx.title": ("试题重复率检查报告", "Overlap check report"),
    "overlap_xlsx.sheet.summary": ("汇总", "Summary"),
    "overlap_xlsx.sheet.clusters": ("重复题组", "Clusters"),
    "overlap_xlsx.sheet.pairs": ("相似题对", "Similar pairs"),
    "overlap_xlsx.sheet.adjudicated": ("已裁定", "Adjudicated"),
    "overlap_xlsx.sheet.set_pairs": ("试卷两两", "Set pairs"),
    "overlap_xlsx.kind.theory": ("题库内理论题", "theory items within the bank"),
    "overlap_xlsx.kind.practical": ("操作技能试卷两两之间", "practical sets, pairwise"),
    "overlap_xlsx.kind.practical-levels": ("跨等级操作技能试题", "practical tasks across levels"),
    "overlap_xlsx.kind.reference": ("与参照题库比较", "against a reference"),
    "overlap_xlsx.rule.theory": (
        "重复题组中除每组第一题外的试题数 ÷ 题库试题总数",
        "items in duplicate clusters beyond the first of each ÷ all items of the bank",
    ),
    "overlap_xlsx.rule.practical": (
        "每两套试卷之间，一套中与另一套重复的试题分值 ÷ 该套总分，两个方向都算，取最大值",
        "for each pair of sets, score of one set's tasks repeated in the other ÷ its total score, both ways; the largest counts",
    ),
    "overlap_xlsx.rule.practical-levels": (
        "与其他等级试题重复的本题库试题分值 ÷ 本题库试题总分",
        "score of this bank's tasks repeated at another level ÷ total score of its tasks",
    ),
    "overlap_xlsx.rule.reference": (
        "与参照试题重复的试题数 ÷ 本题库试题总数",
        "items with a near-duplicate in the reference ÷ all items of the bank",
    ),
    "overlap_xlsx.col.entry": ("项目", "Entry"),
    "overlap_xlsx.col.value": ("内容", "Value"),
    "overlap_xlsx.col.source": ("依据 / 说明", "Source / note"),
    "overlap_xlsx.scope": ("检查范围", "Scope"),
    "overlap_xlsx.occupation": ("职业（工种）编码", "Occupation code"),
    "overlap_xlsx.level": ("等级", "Level"),
    "overlap_xlsx.reference": ("参照", "Reference"),
    "overlap_xlsx.reference_bank": (
        "题库 {occupation} {level} 级",
        "bank {occupation}, level {level}",
    ),
    "overlap_xlsx.reference_file": ("文件 {file}", "file {file}"),
    "overlap_xlsx.other_levels": ("比较的其他等级", "Other levels compared"),
    "overlap_xlsx.policy": ("政策", "Policy profile"),
    "overlap_xlsx.policy_id": ("政策标识（SHA-256）", "Policy id (SHA-256)"),
    "overlap_xlsx.cap": ("重复率上限", "Cap"),
    "overlap_xlsx.threshold": (
        "相似度阈值（词集 Jaccard）",
        "Similarity threshold (token-set Jaccard)",
    ),
    "overlap_xlsx.tokenizer": ("分词器", "Tokenizer"),
    "overlap_xlsx.jieba": ("jieba 版本", "jieba version"),
    "overlap_xlsx.dictionary": ("词典 SHA-256", "Dictionary SHA-256"),
    "overlap_xlsx.stopwords": ("停用词表 SHA-256", "Stop-word list SHA-256"),
    "overlap_xlsx.minhash": ("MinHash 参数", "MinHash parameters"),
    "overlap_xlsx.minhash_value": (
        "置换数 {num_perm}，种子 {seed}，方案 {scheme}",
        "num_perm {num_perm}, seed {seed}, scheme {scheme}",
    ),
    "overlap_xlsx.method": ("比较方法", "Method"),
    "overlap_xlsx.method_exact": ("全部两两精确比较", "exact, all pairs"),
    "overlap_xlsx.method_lsh": (
        "MinHash/LSH 取候选（{bands} 段 × {rows} 行，候选 {candidates} 对）后逐对精确核对",
        "MinHash/LSH candidates ({bands} bands × {rows} rows, {candidates} candidates), each verified exactly",
    ),
    "overlap_xlsx.snapshot": ("比较对象快照", "Snapshot compared"),
    "overlap_xlsx.reference_snapshot": ("参照快照", "Reference snapshot"),
    "overlap_xlsx.snapshot_value": (
        "{count} 个版本，SHA-256 {sha256}",
        "{count} versions, SHA-256 {sha256}",
    ),
    "overlap_xlsx.pair_count": ("相似题对数", "Similar pairs"),
    "overlap_xlsx.cluster_count": ("重复题组数", "Duplicate clusters"),
    "overlap_xlsx.adjudicated_count": ("裁定为不同试题的题对数", "Pairs judged distinct"),
    "overlap_xlsx.counted": ("计入重复率", "counted in the rate"),
    "overlap_xlsx.not_counted": ("不计入重复率", "not counted in the rate"),
    "overlap_xlsx.rule": ("计算方法", "How the rate is computed"),
    "overlap_xlsx.numerator": ("分子", "Numerator"),
    "overlap_xlsx.denominator": ("分母", "Denominator"),
    "overlap_xlsx.rate": ("重复率", "Rate"),
    "overlap_xlsx.verdict": ("结论", "Verdict"),
    "overlap_xlsx.pass": ("通过", "pass"),
    "overlap_xlsx.fail": ("不通过", "fail"),
    "overlap_xlsx.generated_at": ("生成时间", "Generated at"),
    "overlap_xlsx.generated_by": ("生成人", "Generated by"),
    "overlap_xlsx.verify": ("如何核验", "How to verify"),
    "overlap_xlsx.verify_text": (
        "运行 qbank overlap verify 报告.json（报告.json 为本次检查输出的 JSON 报告；理论题无数据库时可加 --items 题库.xlsx）。程序按报告记载的试题版本重新计算每一项数字并逐项核对，全部一致才算核验通过。",
        "Run qbank overlap verify report.json (the JSON report of this check; for theory items without the database add --items bank.xlsx). It recomputes every figure from the item versions the report names and compares them one by one.",
    ),
    "overlap_xlsx.type.judgement": ("判断题", "True/false"),
    "overlap_xlsx.type.single": ("单选题", "Single choice"),
    "overlap_xlsx.type.multiple": ("多选题", "Multiple choice"),
    "overlap_xlsx.type.task": ("操作技能试题", "Practical task"),
    "overlap_xlsx.missing": ("（未找到该题内容）", "(text not available)"),
    "overlap_xlsx.col.of": ("{side}·{field}", "{side}: {field}"),
    "overlap_xlsx.side.bank": ("本题库", "Bank"),
    "overlap_xlsx.side.reference": ("参照", "Reference"),
    "overlap_xlsx.side.other_level": ("其他等级", "Other level"),
    "overlap_xlsx.col.cluster": ("题组", "Cluster"),
    "overlap_xlsx.col.id": ("试题 ID", "Item id"),
    "overlap_xlsx.col.type": ("题型", "Type"),
    "overlap_xlsx.col.stem": ("题干", "Stem"),
    "overlap_xlsx.col.options": ("选项", "Options"),
    "overlap_xlsx.col.answer": ("答案", "Answer"),
    "overlap_xlsx.col.knowledge_point": ("鉴定点", "Knowledge point"),
    "overlap_xlsx.col.explanation": ("解析", "Explanation"),
    "overlap_xlsx.col.similarity_first": ("与本组第一题的相似度", "Similarity to the first item"),
    "overlap_xlsx.via": ("与 {id} 相似 {similarity}", "{similarity} with {id}"),
    "overlap_xlsx.col.advice": ("处理建议", "Recommendation"),
    "overlap_xlsx.keep": ("保留", "keep"),
    "overlap_xlsx.revise": ("建议修改或删除", "revise or delete"),
    "overlap_xlsx.col.similarity": ("相似度", "Similarity"),
    "overlap_xlsx.col.shared": ("共有词数", "Shared tokens"),
    "overlap_xlsx.col.union": ("合计词数（并集）", "Union tokens"),
    "overlap_xlsx.col.shared_union": ("共有 / 并集词数", "Shared / union"),
    "overlap_xlsx.col.set": ("试卷", "Set"),
    "overlap_xlsx.col.task": ("试题", "Task"),
    "overlap_xlsx.col.title": ("标题", "Title"),
    "overlap_xlsx.col.content": ("内容", "Content"),
    "overlap_xlsx.col.set_a": ("试卷 A", "Set A"),
    "overlap_xlsx.col.set_b": ("试卷 B", "Set B"),
    "overlap_xlsx.col.share_a": ("A 中与 B 重复的分值占比", "Share of A repeated in B"),
    "overlap_xlsx.col.share_b": ("B 中与 A 重复的分值占比", "Share of B repeated in A"),
    "overlap_xlsx.col.numerator_a": ("A 重复分值", "A repeated score"),
    "overlap_xlsx.col.denominator_a": ("A 总分", "A total score"),
    "overlap_xlsx.col.numerator_b": ("B 重复分值", "B repeated score"),
    "overlap_xlsx.col.denominator_b": ("B 总分", "B total score"),
    "overlap_xlsx.col.reviewer": ("裁定人", "Reviewer"),
    "overlap_xlsx.col.reason": ("理由", "Reason"),
    "overlap_xlsx.adjudicated_excluded": (
        "以下题对经审题专家裁定为不同试题，不计入重复率。",
        "These pairs were judged distinct by a reviewer and are not counted in the rate.",
    ),
    "overlap_xlsx.adjudicated_counted": (
        "以下题对经审题专家裁定为不同试题，但仍计入重复率。",
        "These pairs were judged distinct by a reviewer but are still counted in the rate.",
    ),
    # --- keys (qbank.keys) ---------------------------------------------------------------
    "keys.exists": (
        "已有名为“{name}”的密钥，未作任何改动",
        "a key named '{name}' already exists; nothing was changed",
    ),
    "keys.not_found": (
        "密钥库 {keystore} 中没有名为“{name}”的密钥",
        "no key named '{name}' in keystore {keystore}",
    ),
    "keys.wrong_passphrase": (
        "口令不正确，无法打开密钥“{name}”（也可能是密钥文件已损坏）",
        "wrong passphrase for key '{name}' (or its key file is damaged)",
    ),
    "keys.empty_passphrase": ("口令不能为空", "the passphrase must not be empty"),
    "keys.confirm_passphrase": ("再次输入口令", "Repeat the passphrase"),
    "keys.bad_name": (
        "密钥名称“{name}”不可用：不能为空，不能含换行等控制字符，最多 {max} 个字",
        "key name '{name}' is not usable: it must be non-empty, one line without control "
        "characters, at most {max} characters",
    ),
    "keys.bad_keystore": ("密钥库 {path} 不是目录", "keystore {path} is not a directory"),
    "keys.corrupt": (
        "密钥文件 {path} 已损坏或被改动，请从备份恢复",
        "key file {path} is damaged or was altered; restore it from a backup",
    ),
    "keys.bad_public": (
        "无法识别的公钥：应为一行“qbank-ed25519 <公钥> <名称>”",
        "unrecognised public key: expected one line 'qbank-ed25519 <key> <name>'",
    ),
    # --- people (qbank.people) ----------------------------------------------------------
    "people.bad_role": (
        "未知角色 {role}，可选：{roles}",
        "unknown role {role}; choose from: {roles}",
    ),
    "people.bad_name": ("姓名不能为空", "a name is required"),
    "people.not_found": (
        "没有登记人员“{name}”（先用 qbank person add 登记）",
        "no person named '{name}' (register with qbank person add)",
    ),
    "people.lacks_role": ("{name} 没有“{role}”角色", "{name} does not hold the role {role}"),
    "people.no_key": (
        "{name} 还没有签名密钥（先用 qbank key new {name} 生成）",
        "{name} has no signing key yet (create one with qbank key new {name})",
    ),
    "people.key_mismatch": (
        "密钥库中 {name} 的密钥与数据库登记的公钥不一致",
        "the keystore key of {name} does not match the public key on record",
    ),
    # --- review (qbank.review) ----------------------------------------------------------
    "review.self_review": (
        "回避原则：{reviewer} 不能审核自己命题或导入的试题（{count} 项：{items}），本次未记录任何审核结论",
        "avoidance rule: {reviewer} may not review items they wrote or imported ({count}: {items}); nothing was recorded",
    ),
    "review.bad_decision": (
        "审核结论“{value}”应为 通过 或 不通过",
        "decision '{value}' must be approve or reject",
    ),
    "review.comment_required": ("不通过时必须填写审核意见", "a rejection needs a comment"),
    "review.unknown_subject": ("本题库中没有 {subject}", "{subject} is not in this bank"),
    "review.outdated": (
        "{subject} 在导出审核表后已有新版本，请重新导出审核表",
        "{subject} has a newer version than the one reviewed; export the sheet again",
    ),
    "review.rejected": (
        "共 {count} 处问题，未记录任何审核结论",
        "{count} problem(s); no decision was recorded",
    ),
    "review.subject_item": ("试题 {id}", "item {id}"),
    "review.subject_set": ("操作技能试卷 {code}", "practical set {code}"),
    "review.sheet_title": (
        "{name}（{code}）{level} 理论试题审核表",
        "{name} ({code}) level {level}: item review sheet",
    ),
    "review.exported": ("已导出 {count} 道试题到 {path}", "{count} items written to {path}"),
    "review.nothing": ("没有需要审核的试题", "nothing to review"),
    "review.done": (
        "已记录：通过 {approved} 项，不通过 {rejected} 项（均已签名）",
        "recorded: {approved} approved, {rejected} rejected (all signed)",
    ),
    "people.added": ("已登记：{name}（{roles}）", "registered: {name} ({roles})"),
    "people.password_set": ("已设置 {name} 的登录密码", "password set for {name}"),
    "people.password_prompt": ("{name} 的登录密码", "password for {name}"),
    "people.granted": (
        "{name} 现在可以查看题库 {occupation} {level}",
        "{name} may now see bank {occupation} level {level}",
    ),
    "people.already_granted": (
        "{name} 已经可以查看题库 {occupation} {level}",
        "{name} may already see bank {occupation} level {level}",
    ),
    "people.revoked": (
        "已收回 {name} 查看题库 {occupation} {level} 的权限",
        "{name} may no longer see bank {occupation} level {level}",
    ),
    "people.not_granted": (
        "{name} 本来就没有查看题库 {occupation} {level} 的权限",
        "{name} had no access to bank {occupation} level {level}",
    ),
    "password.length": (
        "密码长度须在 {min} 到 {max} 个字符之间",
        "a password must have {min} to {max} characters",
    ),
    "access.bank_hidden": (
        "{name} 没有查看此题库的权限（请评价机构用 qbank person grant 授权）",
        "{name} may not see this bank (the institution grants it with qbank person grant)",
    ),
    "serve.url": (
        "qbank 工作台已启动。请在本机浏览器中打开（链接只能使用一次）：\n{url}",
        "qbank workspace running. Open this link in a browser on this machine (it works once):\n{url}",
    ),
    "serve.url_login": (
        "qbank 工作台已启动：{url}\n各人用自己的姓名和密码登录（qbank person password 设置）",
        "qbank workspace running at {url}\neach person signs in with their name and password "
        "(set with qbank person password)",
    ),
    "serve.as_unknown": ("没有登记人员 {name}", "no person named {name} is registered"),
    "serve.needs_tls": (
        "在本机以外的地址（{host}）提供服务必须同时给出 --cert 和 --key（TLS）",
        "serving beyond loopback ({host}) needs --cert and --key (TLS)",
    ),
    "serve.as_loopback_only": (
        "--as 只能用于本机地址；在 {host} 上每个人须用密码登录",
        "--as works on loopback only; on {host} each person signs in with a password",
    ),
    "serve.no_passwords": (
        "注意：还没有任何人设置登录密码（qbank person password 姓名），无人能登录",
        "warning: nobody has a password yet (qbank person password NAME); nobody can sign in",
    ),
    "serve.stopped": ("工作台已停止", "workspace stopped"),
    "people.col.name": ("姓名", "name"),
    "people.col.roles": ("角色", "roles"),
    "people.col.fingerprint": ("公钥指纹", "key fingerprint"),
    "people.col.created": ("生成时间", "created"),
    "keys.prompt_new": ("为 {name} 设置密钥口令", "passphrase for {name}'s new key"),
    "keys.prompt_use": ("{name} 的密钥口令", "passphrase of {name}'s key"),
    "keys.created": (
        "已为 {name} 生成签名密钥，公钥指纹 {fingerprint}；私钥已加密保存在 {path}",
        "signing key created for {name}, fingerprint {fingerprint}; private key encrypted in {path}",
    ),
    "review.what": (
        "请指定 --item、--set 或 --all",
        "say what to review: --item, --set or --all",
    ),
    "review.bank_required": (
        "请给出 --occupation 和 --level",
        "give --occupation and --level",
    ),
    "review.status_items": (
        "理论试题：待审核 {draft}，已通过 {approved}，未通过 {rejected}",
        "theory items: {draft} pending, {approved} approved, {rejected} rejected",
    ),
    "review.status_sets": (
        "操作技能试卷：待审核 {draft}，已通过 {approved}，未通过 {rejected}",
        "practical sets: {draft} pending, {approved} approved, {rejected} rejected",
    ),
    # --- review sheets (importers.review_xlsx) ------------------------------------------
    "review_xlsx.header_not_found": (
        "找不到审核表的表头：前 {rows} 行中应有 {required} 列",
        "no review-sheet header found: the first {rows} rows need the columns {required}",
    ),
    "review_xlsx.bad_decision": (
        "无法识别的审核结论“{value}”，应为 通过 或 不通过",
        "decision '{value}' not understood; expected 通过 (approve) or 不通过 (reject)",
    ),
    "review_xlsx.comment_required": (
        "审核结论为不通过时必须填写审核意见",
        "a rejection (不通过) needs a comment in 审核意见",
    ),
    "review_xlsx.comment_without_decision": (
        "填写了审核意见但没有审核结论（应为 通过 或 不通过）",
        "a comment is given but no decision (通过 or 不通过)",
    ),
    "review_xlsx.bad_id": (
        "试题ID应为正整数，实际为“{value}”（请勿修改试题ID列）",
        "the item id must be a positive whole number, got '{value}' (do not edit the id column)",
    ),
    "review_xlsx.bad_version": (
        "版本应为 64 位十六进制字符（SHA-256），实际为“{value}”（请勿修改版本列）",
        "the version must be 64 hexadecimal characters (SHA-256), got '{value}' "
        "(do not edit the version column)",
    ),
    "review_xlsx.duplicate_id": (
        "试题ID {id} 重复（第一次出现在{first}）",
        "item id {id} appears twice (first at {first})",
    ),
    # --- suggested knowledge points (qbank.point_coding, importers.points_xlsx) ----------
    "points.no_tree": (
        "题库 {occupation} {level} 级还没有鉴定要素细目表，无法建议鉴定点（先用 qbank import tree 导入细目表）",
        "bank {occupation} level {level} has no knowledge-point tree, so no points can be "
        "suggested (import one with qbank import tree)",
    ),
    "points.no_items": (
        "题库 {occupation} {level} 级中没有试题",
        "bank {occupation} level {level} has no items",
    ),
    "points.sheet_title": (
        "{name}（{code}）{level} 鉴定点建议",
        "{name} ({code}) level {level}: suggested knowledge points",
    ),
    "points.suggested": (
        "已写出 {path}：{items} 道试题，其中未编码 {uncoded} 道、存疑 {flagged} 道（各附 3 条建议）；"
        "模型依据 {coded} 道已编码试题和细目表的 {points} 个鉴定点",
        "wrote {path}: {items} items, {uncoded} uncoded and {flagged} flagged (3 suggestions "
        "each); learnt from {coded} coded items and the tree's {points} points",
    ),
    "points.imported": (
        "{file}：采纳 {accepted} 行，生成新版本 {new_versions} 道，已是所选鉴定点 {unchanged} 道；"
        "未标记采纳 {unmarked} 行（未改动）",
        "{file}: {accepted} rows accepted, {new_versions} new versions, {unchanged} already had "
        "the chosen point; {unmarked} rows not marked (left unchanged)",
    ),
    "points.checked": (
        "{file}（试运行，未写入）：采纳 {accepted} 行，将生成新版本 {new_versions} 道，已是所选鉴定点 "
        "{unchanged} 道；未标记采纳 {unmarked} 行",
        "{file} (dry run, nothing written): {accepted} rows accepted, {new_versions} new "
        "versions would be made, {unchanged} already have the chosen point; {unmarked} rows "
        "not marked",
    ),
    "points.unknown_item": (
        "本题库中没有试题编号为 {guid} 的试题（请勿修改试题编号列）",
        "no item with GUID {guid} in this bank (do not edit the 试题编号 column)",
    ),
    "points.outdated": (
        "试题 {guid} 在生成建议表后已有新版本（当前第 {seq} 版），本行不能采纳；请重新生成建议表",
        "item {guid} has changed since the sheet was made (now version {seq}); this row "
        "cannot be accepted: make the sheet again",
    ),
    "points.unknown_code": (
        "鉴定点 {code} 不在题库当前的细目表中",
        "knowledge point {code} is not in the bank's current tree",
    ),
    "points_xlsx.header_not_found": (
        "找不到鉴定点建议表的表头：前 {rows} 行中应有 {required} 列",
        "no suggestion-sheet header found: the first {rows} rows need the columns {required}",
    ),
    "points_xlsx.bank_missing": (
        "“说明”表中缺少职业编码或等级，无法确定题库（请使用 qbank item suggest-points 生成的表）",
        "the 说明 sheet names no occupation code or level, so the bank is unknown (use a sheet "
        "made by qbank item suggest-points)",
    ),
    "points_xlsx.bad_choice": (
        "无法识别的采纳“{value}”，应为 1、2、3 或鉴定点代码（如 B-A-C-012）",
        "采纳 '{value}' not understood; expected 1, 2, 3 or a point code (e.g. B-A-C-012)",
    ),
    "points_xlsx.empty_suggestion": (
        "采纳了建议{number}，但本行的建议{number}是空的或不是鉴定点代码",
        "suggestion {number} is accepted but this row's suggestion {number} is empty or not "
        "a point code",
    ),
    "points_xlsx.bad_version": (
        "版本应为 64 位十六进制字符（SHA-256），实际为“{value}”（请勿修改版本列）",
        "the version must be 64 hexadecimal characters (SHA-256), got '{value}' "
        "(do not edit the version column)",
    ),
    "points_xlsx.duplicate_guid": (
        "试题编号 {guid} 重复（第一次出现在{first}）",
        "GUID {guid} appears twice (first at {first})",
    ),
    # --- compliance (qbank.compliance) --------------------------------------------------
    "rule.min_theory_items": ("已审核通过的理论试题题量", "approved theory items"),
    "rule.min_practical_sets": ("已审核通过的操作技能试卷套数", "approved practical sets"),
    "rule.theory_repetition": ("理论试题内容重复率", "theory repetition rate"),
    "rule.practical_pair_repetition": (
        "操作技能试卷两两重复率（最大）",
        "practical sets pairwise repetition (max)",
    ),
    "rule.no_unapproved_content": ("未通过审核的试题与试卷", "items and sets not approved"),
    "rule.knowledge_tree": ("鉴定要素细目表比重", "knowledge tree weights"),
    "rule.x_points_covered": ("未被试题覆盖的 X 类鉴定点", "X points without an approved item"),
    "rule.ok": ("符合", "ok"),
    "rule.not_ok": ("不符合", "FAIL"),
    "rule.col.rule": ("规则", "rule"),
    "rule.col.ok": ("结果", "result"),
    "rule.col.value": ("实际", "value"),
    "rule.col.limit": ("要求", "limit"),
    "rule.col.source": ("依据", "source"),
    "rule.compliant": ("结论：符合备案条件", "verdict: ready to file"),
    "rule.not_compliant": ("结论：不符合备案条件", "verdict: not ready to file"),
    # --- filing (qbank.filing) ----------------------------------------------------------
    "filing.not_compliant": (
        "题库不符合备案条件（{rules}），未备案；用 qbank bank check 查看详情",
        "the bank is not ready to file ({rules}); nothing was filed; see qbank bank check",
    ),
    "filing.reviewer_required": (
        "备案需要至少一位审核通过本题库试题的审题专家签名（--reviewer）",
        "filing needs the signature of at least one approving reviewer (--reviewer)",
    ),
    "filing.not_an_approver": (
        "{name} 没有审核通过本题库的任何试题，不能作为备案签名的审题专家",
        "{name} approved nothing in this bank and cannot sign its filing",
    ),
    "filing.written": (
        "备案包已写入 {path}（Merkle 根 {root}）",
        "filing package written to {path} (Merkle root {root})",
    ),
    "filing.verified": (
        "核验通过（VALID）：备案包完整、签名有效且签名人公钥均经固定、数字均可重新得出",
        "verified (VALID): package intact, signatures valid by pinned keys, figures re-derive",
    ),
    "filing.not_verified": (
        "核验未通过（INVALID）：见上面标为“不一致”的项目",
        "NOT verified (INVALID): see the checks marked MISMATCH",
    ),
    "filing.out_exists": ("{path} 已存在且不为空", "{path} exists and is not empty"),
    "filing.skipped": ("未核验", "SKIPPED"),
    "filing.tree_mismatch": (
        "鉴定要素细目表的内容不再是备案的版本 {version}，备案包未写出",
        "the knowledge tree no longer hashes to its filed version {version}; no package written",
    ),
    "filing.unpinned": (
        "未固定公钥的签名人：{name}（{role}），公钥 SHA-256 指纹 {fingerprint}",
        "signer without a pinned key: {name} ({role}), key SHA-256 fingerprint {fingerprint}",
    ),
    "filing.key_mismatch": (
        "签名人 {name}（{role}）的公钥（指纹 {fingerprint}）不是固定的公钥（指纹 {trusted}）",
        "signer {name} ({role}) used key {fingerprint}, not the pinned key {trusted}",
    ),
    "filing.untrusted": (
        "核验未通过（INVALID）：上列签名人的公钥未经固定。请与评价机构另行核对完整指纹，再用"
        " --trusted-key <.pub> 指定（或 --db 本方数据库）；任何人都能用自己的密钥签出一个自洽的备案包",
        "NOT verified (INVALID): the signers above have no pinned key. Compare the full"
        " fingerprints with the institution out of band, then pass --trusted-key <.pub> (or"
        " --db with your own database); anyone can sign a self-consistent package with keys of"
        " their own",
    ),
    "filing.not_a_package": (
        "{path} 不是备案包（应为目录或其 zip 压缩包）",
        "{path} is not a filing package (expected its directory or a zip of it)",
    ),
    "custody.not_a_file": (
        "保管链导出中的 {path} 不是普通文件（符号链接或设备文件），未读取",
        "{path} in the custody export is not a regular file (a symbolic link or device); not read",
    ),
    "filing.not_a_file": (
        "备案包中的 {path} 不是普通文件（符号链接或设备文件），未读取",
        "{path} in the package is not a regular file (a symbolic link or device); not read",
    ),
    "filing.bad_zip": (
        "{path} 不是完好的 zip 压缩包（文件名不安全、重复或数据损坏），未读取",
        "{path} is not a sound zip (unsafe or repeated names, or damaged data); not read",
    ),
    # --- database verification (qbank.integrity, cli/db.py: `qbank db verify`) -----------
    "integrity.check.people": ("人员公钥", "people's keys"),
    "integrity.check.item_versions": ("试题版本", "item versions"),
    "integrity.check.practical_set_versions": ("操作技能试卷版本", "practical set versions"),
    "integrity.check.tree_versions": ("鉴定要素细目表版本", "knowledge tree versions"),
    "integrity.check.overlap_reports": ("查重报告", "overlap reports"),
    "integrity.check.reviews": ("审核签名", "reviews"),
    "integrity.check.adjudications": ("查重裁定签名", "adjudications"),
    "integrity.check.filings": ("备案", "filings"),
    "integrity.check.audit_events": ("审计日志哈希链", "audit trail hash chain"),
    "integrity.check.custody": ("保管链", "custody logs"),
    "integrity.check.sealed_bundles": ("封存包签名", "sealed bundles"),
    "integrity.check.papers": ("试卷（封存承诺与组成）", "papers (commitments, compositions)"),
    "integrity.header.check": ("核验项", "check"),
    "integrity.header.checked": ("记录数", "records"),
    "integrity.header.failures": ("问题", "failures"),
    "integrity.ok": (
        "数据库核验通过：{checks} 项核验共 {records} 条记录，全部成立",
        "database verified: {checks} checks over {records} records, everything holds",
    ),
    "integrity.failed": (
        "数据库核验未通过：发现 {count} 处问题",
        "database verification FAILED: {count} problems found",
    ),
    "integrity.more": (
        "……另有 {count} 处问题未列出（--json 列出全部）",
        "… and {count} more (--json lists them all)",
    ),
    "integrity.no_database": (
        "{path} 处没有数据库（核验不会新建数据库）",
        "no database at {path} (verifying creates none)",
    ),
    "integrity.schema_not_current": (
        "数据库结构版本为 {current}，本版 qbank 读取的是 {head}；核验不修改数据库，请先运行 qbank init 升级",
        "the database schema is at {current}, this qbank reads {head}; verifying changes "
        "nothing, so run `qbank init` to upgrade first",
    ),
    "integrity.unopened": (
        "注意：给出的 age 身份打不开这些已封存试卷，未能解密核对：{papers}",
        "note: the given age identities open none of these sealed papers, not decrypted: {papers}",
    ),
    "integrity.code.paper_commitment_mismatch": (
        "解密后的试卷组成与其承诺值不符：组成或承诺值被改动",
        "the decrypted composition does not match the paper's commitment: one of them was edited",
    ),
    "integrity.code.check_aborted": (
        "核验项“{table}”遇到不符合 qbank 格式的数据（{error}），未能做完：数据库被改动过",
        "check '{table}' met data in no form qbank writes ({error}) and could not finish: the "
        "database was edited",
    ),
    "integrity.code.person_key_invalid": (
        "登记的公钥不是 32 字节的 Ed25519 公钥，或与登记的指纹不符",
        "the registered public key is not a 32-byte Ed25519 key or does not match its fingerprint",
    ),
    "integrity.code.person_key_unaudited": (
        "登记的公钥（{fingerprint}）不是审计日志最后记录给此人的公钥：公钥被绕过 qbank 替换",
        "the registered key ({fingerprint}) is not the one the audit trail last records for "
        "this person: it was replaced behind qbank's back",
    ),
    "integrity.code.version_hash_mismatch": (
        "内容（canonical）的 SHA-256 为 {actual}，不是其版本号 {version}：内容被改动",
        "its content (canonical) hashes to {actual}, not to its version id {version}: the "
        "content was edited",
    ),
    "integrity.code.version_not_canonical": (
        "内容（canonical）不是规范 JSON 形式的试题内容",
        "its content (canonical) is not canonical JSON of a version's content",
    ),
    "integrity.code.version_column_drift": (
        "“{column}”列与其已哈希的内容不符：该列被改动",
        "column '{column}' differs from the hashed content: the column was edited",
    ),
    "integrity.code.current_version_foreign": (
        "当前版本 {version_id} 属于另一道试题或另一套试卷",
        "its current version {version_id} belongs to another item or set",
    ),
    "integrity.code.tree_hash_mismatch": (
        "鉴定点重新计算的哈希不是其版本号 {version}",
        "its knowledge nodes do not re-hash to its version id {version}",
    ),
    "integrity.code.report_hash_mismatch": (
        "报告正文的 SHA-256 不是其记录的 {version}",
        "the report body does not hash to its recorded {version}",
    ),
    "integrity.code.report_column_drift": (
        "“{column}”列与报告正文不符",
        "column '{column}' differs from the report body",
    ),
    "integrity.code.payload_malformed": (
        "签名内容不是规范 JSON",
        "the signed payload is not canonical JSON",
    ),
    "integrity.code.payload_mismatch": (
        "签名内容中的“{field}”与该行记录不符",
        "the signed payload's '{field}' differs from the row",
    ),
    "integrity.code.review_signature_invalid": (
        "审核签名未通过 {name} 登记公钥（{fingerprint}）的验证",
        "the review signature does not verify under {name}'s registered key ({fingerprint})",
    ),
    "integrity.code.review_version_mismatch": (
        "签名的审核针对版本 {version}，不是该行所指版本",
        "the signed review is about version {version}, not the version the row points to",
    ),
    "integrity.code.adjudication_unsigned": (
        "查重裁定没有签名",
        "the adjudication is not signed",
    ),
    "integrity.code.adjudication_signature_invalid": (
        "查重裁定签名未通过 {name} 登记公钥（{fingerprint}）的验证",
        "the adjudication signature does not verify under {name}'s registered key ({fingerprint})",
    ),
    "integrity.code.adjudication_version_unknown": (
        "裁定所涉版本 {version} 不是其所列试题的已存版本",
        "version {version} it judges is not a stored version of the items it names",
    ),
    "integrity.code.signer_unknown": (
        "签名人“{name}”未登记",
        "signer '{name}' is not registered",
    ),
    "integrity.code.signer_no_key": (
        "签名人 {name} 没有登记公钥，签名无从核验",
        "signer {name} has no registered key: the signature cannot be verified",
    ),
    "integrity.code.signer_key_mismatch": (
        "签名内容所写的密钥指纹 {fingerprint} 不是 {name} 登记的公钥",
        "the signed payload names key {fingerprint}, not {name}'s registered key",
    ),
    "integrity.code.signer_key_retired": (
        "签名所用的是 {name} 此前的公钥 {fingerprint}，数据库已不保存该公钥，签名无从核验",
        "signed under an earlier key of {name} ({fingerprint}), which the database no longer "
        "holds: the signature cannot be verified",
    ),
    "integrity.code.filing_manifest_hash_mismatch": (
        "备案清单的 SHA-256 不是其记录的 {version}：清单被改动",
        "the filing manifest does not hash to its recorded {version}: the manifest was edited",
    ),
    "integrity.code.filing_root_mismatch": (
        "由清单条目重新计算的 Merkle 根为 {derived}，不是记录的 {root}",
        "the Merkle root re-derived from the manifest entries is {derived}, not the recorded "
        "{root}",
    ),
    "integrity.code.filing_entry_mismatch": (
        "备案清单与 filing_entries 行不一致（清单第 {entry} 条，版本 {version}）",
        "the filing manifest and its filing_entries rows disagree (manifest entry {entry}, "
        "version {version})",
    ),
    "integrity.code.filing_signature_invalid": (
        "备案签名未通过 {name} 登记公钥（{fingerprint}）的验证",
        "a filing signature does not verify under {name}'s registered key ({fingerprint})",
    ),
    "integrity.code.filing_unsigned": (
        "备案清单没有有效的评价机构签名",
        "the filing manifest has no valid institution signature",
    ),
    "integrity.code.filing_reference_missing": (
        "备案清单所列的 {what}（{version}）不在数据库中",
        "the {what} the filing names ({version}) is not in the database",
    ),
    "integrity.code.filing_bank_mismatch": (
        "备案清单所写题库不是该备案所属的题库",
        "the manifest names another bank than the filing's",
    ),
    "integrity.code.audit_chain_broken": (
        "审计日志在此断链：前一条事件被删除、插入或调换",
        "the audit chain breaks here: an event before it was removed, inserted or reordered",
    ),
    "integrity.code.audit_event_edited": (
        "审计事件的内容与其哈希不符：事件被改动",
        "the audit event does not hash to its stored hash: the event was edited",
    ),
    "integrity.code.audit_items_mismatch": (
        "该导入事件所记的试题变更与 audit_event_items 中的行不符：有行被改动、增加或删除",
        "the item changes this import event commits to are not the rows audit_event_items "
        "holds for it: a row was edited, added or removed",
    ),
    "integrity.code.audit_items_orphan": (
        "audit_event_items 中有行挂在事件 {row} 下，但该事件不是导入试题事件",
        "rows of audit_event_items hang under event {row}, which is not an item import event",
    ),
    "integrity.code.custody_log_invalid": (
        "批次 {batch} 的保管链核验未通过（{custody_code}）：{reason}",
        "the custody log of batch {batch} does not verify ({custody_code}): {reason}",
    ),
    "integrity.code.custody_row_drift": (
        "“{column}”列与签名内容不符",
        "column '{column}' differs from the signed payload",
    ),
    "integrity.code.custody_entry_orphan": (
        "批次 {batch} 没有保管链布局，却有保管链条目",
        "a custody entry of batch {batch}, which has no custody layout",
    ),
    "integrity.code.custody_entry_missing": (
        "审计日志记录了批次 {batch} 第 {position} 条保管链签署，但保管链中没有该条目",
        "the audit trail records custody entry {position} of batch {batch}, which the log "
        "does not hold",
    ),
    "integrity.code.bundle_signature_invalid": (
        "封存包声明的签名未通过 {name} 登记公钥（{fingerprint}）的验证",
        "the bundle statement's signature does not verify under {name}'s registered key "
        "({fingerprint})",
    ),
    "integrity.code.paper_sealed_in_clear": (
        "试卷已封存且未启封，却仍有明文组成（试题行、种子或试卷组成）",
        "the paper is sealed and not opened, yet its composition is in the clear",
    ),
    "integrity.code.paper_ciphertext_malformed": (
        "封存的试卷组成不是 age 加密文件",
        "the sealed composition is not an age file",
    ),
    "integrity.code.paper_commitment_missing": (
        "已封存的试卷没有承诺值（commitment）",
        "the sealed paper has no commitment",
    ),
    "integrity.code.paper_not_in_custody": (
        "批次 {batch} 的组卷签署中没有这份试卷",
        "the signed 组卷 (assemble) entry of batch {batch} does not list this paper",
    ),
    "integrity.code.paper_composition_mismatch": (
        "试卷组成与组卷签署的指纹 {fingerprint} 不符：组成被改动",
        "the paper's composition does not match the fingerprint {fingerprint} signed at 组卷 "
        "(assemble): the composition was edited",
    ),
    "integrity.code.paper_commitment_unrecorded": (
        "试卷的承诺值既不在保管链签署中，也不是封存时记录的值",
        "the paper's commitment is neither signed in the custody log nor the one recorded "
        "when it was sealed",
    ),
    "integrity.code.paper_item_foreign": (
        "试卷 {paper} 的这一行所指版本属于另一道试题",
        "this row of paper {paper} names a version of another item",
    ),
    # --- retention (qbank.retention) ----------------------------------------------------
    "retention.reason_required": ("删除须写明理由（--reason）", "a reason is required (--reason)"),
    "retention.hold": (
        "试题 {id} 已于 {filed} 随题库备案，须保存不少于 {years} 年（{source}），不能删除",
        "item {id} was filed on {filed} and must be kept {years} years ({source}); not deleted",
    ),
    "retention.deleted": (
        "试题 {id} 已作逻辑删除（数据仍保留，可在审计记录中追溯）",
        "item {id} deleted logically (its data stays and the audit trail shows it)",
    ),
    # --- batches (qbank.batch) ----------------------------------------------------------
    "batch.bad_candidates": (
        "考生人数应为正整数，实际为 {value}",
        "candidates must be a positive number, got {value}",
    ),
    "batch.site_required": ("请给出考点（--site）", "give the exam site (--site)"),
    "batch.staff_required": ("以下环节没有指定人员：{steps}", "no designated person for: {steps}"),
    "batch.not_found": ("没有编号为 {id} 的考试批次", "no batch with id {id}"),
    "batch.bad_date": ("日期“{value}”应为 YYYY-MM-DD", "date '{value}' must be YYYY-MM-DD"),
    "batch.created": ("已新建考试批次 {id}（{code}）", "batch {id} ({code}) created"),
    "batch.col.id": ("编号", "id"),
    "batch.col.code": ("批次", "batch"),
    "batch.col.occupation": ("职业编码", "occupation"),
    "batch.col.level": ("等级", "level"),
    "batch.col.date": ("考试日期", "date"),
    "batch.col.site": ("考点", "site"),
    "batch.col.candidates": ("考生人数", "candidates"),
    "batch.col.papers": ("试卷", "papers"),
    # --- custody log (qbank.custody, cli/custody.py) -------------------------------------
    "custody.step.start": ("开始", "the start"),
    "custody.step.assemble": ("组卷", "assemble"),
    "custody.step.extract": ("提取", "extract"),
    "custody.step.print": ("印制", "print"),
    "custody.step.transport": ("传送", "transport"),
    "custody.step.seal": ("封存", "seal"),
    "custody.step.open": ("启封", "open"),
    "custody.step.archive": ("归档", "archive"),
    "custody.verdict.valid": (
        "有效（VALID）：保管链完整，{size} 条记录，Merkle 根 {root}",
        "VALID: the custody log is complete, {size} entries, Merkle root {root}",
    ),
    "custody.verdict.invalid": ("无效（INVALID）：{message}", "INVALID: {message}"),
    "custody.verdict.incomplete": ("未完成（INCOMPLETE）：{message}", "INCOMPLETE: {message}"),
    "custody.at_entry": ("第 {position} 号记录：{message}", "entry {position}: {message}"),
    "custody.code.missing_file": ("缺少文件 {file}", "file {file} is missing"),
    "custody.code.unexpected_file": (
        "多出文件 {file}（导出目录只应有 qbank 写出的文件）",
        "unexpected file {file} (an export holds only the files qbank writes)",
    ),
    "custody.code.malformed_layout": (
        "layout.json 格式不符（{detail}）",
        "layout.json is malformed ({detail})",
    ),
    "custody.code.malformed_entry": (
        "log.jsonl 中该记录格式不符（{detail}）",
        "the entry in log.jsonl is malformed ({detail})",
    ),
    "custody.code.malformed_checkpoint": (
        "检查点 {size} 格式不符（{detail}）",
        "checkpoint {size} is malformed ({detail})",
    ),
    "custody.code.layout_signature_invalid": (
        "保管布局上 {name} 的签名无效",
        "the signature of {name} on the custody layout is invalid",
    ),
    "custody.code.layout_key_mismatch": (
        "保管布局由 {name}（公钥指纹 {fingerprint}）签署，不是所信任的公钥（指纹 {trusted}）",
        "the custody layout was signed by {name} (key fingerprint {fingerprint}), not by the "
        "trusted key (fingerprint {trusted})",
    ),
    "custody.code.untrusted_layout_key": (
        "保管布局由 {name}（公钥指纹 {fingerprint}）签署，但未用 --trusted-key 指定可信的评价机构公钥，"
        "无法确认布局出自评价机构；核对指纹后用 --trusted-key 重新核验",
        "the custody layout was signed by {name} (key fingerprint {fingerprint}), but no "
        "institution key was pinned with --trusted-key, so nothing shows the layout is the "
        "institution's; check the fingerprint and verify again with --trusted-key",
    ),
    "custody.code.key_file_mismatch": (
        "公钥文件 {file} 与保管布局中的公钥不一致",
        "key file {file} differs from the key in the custody layout",
    ),
    "custody.code.checkpoint_beyond_log": (
        "存在第 {size} 条的检查点，但日志只有 {entries} 条：日志被截短",
        "there is a checkpoint for size {size} but the log has only {entries} entries: it was "
        "truncated",
    ),
    "custody.code.position_mismatch": (
        "记录自称第 {found} 号：记录被删除、调换或重放",
        "the entry says it is number {found}: an entry was dropped, swapped or replayed",
    ),
    "custody.code.layout_mismatch": (
        "记录所引用的保管布局不是本布局",
        "the entry refers to a different custody layout",
    ),
    "custody.code.batch_mismatch": (
        "记录属于批次 {found}，不是本批次 {expected}",
        "the entry belongs to batch {found}, not to this batch {expected}",
    ),
    "custody.code.previous_root_mismatch": (
        "记录中的前序 Merkle 根与此前各条记录不符：此前的日志被改动",
        "the entry's previous Merkle root does not match the earlier entries: they were altered",
    ),
    "custody.code.step_not_in_layout": (
        "保管布局中没有“{step}”环节",
        "the custody layout has no step '{step}'",
    ),
    "custody.code.signer_not_designated": (
        "{name} 不是“{step}”环节的指定人员（或其公钥与布局不符）",
        "{name} is not designated for '{step}' (or their key differs from the layout's)",
    ),
    "custody.code.signature_invalid": (
        "{name} 的签名无效：记录被改动或签名被伪造",
        "the signature of {name} is invalid: the entry was altered or the signature forged",
    ),
    "custody.code.step_out_of_order": (
        "“{step}”不能接在“{after}”之后（顺序：组卷、提取、印制、传送、封存、启封、归档）",
        "'{step}' cannot follow '{after}' (order: assemble, extract, print, transport, seal, "
        "open, archive)",
    ),
    "custody.code.transport_leg_invalid": (
        "传送段号为 {leg}，应为 {expected}（或超出布局规定的段数）",
        "transport leg {leg}, expected {expected} (or beyond the legs the layout plans)",
    ),
    "custody.code.transport_legs_missing": (
        "只签了 {done} 段传送，布局规定 {planned} 段，不能封存",
        "only {done} transport legs signed of the {planned} the layout plans; cannot seal yet",
    ),
    "custody.code.quorum_not_met": (
        "上一环节“{step}”只有 {have} 人签署，需要 {need} 人",
        "the previous step '{step}' has {have} signers of the {need} required",
    ),
    "custody.code.materials_mismatch": (
        "“{step}”接收的材料与上一环节交出的成品不一致",
        "the materials of '{step}' differ from the previous step's products",
    ),
    "custody.code.empty_products": ("“{step}”没有交出任何成品", "'{step}' hands on nothing"),
    "custody.code.duplicate_signer": (
        "{name} 已签署过本次“{step}”，共同签署须为不同的人",
        "{name} already signed this '{step}'; co-signers must be different people",
    ),
    "custody.code.cosign_mismatch": (
        "共同签署的“{step}”成品与第 {first} 号记录不一致",
        "this co-signature of '{step}' vouches for other products than entry {first}",
    ),
    "custody.code.checkpoint_missing": (
        "缺少日志长度为 {size} 的检查点",
        "the checkpoint for log size {size} is missing",
    ),
    "custody.code.checkpoint_origin_mismatch": (
        "检查点 {size} 属于另一日志（{origin}）",
        "checkpoint {size} belongs to another log ({origin})",
    ),
    "custody.code.checkpoint_root_mismatch": (
        "检查点 {size} 的 Merkle 根与日志不符",
        "checkpoint {size} has a different Merkle root than the log",
    ),
    "custody.code.checkpoint_signature_invalid": (
        "检查点 {size} 没有 {name} 的有效签名",
        "checkpoint {size} lacks a valid signature of {name}",
    ),
    "custody.code.log_truncated": (
        "已收到过长度为 {size} 的检查点，日志现只有 {entries} 条：日志被截短",
        "a checkpoint of size {size} was received earlier but the log now has {entries} "
        "entries: it was truncated",
    ),
    "custody.code.log_forked": (
        "日志前 {size} 条的 Merkle 根与此前收到的检查点不同：日志被改写",
        "the root of the first {size} entries differs from the checkpoint received earlier: "
        "the log was rewritten",
    ),
    "custody.code.steps_missing": (
        "到封存为止的环节尚未签完，下一步：{next}",
        "the steps through seal are not all signed; next: {next}",
    ),
    "custody.code.quorum_pending": (
        "“{step}”已有 {have} 人签署，还需共 {need} 人",
        "'{step}' has {have} signers of the {need} required",
    ),
    "custody.no_layout": (
        "批次 {batch} 还没有保管布局（qbank custody layout）",
        "batch {batch} has no custody layout yet (qbank custody layout)",
    ),
    "custody.layout_exists": (
        "批次 {batch} 已有保管布局，布局签署后不能更改",
        "batch {batch} already has a custody layout; a signed layout cannot change",
    ),
    "custody.layout_unreadable": (
        "数据库中的保管布局无法读取（已损坏）",
        "the stored custody layout is unreadable (damaged)",
    ),
    "custody.bad_witness": (
        "{name} 不是考务人员（staff）或督导员（regulator），不能签署启封或归档",
        "{name} is neither staff nor regulator and cannot sign open or archive",
    ),
    "custody.bad_quorum_step": (
        "--quorum 中的环节“{step}”不在布局中（可用：{steps}）",
        "--quorum names step '{step}', which is not in the layout (steps: {steps})",
    ),
    "custody.seal_needs_two": (
        "封存需两人共同签署，但本批次只指定了 {count} 人；请再指定一位封存人，"
        "或明确给出 --quorum seal=1",
        "sealing needs two signers but the batch designates {count}; designate another "
        "sealer or give --quorum seal=1 explicitly",
    ),
    "custody.bad_quorum": (
        "环节 {step} 的签署人数 {quorum} 应在 1 到指定人数 {people} 之间",
        "the quorum {quorum} of step {step} must be between 1 and the {people} designated",
    ),
    "custody.bad_legs": ("传送段数应为正整数，实际为 {value}", "legs must be ≥ 1, got {value}"),
    "custody.bad_step": (
        "未知环节“{step}”，可选：{steps}",
        "unknown step '{step}'; choose: {steps}",
    ),
    "custody.bad_evidence": (
        "凭证键“{name}”不可用（不能为空，不能含“=”或换行）",
        "evidence key '{name}' is not usable (non-empty, no '=' or line break)",
    ),
    "custody.bad_pair": (
        "{option} 的格式应为 键=值，实际为“{value}”",
        "{option} takes KEY=VALUE, got '{value}'",
    ),
    "custody.products_computed": (
        "环节 {step} 的成品由系统计算（试卷指纹或封存包），不能用 --product 指定",
        "the products of step {step} are computed (paper fingerprints or sealed bundles); "
        "--product is not accepted",
    ),
    "custody.duplicate_product": ("--product 给出了重复的文件", "--product names a file twice"),
    "custody.no_papers": ("批次 {batch} 还没有组卷", "batch {batch} has no papers yet"),
    "custody.no_bundles": (
        "批次 {batch} 还没有封存包（qbank seal）",
        "batch {batch} has no sealed bundle yet (qbank seal)",
    ),
    "custody.log_invalid": (
        "已存的保管链未通过核验，不能再追加：{reason}",
        "the stored custody log does not verify; nothing can be appended: {reason}",
    ),
    "custody.refused": ("未签署：{reason}", "not signed: {reason}"),
    "custody.open_too_early": (
        "考试日期 {date} 之前不能启封已封存的试卷；未签署",
        "sealed papers cannot be opened before the exam date {date}; nothing signed",
    ),
    "custody.layout_done": (
        "批次 {batch} 的保管布局已签署（SHA-256 {sha256}）",
        "custody layout of batch {batch} signed (SHA-256 {sha256})",
    ),
    "custody.signed": (
        "已签署第 {position} 号记录：{step}，{person}；Merkle 根 {root}",
        "entry {position} signed: {step} by {person}; Merkle root {root}",
    ),
    "custody.exported": ("已导出 {count} 个文件到 {path}", "{count} files exported to {path}"),
    "custody.layout_line": (
        "{step}：{people}（需 {quorum} 人签署）",
        "{step}: {people} ({quorum} must sign)",
    ),
    "custody.legs_line": ("传送段数：{legs}", "transport legs: {legs}"),
    "custody.legs_any": ("至少 1 段", "one or more"),
    "custody.col.position": ("序号", "no."),
    "custody.col.step": ("环节", "step"),
    "custody.col.person": ("签署人", "signed by"),
    "custody.col.time": ("时间（UTC）", "time (UTC)"),
    "custody.col.products": ("成品", "products"),
    "custody.col.evidence": ("凭证", "evidence"),
    "custody.identity_only_open": (
        "--identity 只用于启封（--step open）",
        "--identity is for the open step only (--step open)",
    ),
    "custody.batch_or_dir": (
        "请给出 --batch 或 --dir 之一",
        "give exactly one of --batch or --dir",
    ),
    # --- assembly service (qbank.assembly.service) --------------------------------------
    "assembly.infeasible": ("无法组卷：{reasons}", "cannot assemble: {reasons}"),
    "assembly.invalid": (
        "组出的试卷未通过独立校验（程序错误，试卷未保存）：{details}",
        "the assembled papers failed the independent check (a bug; nothing stored): {details}",
    ),
    "assembly.nothing_filed": (
        "本题库还没有备案，只有已备案的试题可以组卷（qbank bank file）",
        "the bank has no filing; only filed items may be assembled (qbank bank file)",
    ),
    "assembly.summary": (
        "{title}：{items} 题，满分 {score}，{minutes} 分钟",
        "{title}: {items} items, {score} points, {minutes} minutes",
    ),
    "assembly.done": ("组卷完成（种子 {seed}）：{papers}", "assembled (seed {seed}): {papers}"),
    "assembly.practical": ("操作技能试卷：{set}", "practical paper: {set}"),
    "assembly.check_ok": (
        "校验通过：试卷满足组卷方案与各项上限",
        "all papers pass the independent check",
    ),
    "assembly.check_failed": ("校验未通过：{count} 处违反", "{count} violation(s)"),
    "assembly.paper_not_found": ("没有编号为 {id} 的理论试卷", "no theory paper with id {id}"),
    "assembly.bad_codes": (
        "试卷代号有误或已存在：{codes}",
        "paper codes invalid or already used: {codes}",
    ),
    "assembly.no_practical": (
        "没有可抽取的操作技能试卷：已备案 {filed} 套，近 {recent} 个批次用过或与其他等级重复的不能再用",
        "no practical set to draw: {filed} filed; those used in the last {recent} batches or sharing tasks with other levels are excluded",
    ),
    # --- assembly solver (qbank.assembly.conflicts) -------------------------------------
    "solver.unmet": ("无法满足“{requirement}”{notes}", "cannot meet “{requirement}”{notes}"),
    "solver.conflict": (
        "{first}与{last}不能同时满足{notes}",
        "{first} and {last} cannot all hold{notes}",
    ),
    "solver.quote": ("“{text}”", "“{text}”"),
    "solver.list_sep": ("、", ", "),
    "solver.facts": ("（{facts}）", " ({facts})"),
    "solver.facts_sep": ("；", "; "),
    "solver.unexplained": ("找不到满足全部要求的试卷", "no paper meets every requirement"),
    "solver.timeout": (
        "{seconds} 秒内未找到满足全部要求的试卷（不一定无解，可放宽要求或延长时限）",
        "no paper meeting every requirement found within {seconds} s (not necessarily impossible; relax requirements or allow more time)",
    ),
    "solver.gave_up": (
        "在固定的搜索量内未找到满足全部要求的试卷（不一定无解：重复上限等要求可能过紧，可放宽后重试）",
        "no paper meeting every requirement found within the fixed search budget (not necessarily impossible: the overlap caps may be too tight)",
    ),
    "solver.req.section": ("每份试卷 {count} 道{type}", "{count} {type} items per paper"),
    "solver.req.weight": (
        "知识范围 {range} 占分 {share}±{tolerance}",
        "range {range} at {share} ± {tolerance} of the score",
    ),
    "solver.req.mean": ("平均难度 {mean}±{tolerance}", "mean difficulty {mean} ± {tolerance}"),
    "solver.req.band": (
        "难度区间 {band} 的试题 {min}～{max} 道",
        "{min} to {max} items with difficulty in {band}",
    ),
    "solver.req.per_point": (
        "同一鉴定点每卷最多 {cap} 道",
        "at most {cap} items per knowledge point in a paper",
    ),
    "solver.req.x_share": (
        "X 类鉴定点的试题至少占 {share}（每卷 {count} 道）",
        "at least {share} of the items on X points ({count} per paper)",
    ),
    "solver.req.enemies": ("近似重复的试题不同卷", "near-duplicate items never in one paper"),
    "solver.req.exposure": (
        "每道试题 {days} 天内最多使用 {max} 次",
        "each item used at most {max} times in {days} days",
    ),
    "solver.req.history": (
        "与近期批次的试卷重复不超过 {share}",
        "at most {share} shared with the papers of recent batches",
    ),
    "solver.req.siblings": (
        "{papers} 卷之间重复不超过 {share}（每两卷至多 {count} 道）",
        "papers {papers} share at most {share} ({count} items per pair)",
    ),
    "solver.scope.range": ("知识范围 {range} 的试题", "items in range {range}"),
    "solver.scope.band": ("难度在 {band} 的试题", "items with difficulty in {band}"),
    "solver.scope.x": ("X 类鉴定点的试题", "items on X points"),
    "solver.fact.supply": ("可用的{scope}共 {count} 道", "{count} usable {scope}"),
    "solver.fact.points_in": (
        "分布在 {points} 个鉴定点，每卷至多可选 {most} 道",
        "on {points} knowledge points, at most {most} per paper",
    ),
    "solver.fact.worn_in": ("另有 {count} 道已达使用次数上限", "{count} more already used up"),
    "solver.fact_sep": ("，", ", "),
    "solver.fact.difficulty": (
        "可用试题组成的试卷平均难度最低 {low}、最高 {high}",
        "the usable items make papers of mean difficulty {low} at the lowest, {high} at the highest",
    ),
    "solver.fact.enemies": (
        "候选试题中有 {pairs} 对近似重复",
        "{pairs} near-duplicate pairs among the candidates",
    ),
    "solver.fact.history": ("近期试卷 {papers} 套", "{papers} recent papers"),
    # --- paper validator (qbank.assembly.validate) --------------------------------------
    "validate.section_count": (
        "{type}共 {actual} 题，组卷方案要求 {expected} 题",
        "{type}: {actual} items, the blueprint requires {expected}",
    ),
    "validate.unknown_type": ("题型不明的试题", "items of unknown type"),
    "validate.weight": (
        "知识范围 {range} 占 {actual}（{points} 分），要求 {share} ± {tolerance}",
        "range {range} holds {actual} of the score ({points} points); required {share} ± {tolerance}",
    ),
    "validate.difficulty_mean": (
        "平均难度 {actual}，要求 {mean} ± {tolerance}（无难度的试题按 0.5 计）",
        "mean difficulty {actual}; required {mean} ± {tolerance} (items without a difficulty count as 0.5)",
    ),
    "validate.difficulty_band": (
        "难度在 {band} 的试题 {actual} 道，要求 {min}～{max} 道",
        "{actual} items with difficulty in {band}; required {min} to {max}",
    ),
    "validate.max_per_point": (
        "鉴定点 {code} 有 {actual} 道试题，每卷最多 {cap} 道",
        "knowledge point {code} has {actual} items; at most {cap} per paper",
    ),
    "validate.x_share": (
        "X 类鉴定点的试题占 {actual}（{count}/{items} 道），至少应占 {minimum}",
        "items on X points are {actual} ({count}/{items}); at least {minimum} required",
    ),
    "validate.enemy": (
        "试题 {a} 与 {b} 近似重复，不能同卷",
        "items {a} and {b} are near-duplicates and may not share a paper",
    ),
    "validate.sibling_overlap": (
        "{a} 卷与 {b} 卷重复 {count} 道（{points} 分），上限 {max_count} 道（{max_points} 分）",
        "papers {a} and {b} share {count} items ({points} points); at most {max_count} items ({max_points} points)",
    ),
    "validate.recent_overlap": (
        "与近期第 {n} 套试卷重复 {count} 道（{points} 分），上限 {max_count} 道（{max_points} 分）",
        "shares {count} items ({points} points) with recent paper {n}; at most {max_count} items ({max_points} points)",
    ),
    "validate.exposure": (
        "试题 {item} 在统计期内已用 {used} 次，本次又用于 {now} 套试卷，上限 {max} 次",
        "item {item} was used {used} times in the window and {now} more now; at most {max}",
    ),
    "validate.not_filed": (
        "试题 {item} 不是已备案的版本",
        "item {item} is not a filed version",
    ),
    "validate.duplicate_item": (
        "试题 {item} 在卷中出现 {times} 次",
        "item {item} appears {times} times in the paper",
    ),
    # --- blueprint (qbank.blueprint) -----------------------------------------------------
    "blueprint.unreadable": (
        "无法读取组卷方案 {file}：{reason}",
        "cannot read blueprint {file}: {reason}",
    ),
    "blueprint.missing": (
        "组卷方案 {file} 缺少 {entry}（应为{expected}）",
        "blueprint {file} lacks {entry} (expected {expected})",
    ),
    "blueprint.bad_value": (
        "组卷方案 {file} 中 {entry} 的取值“{value}”不对，应为{expected}",
        "blueprint {file}: {entry} = '{value}' is wrong; expected {expected}",
    ),
    "blueprint.unknown_key": (
        "组卷方案 {file} 中有无法识别的项 {entry}（可用：{allowed}）",
        "blueprint {file}: unknown key {entry} (allowed: {allowed})",
    ),
    "blueprint.duplicate_key": (
        "组卷方案 {file} 中 {entry} 与前面的知识范围 {code} 重复",
        "blueprint {file}: {entry} repeats range {code}",
    ),
    "blueprint.expect.text": ("非空文字", "non-empty text"),
    "blueprint.expect.positive_int": ("正整数", "a positive whole number"),
    "blueprint.expect.count": ("0 或正整数", "a whole number >= 0"),
    "blueprint.expect.positive_number": ("大于 0 的数", "a number > 0"),
    "blueprint.expect.share": (
        '0～1 之间的小数或百分数（如 0.25 或 "25%"）',
        'a fraction 0..1 or a percentage (0.25 or "25%")',
    ),
    "blueprint.expect.difficulty": ("0～1 之间的难度值", "a difficulty between 0 and 1"),
    "blueprint.expect.item_type": (
        "题型 judgement/single/multiple（或 判断题/单选题/多选题）",
        "an item type: judgement/single/multiple (or 判断题/单选题/多选题)",
    ),
    "blueprint.expect.bool": ("true 或 false", "true or false"),
    "blueprint.expect.table": ("表（[…]）", "a table ([…])"),
    "blueprint.expect.table_array": ("表数组（[[…]]）", "an array of tables ([[…]])"),
    "blueprint.expect.range": (
        "tolerance 或知识范围代码（如 A、B-A，不含鉴定点序号）",
        "tolerance or a range code (A, B-A; no 鉴定点 number)",
    ),
    "blueprint.type.judgement": ("判断题", "true/false"),
    "blueprint.type.single": ("单选题", "single-choice"),
    "blueprint.type.multiple": ("多选题", "multiple-choice"),
    "blueprint.list_sep": ("、", ", "),
    "blueprint.or": ("或", " or "),
    "blueprint.notes": ("（{notes}）", " ({notes})"),
    "blueprint.notes_sep": ("；", "; "),
    "blueprint.no_sections": (
        "组卷方案没有任何题型（[[sections]]）",
        "the blueprint has no sections",
    ),
    "blueprint.unknown_type": (
        "题型“{type}”无法识别，应为 judgement、single 或 multiple",
        "unknown item type '{type}'; expected judgement, single or multiple",
    ),
    "blueprint.duplicate_section": (
        "{type}出现在 {count} 个部分中，每种题型只能有一个部分",
        "{type} appears in {count} sections; each item type gets one section",
    ),
    "blueprint.bad_section": (
        "{title}：题量和每题分数都应大于 0（现为 {count} 道 × {score} 分）",
        "{title}: count and score must be > 0 (now {count} × {score})",
    ),
    "blueprint.total_mismatch": (
        "各题型分数合计 {sum} 分（{detail}），与总分 {total} 分不符",
        "sections add up to {sum} points ({detail}), not the total score {total}",
    ),
    "blueprint.bad_pass": (
        "及格分 {pass_score} 应大于 0 且不超过总分 {total}",
        "pass score {pass_score} must be > 0 and at most the total {total}",
    ),
    "blueprint.bad_duration": (
        "考试时长 {minutes} 分钟应大于 0",
        "duration {minutes} minutes must be > 0",
    ),
    "blueprint.bad_share": (
        "知识范围 {range} 的比重 {share}±{tolerance} 不在 0～100% 之内",
        "range {range}: weight {share}±{tolerance} is outside 0..100%",
    ),
    "blueprint.duplicate_weight": (
        "知识范围 {range} 的比重规定了不止一次",
        "range {range} has more than one weight",
    ),
    "blueprint.weight_unreachable": (
        "知识范围 {range} 应占 {low}～{high} 分，但按各题型的分值凑不出这个分数",
        "range {range} must score {low}..{high} points, which no mix of the section scores gives",
    ),
    "blueprint.weights_over_paper": (
        "一级知识范围 {ranges} 的最低比重合计 {sum}，超过了 {limit}",
        "the lowest weights of top ranges {ranges} add up to {sum}, more than {limit}",
    ),
    "blueprint.weights_over_range": (
        "知识范围 {parent} 下 {ranges} 的最低比重合计 {sum}，超过了 {parent} 的上限 {limit}",
        "the lowest weights of {ranges} add up to {sum}, more than the upper limit {limit} of {parent}",
    ),
    "blueprint.bad_difficulty": (
        "难度目标 {mean}±{tolerance} 应在 0～1 之内",
        "difficulty target {mean}±{tolerance} must lie within 0..1",
    ),
    "blueprint.bad_band": (
        "难度区间 {band}（{min}～{max} 道）设置有误：应 0 ≤ 下限 < 上限 ≤ 1，且 0 ≤ 最少题数 ≤ 最多题数",
        "difficulty band {band} ({min}..{max} items) is wrong: need 0 <= low < high <= 1 and 0 <= min <= max",
    ),
    "blueprint.bands_overlap": (
        "难度区间 {a} 与 {b} 相互重叠",
        "difficulty bands {a} and {b} overlap",
    ),
    "blueprint.bands_min_over": (
        "各难度区间的最少题数合计 {sum} 道，超过了试卷总题量 {items} 道",
        "the bands' minimum counts add up to {sum}, more than the paper's {items} items",
    ),
    "blueprint.bands_max_under": (
        "难度区间覆盖全部难度，但最多题数合计只有 {sum} 道，少于试卷总题量 {items} 道",
        "the bands cover every difficulty but their maximum counts add up to only {sum} of {items} items",
    ),
    "blueprint.bad_max_per_point": (
        "每个鉴定点最多题数 {value} 应至少为 1",
        "max_per_point {value} must be at least 1",
    ),
    "blueprint.bad_x_share": (
        "X 类鉴定点试题比例 {value} 应在 0～100% 之内",
        "X share {value} must lie within 0..100%",
    ),
    "blueprint.bad_exposure": (
        "试题使用次数上限 {value} 应至少为 1，统计期 {days} 天应大于 0",
        "exposure limit {value} must be at least 1 and the window {days} days > 0",
    ),
    "blueprint.scope.paper": ("每份试卷", "each paper"),
    "blueprint.scope.range": ("知识范围 {range} ", "range {range}"),
    "blueprint.scope.outside": ("知识范围 {range} 以外", "outside range {range}"),
    "blueprint.scope.band": ("难度区间 {band} ", "difficulty band {band}"),
    "blueprint.scope.outside_band": ("难度区间 {band} 以外", "outside difficulty band {band}"),
    "blueprint.scope.x": ("X 类鉴定点", "X-importance points"),
    "blueprint.supply.items": (
        "{scope}需要 {need} 道{types}，已备案题库中只有 {have} 道{notes}",
        "{scope} needs {need} {types} items; the filed bank has only {have}{notes}",
    ),
    "blueprint.supply.score": (
        "{scope}需要至少 {need} 分的{types}，已备案题库中最多只能提供 {have} 分{notes}",
        "{scope} needs at least {need} points of {types} items; the filed bank supplies at most {have}{notes}",
    ),
    "blueprint.reason.weight_min": (
        "比重 {share}±{tolerance}，至少 {points} 分",
        "weight {share}±{tolerance}: at least {points} points",
    ),
    "blueprint.reason.weight_max": (
        "知识范围 {range} 比重不超过 {limit}",
        "range {range} at most {limit}",
    ),
    "blueprint.reason.x": ("X 类不少于 {share}", "at least {share} on X points"),
    "blueprint.reason.band_max": ("该区间最多 {max} 道", "at most {max} in the band"),
    "blueprint.note.per_point": (
        "每个鉴定点每卷最多 {cap} 道",
        "at most {cap} per 鉴定点 per paper",
    ),
    "blueprint.note.exposure": (
        "不计已用满 {max} 次的 {count} 道试题",
        "not counting {count} items already used {max} times",
    ),
    "blueprint.note.papers": (
        "{papers} 份试卷合计，每两份之间最多重复 {share}",
        "{papers} papers together, any two sharing at most {share}",
    ),
    "blueprint.note.papers_free": ("{papers} 份试卷合计", "{papers} papers together"),
    "blueprint.supply.too_hard": (
        "已备案题库的试题偏难：每份试卷即使全选最容易的试题，平均难度也有 {best}，高于目标 {mean}±{tolerance} 的上限 {limit}",
        "the filed items are too hard: even the easiest paper has mean difficulty {best}, above {limit} ({mean}±{tolerance})",
    ),
    "blueprint.supply.too_easy": (
        "已备案题库的试题偏易：每份试卷即使全选最难的试题，平均难度也只有 {best}，低于目标 {mean}±{tolerance} 的下限 {limit}",
        "the filed items are too easy: even the hardest paper has mean difficulty {best}, below {limit} ({mean}±{tolerance})",
    ),
    "blueprint.supply.weights_under_paper": (
        "题库中的试题全部属于知识范围 {ranges}，但它们的比重上限合计只有 {sum}，凑不满整份试卷",
        "every item lies in ranges {ranges}, whose upper weights add up to only {sum} of the paper",
    ),
    "blueprint.supply.weights_under_range": (
        "知识范围 {parent} 的试题全部属于 {ranges}，它们的比重上限合计只有 {sum}，达不到 {parent} 至少 {limit} 的要求",
        "every item of range {parent} lies in {ranges}, whose upper weights add up to only {sum}, below the {limit} {parent} needs",
    ),
    # --- printed practical papers (exporters.practical_paper_docx) ------------------------
    "doc.practical.header": (
        "{occupation}（{level}）操作技能考核试卷",
        "{occupation} ({level}) practical skills examination",
    ),
    "doc.practical.scoring_header": (
        "{occupation}（{level}）操作技能考核评分记录表",
        "{occupation} ({level}) practical examination: scoring record",
    ),
    "doc.practical.occupation_line": (
        "职业（工种）：{occupation}　　等级：{level}",
        "Occupation: {occupation}    Level: {level}",
    ),
    "doc.practical.code_line": (
        "试卷编号：{set_code}　　考试批次：{batch}",
        "Paper set: {set_code}    Batch: {batch}",
    ),
    "doc.practical.date_line": (
        "考试日期：{date}　　考点：{site}",
        "Date: {date}    Site: {site}",
    ),
    "doc.practical.duration": ("考试时间：{minutes}分钟", "Time allowed: {minutes} minutes"),
    "doc.practical.candidate_line": (
        "准考证号：＿＿＿＿＿＿＿＿　姓名：＿＿＿＿＿＿　工位号：＿＿＿　单位：＿＿＿＿＿＿＿",
        "Admission no.: ________  Name: __________  Station: ____  Unit: __________",
    ),
    "doc.practical.candidate_short": (
        "准考证号：＿＿＿＿＿＿＿＿＿＿　　姓名：＿＿＿＿＿＿＿＿　　工位号：＿＿＿＿",
        "Admission no.: __________    Name: ____________    Station: ____",
    ),
    "doc.practical.notes_title": ("考生须知", "Instructions to candidates"),
    "doc.practical.note1": (
        "1. 考生须按考生准备通知单自备工具、仪表和劳保用品，按规定穿戴整齐后进入考场。",
        "1. Bring the tools, instruments and protective wear of the candidate's preparation "
        "list, and wear them as required before entering.",
    ),
    "doc.practical.note2": (
        "2. 请仔细阅读各试题的考核要求，在规定的考核时间内完成；超时按规定扣分或终止考核。",
        "2. Read each task's requirements carefully and finish within its time limit; overtime "
        "is penalised or ends the task.",
    ),
    "doc.practical.note3": (
        "3. 严格遵守安全操作规程，通电试车须经考评员同意；违反安全规定造成事故的，该题记0分。",
        "3. Follow the safety rules; power up only with an examiner's consent. A task in which a "
        "safety rule is broken scores 0.",
    ),
    "doc.practical.note4": (
        "4. 不得在试卷上乱写乱画，不得将试卷带出考场。",
        "4. Do not deface this paper or take it out of the examination room.",
    ),
    "doc.practical.venue_prep": ("考场准备通知单", "Venue preparation list"),
    "doc.practical.candidate_prep": ("考生准备通知单", "Candidate preparation list"),
    "doc.practical.venue_note": (
        "本单于考前发至考点，由考点按每个工位准备以下设备、器材和材料，考前由考评员检查确认。",
        "Sent to the site before the examination: prepare the following for every station; "
        "an examiner checks them before the start.",
    ),
    "doc.practical.candidate_note": (
        "本单于考前发给考生，考生按下表自备工具、仪表和劳保用品。",
        "Sent to candidates before the examination: bring the following.",
    ),
    "doc.practical.col.number": ("序号", "No."),
    "doc.practical.col.category": ("类别", "Category"),
    "doc.practical.col.name": ("名称", "Name"),
    "doc.practical.col.spec": ("规格型号", "Specification"),
    "doc.practical.col.quantity": ("数量", "Quantity"),
    "doc.practical.col.note": ("备注", "Notes"),
    "doc.practical.tasks": ("操作技能考核试题", "Tasks"),
    "doc.practical.task": ("试题{number}：{title}", "Task {number}: {title}"),
    "doc.practical.module": ("考核模块：{code}", "Module: {code}"),
    "doc.practical.requirements": ("考核要求：", "Requirements:"),
    "doc.practical.task_score": ("配分：{score}分", "Score: {score} points"),
    "doc.practical.task_time": ("考核时间：{minutes}分钟", "Time limit: {minutes} minutes"),
    "doc.practical.scoring_title": ("操作技能考核评分记录表", "Scoring record"),
    "doc.practical.scoring_task": (
        "试题{number}：{title}（配分{score}分{time}）",
        "Task {number}: {title} ({score} points{time})",
    ),
    "doc.practical.scoring_time": ("，考核时间{minutes}分钟", ", {minutes} minutes"),
    "doc.practical.col.element": ("评分要素", "Element"),
    "doc.practical.col.score": ("配分", "Points"),
    "doc.practical.col.criteria": ("评分标准", "Criteria"),
    "doc.practical.col.deduction": ("扣分", "Deducted"),
    "doc.practical.col.earned": ("得分", "Score"),
    "doc.practical.col.task": ("试题", "Task"),
    "doc.practical.col.title": ("试题名称", "Title"),
    "doc.practical.veto_mark": ("★", "★"),
    "doc.practical.veto_score": ("否决", "veto"),
    "doc.practical.veto_legend": (
        "注：标“★”的为否决项，考生出现该项所列情形之一的，本题记0分。",
        "Note: ★ marks a veto item; if any case it lists occurs, the task scores 0.",
    ),
    "doc.practical.total": ("合计", "Total"),
    "doc.practical.examiner": (
        "考评员（签名）：＿＿＿＿＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日",
        "Examiner (signature): ______________    Date: ________",
    ),
    "doc.practical.summary": ("操作技能考核成绩汇总表", "Score summary"),
    "doc.practical.checker": (
        "核分人（签名）：＿＿＿＿＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日",
        "Score checker (signature): ______________    Date: ________",
    ),
    # --- print runs and `qbank export` (qbank.print_run, exporters.print_run, cli.export) --
    "print.bad_copies": (
        "印制份数应在 1～10000 之间，实际为 {value}",
        "copies must be between 1 and 10000, got {value}",
    ),
    "print.unknown_paper": (
        "批次 {batch} 没有{kind}试卷 {code}（已有：{available}）",
        "batch {batch} has no {kind}paper {code} (it has: {available})",
    ),
    "print.list_sep": ("、", ", "),
    "print.kind_theory": ("理论知识", "theory "),
    "print.kind_practical": ("操作技能", "practical "),
    "print.nothing": (
        "批次 {batch} 没有可印制的{kind}试卷（先用 qbank assemble 组卷）",
        "batch {batch} has no {kind}paper to print (run qbank assemble first)",
    ),
    "print.out_is_file": ("{path} 是一个文件，应为输出目录", "{path} is a file, not a directory"),
    "print.out_not_empty": (
        "输出目录 {path} 不为空：换一个目录，或加 --force 替换之前导出的内容",
        "output directory {path} is not empty: choose another, or add --force to replace an "
        "earlier export",
    ),
    "print.out_not_export": (
        "输出目录 {path} 不为空，且不是 qbank 之前导出的目录（没有 print-list.json），"
        "--force 也不会删除其中的文件",
        "output directory {path} is not empty and holds no earlier qbank export "
        "(no print-list.json); --force will not delete its files",
    ),
    "print.no_office": (
        "PDF 印制母版和页数需要 LibreOffice（soffice）和 pdfinfo（poppler-utils），本机没有找到 {tool}",
        "PDF print masters and page counts need LibreOffice (soffice) and pdfinfo "
        "(poppler-utils); {tool} was not found",
    ),
    "print.no_pdf": (
        "注意：未生成 PDF 印制母版（本机没有找到 {tool}；需要 LibreOffice 和 poppler-utils），"
        "只写了 Word/Excel 文件，页脚“共 y 页”为空",
        "note: no PDF print masters were made ({tool} was not found; they need LibreOffice and "
        "poppler-utils): only the Word/Excel files were written, their footers' page totals blank",
    ),
    "print.pages_differ": (
        "{file} 有 {pages} 页，按页脚应为 {expected} 页：请检查文档版式",
        "{file} has {pages} pages where its footers make {expected}: check the layout",
    ),
    "print.render_failed": (
        "LibreOffice 未能把 {file} 转换为 PDF：{reason}",
        "LibreOffice could not convert {file} to PDF: {reason}",
    ),
    "print.doc.paper": ("试卷", "paper"),
    "print.doc.answer_sheet": ("答题卡", "answer sheet"),
    "print.doc.key": ("参考答案及评分标准", "answer key"),
    "print.doc.practical": ("操作技能试卷", "practical paper"),
    "print.doc.scoring": ("评分记录表", "scoring record"),
    "print.list_title": ("试卷印制清单", "Print list"),
    "print.list_info": (
        "考试批次：{batch}　　职业：{occupation}（{level}）　　考试日期：{date}　　考点：{site}",
        "Batch: {batch}    Occupation: {occupation} ({level})    Date: {date}    Site: {site}",
    ),
    "print.sheet_copies": ("印制清单", "copies"),
    "print.sheet_files": ("文件", "files"),
    "print.col.row": ("序号", "No."),
    "print.col.paper": ("试卷", "Paper"),
    "print.col.document": ("文档", "Document"),
    "print.col.copy": ("份号", "Copy"),
    "print.col.serial": ("流水号", "Serial"),
    "print.col.file": ("文件", "File"),
    "print.col.pages": ("页数", "Pages"),
    "print.col.copies": ("份数", "Copies"),
    "print.col.bytes": ("字节", "Bytes"),
    "print.col.sha256": ("SHA-256", "SHA-256"),
    "print.col.printer": ("印制人（签名）", "Printed by (signature)"),
    "print.col.checker": ("核对人（签名）", "Checked by (signature)"),
    "export.done": ("已写入 {count} 个文件：{path}", "{count} files written to {path}"),
    "export.file": (
        "  {name}（{document}，{copies} 份{pages}）",
        "  {name} ({document}, copies: {copies}{pages})",
    ),
    "export.pages": ("，共 {pages} 页", ", {pages} pages"),
    "export.list": ("印制清单：{xlsx}、{json}", "print list: {xlsx}, {json}"),
    # --- printed documents (exporters.docx_page, exporters.theory_docx, qbank.printing) -----
    "doc.page_of": ("第 {page} 页 共 {pages} 页", "Page {page} of {pages}"),
    "doc.secret": ("绝密★启用前", "CONFIDENTIAL until the examination starts"),
    "doc.secret_key": ("绝密", "CONFIDENTIAL"),
    "doc.paper_code": ("{code} 卷", "paper {code}"),
    "doc.occupation": ("职业（工种）：{name}", "Occupation: {name}"),
    "doc.level": ("等级：{name}", "Level: {level} ({name})"),
    "doc.paper": ("试卷：{code} 卷", "Paper: {code}"),
    "doc.duration": ("考试时间：{minutes} 分钟", "Time allowed: {minutes} minutes"),
    "doc.total_score": ("满分：{score} 分", "Full marks: {score}"),
    "doc.batch": ("批次：{code}", "Batch: {code}"),
    "doc.exam_date": ("考试日期：{date}", "Exam date: {date}"),
    "doc.site": ("考点：{site}", "Site: {site}"),
    "doc.name": ("姓　　名", "Name"),
    "doc.id_number": ("身份证号", "ID number"),
    "doc.admission": ("准考证号", "Admission no."),
    "doc.unit": ("单　　位", "Unit"),
    "doc.seal_line": ("密 封 线", "sealing line"),
    "doc.seal_note": ("考 生 答 题 不 准 超 过 此 线", "Candidates: do not write beyond this line"),
    "doc.notice_title": ("注　意　事　项", "Instructions"),
    "doc.notice.time": ("考试时间：{minutes} 分钟。", "Time allowed: {minutes} minutes."),
    "doc.notice.identity": (
        "请首先按要求在试卷的标封处填写您的姓名、准考证号和所在单位的名称。",
        "First write your name, admission number and unit in the sealed area.",
    ),
    "doc.notice.read": (
        "请仔细阅读各种题目的回答要求，在规定的位置填写您的答案。",
        "Read each part's instructions and write your answers where they ask.",
    ),
    "doc.notice.marks": (
        "判断题正确的填“√”，错误的填“×”；选择题将所选答案的字母填入题内的括号中。",
        "True/false items: write √ for true and × for false; choice items: write the letters "
        "of your answers in the brackets.",
    ),
    "doc.notice.clean": (
        "不要在试卷上乱写乱画，不要在标封区填写无关的内容。",
        "Do not scribble on the paper or write anything else in the sealed area.",
    ),
    "doc.score_part": ("题　号", "Part"),
    "doc.score_total": ("总　分", "Total"),
    "doc.score_totaller": ("统分人", "Totalled by"),
    "doc.score": ("得　分", "Score"),
    "doc.marker": ("评分人", "Marked by"),
    "doc.section_ordinal": ("{ordinal}", "{index}"),
    "doc.section": (
        "{ordinal}、{title}（第{first}题～第{last}题。{instruction}每题{each}分，满分{total}分。）",
        "{index}. {title} (items {first}–{last}. {instruction} Score {each} each, {total} in all.)",
    ),
    "doc.key_title": (
        "{title}（{code} 卷）参考答案及评分标准",
        "{title}, paper {code}: answer key and scoring guide",
    ),
    "doc.key_subtitle": (
        "{code} 卷　参考答案及评分标准",
        "Paper {code}: answer key and scoring guide",
    ),
    "doc.sheet_subtitle": ("{code} 卷　答题卡", "Paper {code}: answer sheet"),
    "doc.fingerprint": (
        "试卷指纹（SHA-256）：{fingerprint}",
        "Paper fingerprint (SHA-256): {fingerprint}",
    ),
    "doc.fingerprint_short": ("指纹 {fingerprint}", "fingerprint {fingerprint}"),
    "doc.key_number": ("题号", "Item"),
    "doc.key_answer": ("答案", "Answer"),
    "doc.scoring.judgement": (
        "评分标准：每题{each}分，判断正确得分，判断错误或不答不得分。",
        "Scoring: {each} points each for a correct judgement; a wrong or missing answer scores nothing.",
    ),
    "doc.scoring.single": (
        "评分标准：每题{each}分，选择正确得分，错选、多选或不答不得分。",
        "Scoring: {each} points each for the correct choice; a wrong, extra or missing answer "
        "scores nothing.",
    ),
    "doc.scoring.multiple": (
        "评分标准：每题{each}分，全部选对得分，错选、少选、多选或不答均不得分。",
        "Scoring: {each} points each only when exactly the right options are chosen; otherwise "
        "nothing.",
    ),
    "doc.explanations": ("附：试题解析", "Appendix: explanations"),
    "doc.sheet_title": ("{title}（{code} 卷）答题卡", "{title}, paper {code}: answer sheet"),
    "doc.sheet_header": ("答题卡　{code} 卷", "Answer sheet, paper {code}"),
    "doc.sheet_serial": ("试卷编号", "Paper serial"),
    "doc.sheet_section": (
        "{ordinal}、{title}（第{first}题～第{last}题）",
        "{index}. {title} (items {first}–{last})",
    ),
    "doc.sheet_continued": ("（续）", " (cont.)"),
    "doc.sheet_notice": (
        "作答说明：用黑色字迹的钢笔或签字笔在所选答案（字母或 √、×）上画“○”；"
        "改答时在原答案上打“×”后另选。题号与试卷题号一致。",
        "Circle each answer (a letter, √ or ×) in black ink; to change an answer, cross out the "
        "circled one and circle another. Item numbers are those of the paper.",
    ),
    # documents in their own language, national layout (exporters.theory_docx,
    # exporters.print_run; issue 13)
    "doc.section_instruction.judgement": (
        "将判断结果填入括号中。正确的填“√”，错误的填“×”。",
        "Write your judgement in the brackets: √ if true, × if false.",
    ),
    "doc.section_instruction.single": (
        "选择一个正确的答案，将相应的字母填入题内的括号中。",
        "Choose the one correct answer and write its letter in the brackets.",
    ),
    "doc.section_instruction.multiple": (
        "选择正确的答案，将相应的字母填入题内的括号中。错选、少选、多选均不得分。",
        "Choose the correct answers and write their letters in the brackets; a wrong, missing "
        "or extra letter scores nothing.",
    ),
    "doc.seal_region": ("地　　区", "Region"),
    "doc.practical.venue_header": (
        "{occupation}（{level}）操作技能考核考场准备通知单",
        "{occupation} ({level}) practical examination: venue preparation list",
    ),
    "doc.practical.candidate_header": (
        "{occupation}（{level}）操作技能考核考生准备通知单",
        "{occupation} ({level}) practical examination: candidate preparation list",
    ),
    "print.doc.venue_notice": ("考场准备通知单", "venue preparation list"),
    "print.doc.candidate_notice": ("考生准备通知单", "candidate preparation list"),
    "print.col.sha256_short": ("SHA-256（前 16 位）", "SHA-256 (first 16)"),
    # print records (qbank.printing)
    "print.paper_sealed": (
        "试卷 {code} 已封存，数据库中没有它的组卷内容：请先启封，或提供解密后的组卷内容",
        "paper {code} is sealed and its composition is not in the database: open it first or "
        "supply the decrypted composition",
    ),
    "print.not_theory": ("试卷 {code} 不是理论知识试卷", "paper {code} is not a theory paper"),
    "print.not_practical": (
        "试卷 {code} 不是操作技能试卷",
        "paper {code} is not a practical paper",
    ),
    "print.version_missing": (
        "试卷 {code} 的试题 {item}（版本 {version}）不在数据库中",
        "item {item} (version {version}) of paper {code} is not in the database",
    ),
    "print.set_missing": (
        "试卷 {code} 的操作技能试卷 {set}（版本 {version}）不在本题库中",
        "practical set {set} (version {version}) of paper {code} is not in this bank",
    ),
    # --- confidential at rest and age identities (qbank.confidential, qbank.keys; task Z) ---
    "keys.age_exists": (
        "{name} 已有 age 身份密钥，未作任何改动（已封存的试卷仍需要它；确需更换时先把旧文件移出密钥库并妥善保存）",
        "{name} already has an age identity; nothing was changed (sealed papers still need it; to "
        "replace it, first move the old file out of the keystore and keep it safe)",
    ),
    "keys.age_not_found": (
        "密钥库 {keystore} 中没有 {name} 的 age 身份密钥（用 qbank key age-new --person {name} 生成）",
        "no age identity of {name} in keystore {keystore} (create one with qbank key age-new "
        "--person {name})",
    ),
    "keys.identity_unreadable": ("无法读取身份文件 {path}", "cannot read identity file {path}"),
    "keys.bad_identity_file": ("{path} 不是 age 身份文件", "{path} is not an age identity file"),
    "keys.bad_identity_line": (
        "身份文件 {path} 第 {line} 行不是 age X25519 私钥（应为 AGE-SECRET-KEY-1…）",
        "identity file {path} line {line} is not an age X25519 secret key (AGE-SECRET-KEY-1…)",
    ),
    "keys.no_identity": (
        "身份文件 {path} 中没有 age 私钥",
        "identity file {path} holds no age secret key",
    ),
    "keys.identity_encrypted": (
        "身份文件 {path} 已用口令加密，需要口令才能使用",
        "identity file {path} is passphrase-encrypted; its passphrase is needed",
    ),
    "keys.identity_wrong_passphrase": (
        "口令不正确，无法打开身份文件 {path}",
        "wrong passphrase for identity file {path}",
    ),
    "keys.out_exists": ("{path} 已存在，未覆盖", "{path} already exists; not overwritten"),
    "keys.cannot_write": ("无法写入 {path}", "cannot write {path}"),
    "keys.prompt_age_new": (
        "为 {name} 的 age 身份密钥设置口令",
        "passphrase for {name}'s new age identity",
    ),
    "keys.prompt_age_use": ("{name} 的 age 身份密钥口令", "passphrase of {name}'s age identity"),
    "keys.prompt_identity_file": ("身份文件 {path} 的口令", "passphrase of identity file {path}"),
    "keys.age_created": (
        "已为 {name} 生成 age 身份密钥，接收方 {recipient}；私钥已加密保存在 {path}",
        "age identity created for {name}, recipient {recipient}; secret key encrypted in {path}",
    ),
    "keys.age_exported": (
        "已将 {name} 的 age 身份私钥以明文写入 {path}（权限 0600）",
        "{name}'s age identity written in the clear to {path} (mode 0600)",
    ),
    "keys.age_export_warning": (
        "警告：该文件含未加密的私钥，能解开封存的试卷；用完即删，切勿复制、上传或放在数据库旁",
        "warning: this file holds the secret key in the clear and opens sealed papers; delete it "
        "after use, never copy or upload it or keep it beside the database",
    ),
    "keys.age_set": (
        "已登记 {name} 的 age 接收方 {recipient}",
        "age recipient of {name}: {recipient}",
    ),
    "people.col.age_recipient": ("age 接收方", "age recipient"),
    "confidential.identity_required": (
        "试卷 {paper}（编号 {id}，批次 {batch}）已封存，读取它需要本批次保管人员或鉴定中心的 age 身份（--identity 文件 或 --identity-person 姓名）",
        "paper {paper} (id {id}, batch {batch}) is sealed; reading it needs an age identity of "
        "the batch's custody staff or the regulator (--identity FILE or --identity-person NAME)",
    ),
    "confidential.no_matching_identity": (
        "所给的 age 身份都解不开试卷 {paper}（编号 {id}，批次 {batch}）：它只加密给本批次保管人员和鉴定中心（也可能是封存数据被改动），未作任何改动",
        "none of the given age identities opens paper {paper} (id {id}, batch {batch}): it is "
        "encrypted to the batch's custody staff and the regulator only (or its sealed data was "
        "altered); nothing was changed",
    ),
    "confidential.damaged": (
        "试卷 {paper}（编号 {id}，批次 {batch}）的封存数据已损坏、被改动或属于另一份试卷，未作任何改动",
        "the sealed data of paper {paper} (id {id}, batch {batch}) is damaged, altered or belongs "
        "to another paper; nothing was changed",
    ),
    "confidential.commitment_mismatch": (
        "试卷 {paper}（编号 {id}，批次 {batch}）解密所得的组成与封存时的承诺值不符，可能已被篡改，未作任何改动",
        "the decrypted composition of paper {paper} (id {id}, batch {batch}) does not match its "
        "sealing commitment and may have been tampered with; nothing was changed",
    ),
    "confidential.no_staff_recipient": (
        "批次 {batch} 的指定人员都没有 age 接收方，无法封存（先用 qbank key age-new --person 姓名 生成）",
        "no designated person of batch {batch} has an age recipient; cannot seal (create one with "
        "qbank key age-new --person NAME)",
    ),
    "confidential.no_regulator_recipient": (
        "没有鉴定中心（regulator 角色）的 age 接收方作托管，无法封存批次 {batch}（qbank key age-set --person 姓名 --recipient age1…）",
        "no regulator has an age recipient for escrow; cannot seal batch {batch} (qbank key "
        "age-set --person NAME --recipient age1…)",
    ),
    "confidential.no_recipients": ("没有给出任何 age 接收方", "no age recipient given"),
    "confidential.bad_recipient": (
        "“{value}”不是 age X25519 接收方（应为 age1…）",
        "'{value}' is not an age X25519 recipient (age1…)",
    ),
    # --- sealed bundles (qbank.seal, cli/sealing.py; task S) ------------------------------
    "seal.unsafe_name": (
        "文件名“{name}”不安全：不得为空、绝对路径、含“.”或“..”段、反斜杠、盘符或控制字符，也不得是保留名 manifest.json",
        "unsafe file name '{name}': no empty, absolute, '.' or '..' parts, backslashes, drive "
        "letters or control characters, and not the reserved manifest.json",
    ),
    "seal.bad_signature": (
        "签名文件 {file} 无效：{reason}，未写出任何文件",
        "signature file {file} is not valid: {reason}; nothing was written",
    ),
    "seal.signature.malformed": (
        "格式不对（应为 qbank-sealed-bundle/v1 的签名文件）",
        "malformed (expected a qbank-sealed-bundle/v1 signature file)",
    ),
    "seal.signature.invalid": (
        "签名与声明不符（声明或签名被改动）",
        "the signature does not match the statement (one of them was altered)",
    ),
    "seal.signature.other_key": (
        "声明中的签名人指纹与签名所用公钥不符",
        "the statement names another key's fingerprint than the key that signed it",
    ),
    "seal.untrusted_signer": (
        "签名人 {name} 用指纹为 {got} 的密钥签名，但已登记的公钥指纹是 {expected}，未写出任何文件",
        "signer {name} signed with key {got}, but the registered key is {expected}; nothing was "
        "written",
    ),
    "seal.hash_mismatch": (
        "封存包 {file} 的 SHA-256 为 {actual}，与签名声明中的 {expected} 不符（文件被替换、截断或损坏），未写出任何文件",
        "bundle {file} has SHA-256 {actual}, not the signed {expected} (replaced, truncated or "
        "damaged); nothing was written",
    ),
    "seal.decrypt_failed": (
        "无法解密封存包：{reason}，未写出任何文件",
        "cannot decrypt the bundle: {reason}; nothing was written",
    ),
    "seal.decrypt.header": ("age 文件头格式不对", "its age header is malformed"),
    "seal.decrypt.no_match": (
        "所给身份（或口令）都不是它的接收方",
        "none of the given identities (or the passphrase) is one of its recipients",
    ),
    "seal.decrypt.hmac": (
        "age 文件头的校验值不符（文件头被改动）",
        "its age header MAC does not match (the header was altered)",
    ),
    "seal.decrypt.payload": (
        "加密内容被截断或改动",
        "the encrypted payload is truncated or altered",
    ),
    "seal.decrypt.other": ("age 解密出错", "age decryption failed"),
    "seal.decrypt.armored": (
        "它是 ASCII 封装（armor）格式，封存包应为二进制 age 文件",
        "it is ASCII-armored; bundles are binary age files",
    ),
    "seal.decrypt.work_factor": (
        "其口令加密的 scrypt 工作因子超过 2^22，拒绝计算",
        "its scrypt work factor exceeds 2^22; refusing to compute it",
    ),
    "seal.decrypt.needs_identity": (
        "它是加密给 age 公钥的，请用 --identity 给出身份文件，而不是口令",
        "it is encrypted to age recipients: give --identity files, not a passphrase",
    ),
    "seal.decrypt.needs_passphrase": (
        "它是用口令加密的，请用 --passphrase",
        "it is encrypted with a passphrase: use --passphrase",
    ),
    "seal.bad_archive": (
        "封存包解密后的内容不是有效的归档：{reason}，未写出任何文件",
        "the decrypted bundle is not a valid archive: {reason}; nothing was written",
    ),
    "seal.archive.manifest_not_first": (
        "第一个文件应为 manifest.json",
        "its first entry must be manifest.json",
    ),
    "seal.archive.not_a_file": ("{name} 不是普通文件", "{name} is not a regular file"),
    "seal.archive.duplicate": ("{name} 出现了不止一次", "{name} appears more than once"),
    "seal.name_too_long": (
        "文件名“{name}”过长（{size} 字节；每段上限 {part} 字节，全长上限 {total} 字节），未写出任何文件",
        "file name '{name}' is too long ({size} bytes; at most {part} bytes a part and {total} in "
        "all); nothing was written",
    ),
    "seal.name_conflict.file_and_directory": (
        "“{name}”既是文件，又是“{other}”所在的目录，无法同时写出，未写出任何文件",
        "'{name}' is both a file and the directory holding '{other}'; nothing was written",
    ),
    "seal.name_conflict.same_file": (
        "“{name}”与“{other}”只差大小写或 Unicode 写法，在不区分大小写的系统上是同一个文件，未写出任何文件",
        "'{name}' and '{other}' differ only in case or Unicode form, one file on a "
        "case-insensitive disk; nothing was written",
    ),
    "seal.manifest_mismatch": (
        "封存包清单不符：{detail}，未写出任何文件",
        "bundle manifest mismatch: {detail}; nothing was written",
    ),
    "seal.manifest.missing": ("清单所列的 {names} 不在包中", "{names} listed but missing"),
    "seal.manifest.extra": ("包中的 {names} 不在清单中", "{names} present but not listed"),
    "seal.manifest.file": (
        "{name} 的 SHA-256 或大小与清单不符",
        "{name} differs from its manifest SHA-256 or size",
    ),
    "seal.manifest.malformed": (
        "manifest.json 格式不对",
        "manifest.json is malformed",
    ),
    "seal.manifest.not_signed": (
        "包中的 manifest.json 不是签名声明中的那一份",
        "the bundle's manifest.json is not the one the statement signs",
    ),
    "seal.one_mode": (
        "请给出 age 接收方（公钥）或口令，二者只能选其一",
        "give age recipients or a passphrase, exactly one of the two",
    ),
    "seal.empty_passphrase": ("封存口令不能为空", "the bundle passphrase must not be empty"),
    "seal.no_recipients": ("没有给出任何 age 接收方", "no age recipient given"),
    "seal.bad_recipient": (
        "“{recipient}”不是 age X25519 公钥（应为 age1…）",
        "'{recipient}' is not an age X25519 recipient (age1…)",
    ),
    "seal.bad_identity": (
        "所给的不是 age X25519 身份（应为 AGE-SECRET-KEY-1…）",
        "not an age X25519 identity (AGE-SECRET-KEY-1…)",
    ),
    "seal.no_identity": ("没有给出任何 age 身份", "no age identity given"),
    "seal.no_age_recipient": (
        "{name} 没有登记 age 公钥（qbank key age-new --person {name} 或 qbank key age-set）",
        "{name} has no age recipient (qbank key age-new --person {name}, or qbank key age-set)",
    ),
    "seal.not_extractor": (
        "{name} 不是批次 {batch} 指定的提取人（提取人：{names}）",
        "{name} is not a designated extractor of batch {batch} (extractors: {names})",
    ),
    "seal.key_mismatch": (
        "打开的签名密钥（指纹 {fingerprint}）不是 {name} 登记的密钥（{registered}）",
        "the opened signing key ({fingerprint}) is not the key registered for {name} "
        "({registered})",
    ),
    "seal.paper_content_mismatch": (
        "解封被拒绝：{file} 中 {subject} 的内容不能重新算出其版本号 {version}（现为 {actual}），"
        "未写出任何文件",
        "unseal refused: in {file}, the content of {subject} does not re-hash to its version "
        "{version} (it hashes to {actual}); nothing was written",
    ),
    "seal.no_papers": ("批次 {batch} 还没有试卷，无从封存", "batch {batch} has no papers to seal"),
    "seal.out_exists": ("{path} 已存在，不会覆盖", "{path} exists; it is not overwritten"),
    "seal.out_symlink": (
        "输出目录 {path} 是符号链接，不会写入（请给出一个真实的目录）",
        "output directory {path} is a symbolic link; nothing was written (give a real directory)",
    ),
    "seal.out_not_empty": (
        "输出目录 {path} 已存在且不为空",
        "output directory {path} exists and is not empty",
    ),
    "seal.unreadable": ("无法读取文件 {file}", "cannot read file {file}"),
    "seal.prompt_passphrase": ("封存包口令", "bundle passphrase"),
    "seal.papers_sealed": (
        "数据库中的 {papers} 份试卷已转为密文（加密给 {recipients} 个保管接收方），启封前不再以明文保存",
        "{papers} papers in the database are now ciphertext (to {recipients} custody recipients) "
        "until they are opened",
    ),
    "seal.sealed": (
        "已封存批次 {batch}：{bundle}（{files} 个文件，SHA-256 {sha256}）\n签名：{signature}（{signer}）\n接收方：{recipients}",
        "sealed batch {batch}: {bundle} ({files} files, SHA-256 {sha256})\nsignature: "
        "{signature} ({signer})\nrecipients: {recipients}",
    ),
    "seal.unsealed": (
        "签名有效（{signer}，指纹 {fingerprint}），清单相符；已写出 {files} 个文件到 {path}",
        "signature valid ({signer}, key {fingerprint}), manifest matches; wrote {files} files "
        "to {path}",
    ),
    "seal.unpinned_refused": (
        "签名人 {name}（指纹 {fingerprint}）的公钥无从核对：数据库中没有登记，也未给出 --signer-key；"
        "未写出任何文件。确认指纹无误后可加 --allow-unpinned 启封",
        "no pinned key for signer {name} (key {fingerprint}): not registered in the database and "
        "no --signer-key; nothing was written. Check the fingerprint, then use --allow-unpinned "
        "to open it anyway",
    ),
    "seal.unpinned": (
        "注意：没有可核对的签名人公钥（数据库中无此人，也未给出 --signer-key），只核对了签名文件自带的公钥",
        "warning: no known key to pin the signer (not in the database, no --signer-key); only "
        "the key inside the signature file was checked",
    ),
}
