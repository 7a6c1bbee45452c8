"""Texts of the frame every page shares (navigation, sign-in, errors): key -> (zh, en)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "web.title": ("qbank 题库工作台", "qbank workspace"),
    "web.nav.home": ("首页", "Home"),
    "web.nav.review": ("审核", "Review"),
    "web.nav.regulator": ("核验", "Verify"),
    "web.nav.staff": ("考务批次", "Batches"),
    "web.nav.logout": ("退出", "Sign out"),
    "web.signed_in_as": ("{name}（{roles}）", "{name} ({roles})"),
    "web.role.expert": ("命题专家", "expert"),
    "web.role.reviewer": ("审题专家", "reviewer"),
    "web.role.staff": ("考务人员", "staff"),
    "web.role.regulator": ("鉴定中心/督导员", "regulator"),
    "web.role.institution": ("评价机构", "institution"),
    "web.home.heading": ("工作台", "Workspace"),
    "web.home.review": (
        "审核题库：逐题审阅、签名通过或不通过、处理相似试题",
        "Review banks: read, sign, resolve near-duplicates",
    ),
    "web.home.regulator": (
        "核验备案包、查重报告和保管链导出",
        "Verify filing packages, overlap reports and custody exports",
    ),
    "web.home.staff": (
        "考试批次的指定人员与保管链进度",
        "Exam batches, designated staff and custody progress",
    ),
    "web.home.nothing": ("您的角色没有可用的页面。", "Your roles have no pages here."),
    "web.login.heading": ("登录", "Sign in"),
    "web.login.name": ("姓名", "Name"),
    "web.login.password": ("密码", "Password"),
    "web.login.submit": ("登录", "Sign in"),
    "web.login.failed": ("姓名或密码不正确", "wrong name or password"),
    "web.login.locked": (
        "登录失败次数过多，请 {minutes} 分钟后再试",
        "too many failed sign-ins; try again in {minutes} minutes",
    ),
    "web.login.token_only": (
        "请用 qbank serve 启动时显示的链接进入（链接只能使用一次；重新启动可得到新链接）",
        "open the link qbank serve printed when it started (it works once; restart for a new one)",
    ),
    "web.auth.bad_token": ("链接无效或已使用过", "this link is not valid or was already used"),
    "web.error.heading": ("无法完成", "Not done"),
    "web.error.unauthenticated": ("请先登录", "please sign in first"),
    "web.error.forbidden_role": (
        "您没有访问此页所需的角色（需要：{roles}）",
        "you lack the role this page needs ({roles})",
    ),
    "web.error.csrf": (
        "表单已失效，请返回刷新页面后重试",
        "the form has expired; go back, reload and try again",
    ),
    "web.error.origin": ("请求来源不符，已拒绝", "request from another origin refused"),
    "web.error.not_found": ("没有这个页面", "no such page"),
    "web.error.too_large": ("上传的内容超过 {limit}", "the upload is larger than {limit}"),
    "web.error.bad_form": ("表单内容无法读取：{reason}", "the form could not be read: {reason}"),
    "web.error.back": ("返回", "Back"),
    "web.sign.passphrase": (
        "签名口令（只用于本次签名，不保存）",
        "signing passphrase (used for this signature only, never kept)",
    ),
    "web.sign.locked": (
        "口令错误次数过多，请 {minutes} 分钟后再试",
        "too many wrong passphrases; try again in {minutes} minutes",
    ),
    "web.page.prev": ("上一页", "Previous"),
    "web.page.next": ("下一页", "Next"),
    "web.page.of": (
        "第 {page} / {pages} 页，共 {total} 条",
        "page {page} of {pages}, {total} in all",
    ),
}
