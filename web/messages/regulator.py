"""Texts of the regulator pages: key -> (Simplified Chinese, English)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # --- the landing page ---------------------------------------------------------------
    "web.regulator.heading": ("核验", "Verify"),
    "web.regulator.intro": (
        "核验评价机构交来的材料，不需要评价机构的数据库。上传的文件只在本次请求的临时目录中处理，"
        "处理完即删除。",
        "Verify what an institution hands over, without its database. Uploads are handled in a"
        " temporary folder of this request only and removed when it ends.",
    ),
    "web.regulator.filing.title": ("核验备案包", "Verify a filing package"),
    "web.regulator.filing.about": (
        "上传备案包的 zip 与固定的公钥（评价机构与每位签名的审题专家），逐项查看核验结果与数字",
        "Upload a filing package as a zip with the pinned public keys; see every check and figure",
    ),
    "web.regulator.overlap.title": ("查看查重报告", "View an overlap report"),
    "web.regulator.overlap.about": (
        "上传查重报告 JSON：重复率、相似题组、逐对对照与相似度分布",
        "Upload an overlap report JSON: rate, clusters, pairs side by side, similarities",
    ),
    "web.regulator.custody.title": ("核验保管链导出", "Verify a custody export"),
    "web.regulator.custody.about": (
        "上传保管链导出目录的 zip 与评价机构公钥：结论与每一步的时间线",
        "Upload a custody export as a zip with the institution's key: the verdict and a timeline",
    ),
    # --- the forms ----------------------------------------------------------------------
    "web.regulator.form.package": (
        "备案包（目录的 zip 压缩包）",
        "Filing package (zip of its folder)",
    ),
    "web.regulator.form.export": (
        "保管链导出（qbank custody export 写出的目录的 zip 压缩包）",
        "Custody export (zip of the folder qbank custody export wrote)",
    ),
    "web.regulator.form.key_files": (
        "固定的公钥文件（qbank key export 写出的 .pub，评价机构与每位签名的审题专家各一；"
        "一个文件可含多行）",
        "Pinned public key files (.pub from qbank key export: the institution and each signing"
        " reviewer; one file may hold several lines)",
    ),
    "web.regulator.form.key_text": (
        "或粘贴公钥（每行一个：qbank-ed25519 <公钥> <名称>）",
        "or paste keys (one a line: qbank-ed25519 <key> <name>)",
    ),
    "web.regulator.form.institution_key": (
        "评价机构公钥（.pub 文件，或在下面粘贴那一行）",
        "The institution's public key (.pub file, or paste its line below)",
    ),
    "web.regulator.form.institution_text": ("粘贴评价机构公钥", "Paste the institution's key"),
    "web.regulator.form.checkpoints": (
        "此前收到的检查点（可选；日志须延续它们）",
        "Checkpoints received earlier (optional; the log must extend them)",
    ),
    "web.regulator.form.pin_note": (
        "公钥须另行取得并核对完整 SHA-256 指纹；不要使用随材料一起收到的公钥。",
        "Obtain keys separately and compare full SHA-256 fingerprints; never use keys that came"
        " with the material.",
    ),
    "web.regulator.form.submit": ("核验", "Verify"),
    # --- upload refusals ----------------------------------------------------------------
    "web.regulator.upload.missing": ("请选择要上传的{what}", "choose the {what} to upload"),
    "web.regulator.upload.what_package": ("备案包 zip", "filing package zip"),
    "web.regulator.upload.what_export": ("保管链导出 zip", "custody export zip"),
    "web.regulator.upload.not_zip": (
        "上传的 {name} 不是 zip 压缩包，未读取",
        "the uploaded {name} is not a zip file; not read",
    ),
    "web.regulator.upload.link": (
        "上传的 {name} 中的 {member} 是符号链接，已拒绝（压缩包只能包含普通文件）",
        "{member} in the uploaded {name} is a symbolic link; refused (only plain files allowed)",
    ),
    "web.regulator.upload.unreadable": (
        "上传的 {name} 无法读取：{reason}",
        "{name} could not be read: {reason}",
    ),
    "web.regulator.upload.key_too_large": (
        "公钥文件 {name} 超过 {limit} 字节，不是 qbank key export 写出的文件",
        "key file {name} is over {limit} bytes; not a file qbank key export writes",
    ),
    "web.regulator.upload.bad_key": (
        "{source} 第 {line} 行不是公钥：应为一行“qbank-ed25519 <公钥> <名称>”",
        "line {line} of {source} is not a public key: expected 'qbank-ed25519 <key> <name>'",
    ),
    "web.regulator.upload.empty_key": (
        "{source} 中没有公钥",
        "{source} holds no public key",
    ),
    "web.regulator.upload.one_key": (
        "评价机构公钥只能有一个（{count} 个已给出）",
        "give exactly one institution key ({count} given)",
    ),
    "web.regulator.upload.pasted": ("粘贴的文本", "the pasted text"),
    "web.regulator.upload.unnamed": ("上传的文件", "the uploaded file"),
    # --- the filing verdict -------------------------------------------------------------
    "web.regulator.verdict": ("结论", "Verdict"),
    "web.regulator.package_name": ("备案包", "Package"),
    "web.regulator.checklist": ("核验清单", "Checklist"),
    "web.regulator.col.step": ("步骤", "Step"),
    "web.regulator.col.what": ("核验内容", "What is checked"),
    "web.regulator.col.result": ("结果", "Result"),
    "web.regulator.col.detail": ("数字与说明", "Figures and detail"),
    "web.regulator.signers": ("签名人与公钥", "Signers and their keys"),
    "web.regulator.col.name": ("姓名", "Name"),
    "web.regulator.col.role": ("角色", "Role"),
    "web.regulator.col.fingerprint": ("公钥 SHA-256 指纹", "Key SHA-256 fingerprint"),
    "web.regulator.col.pinned_by": ("固定依据", "Pinned by"),
    "web.regulator.not_pinned": ("未固定", "not pinned"),
    "web.regulator.trusted": ("本次使用的固定公钥", "Pinned keys used"),
    "web.regulator.col.source": ("来源", "Source"),
    "web.regulator.no_trusted": ("未给出固定公钥", "no pinned keys given"),
    "web.regulator.untrusted": (
        "核验未通过（INVALID）：上列签名人的公钥未经固定。请与评价机构另行核对完整指纹，"
        "再上传其公钥；任何人都能用自己的密钥签出一个自洽的备案包",
        "NOT verified (INVALID): the signers above have no pinned key. Compare the full"
        " fingerprints with the institution out of band, then upload their keys; anyone can"
        " sign a self-consistent package with keys of their own",
    ),
    "web.regulator.step.index": (
        "签名索引与公钥清单的格式",
        "signature index and key list are well formed",
    ),
    "web.regulator.step.signatures": (
        "索引签名有效（评价机构与至少一位审题专家）",
        "index signatures verify (the institution and a reviewer)",
    ),
    "web.regulator.step.keys": ("每位签名人的公钥均经固定", "every signer's key is pinned"),
    "web.regulator.step.files": ("每个文件的 SHA-256 与索引一致", "every file's SHA-256 matches"),
    "web.regulator.step.merkle_root": (
        "manifest 的 Merkle 根可重新算出",
        "the Merkle root re-derives",
    ),
    "web.regulator.step.items": (
        "items.jsonl 与 manifest 的试题版本一致",
        "items.jsonl holds the manifest's versions",
    ),
    "web.regulator.step.bank.xlsx": (
        "bank.xlsx 的试题与版本一致",
        "bank.xlsx hashes to the versions",
    ),
    "web.regulator.step.practical": (
        "操作技能试题集与版本一致",
        "practical sets hash to their versions",
    ),
    "web.regulator.step.tree": (
        "鉴定要素细目表与版本一致",
        "the knowledge tree hashes to its version",
    ),
    "web.regulator.step.reviews": (
        "每个版本都有非命题人的签名审核通过",
        "each version approved and signed by a reviewer who is not its author",
    ),
    "web.regulator.step.overlap-theory": (
        "理论题重复率报告可重新算出",
        "the theory overlap report re-derives",
    ),
    "web.regulator.step.overlap-practical": (
        "操作技能试卷两两重复率报告可重新算出",
        "the practical overlap report re-derives",
    ),
    # --- the custody verdict ------------------------------------------------------------
    "web.regulator.custody.batch": ("批次", "Batch"),
    "web.regulator.custody.origin": ("日志名称", "Log origin"),
    "web.regulator.custody.site": ("考点与日期", "Site and date"),
    "web.regulator.custody.layout_signer": ("布局签名人（评价机构）", "Layout signed by"),
    "web.regulator.custody.pinned": ("已用给出的公钥固定", "pinned by the key given"),
    "web.regulator.custody.not_pinned": ("未给出评价机构公钥", "no institution key given"),
    "web.regulator.custody.entries": (
        "已核验 {verified} / {total} 条记录",
        "{verified} of {total} entries verified",
    ),
    "web.regulator.custody.timeline": ("保管链时间线", "Custody timeline"),
    "web.regulator.col.position": ("序号", "#"),
    "web.regulator.col.person": ("签署人", "Person"),
    "web.regulator.col.time": ("时间（UTC）", "Time (UTC)"),
    "web.regulator.col.materials": ("接收", "Materials"),
    "web.regulator.col.products": ("交出", "Products"),
    "web.regulator.col.state": ("核验", "Checked"),
    "web.regulator.state.ok": ("通过", "ok"),
    "web.regulator.state.failed": ("不通过", "FAILED"),
    "web.regulator.state.unchecked": ("未核验", "not checked"),
    "web.regulator.state.unreadable": ("无法读取", "unreadable"),
    "web.regulator.custody.nothing": ("（无）", "(none)"),
    "web.regulator.custody.more": (
        "另有 {count} 条记录未列出",
        "{count} more entries not listed",
    ),
    "web.regulator.custody.empty": ("日志中没有记录", "the log has no entries"),
    "web.regulator.again": ("再核验一个", "Verify another"),
}
