"""Official documents are in their own language (Chinese), whatever the operator's.

Every document of a print run is rendered with `QBANK_LANG=en` and `--lang en` in force
(set_language("en")): each carries its Chinese labels and none of the English ones of the
message catalogue. An English document is still there when asked for by name (`lang="en"`).
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from lxml import etree
from print_samples import print_run

from exporters.print_run import ALL_KINDS, PRINT_LIST_XLSX, render_print_run
from qbank.i18n import set_language, tr
from qbank.messages import CATALOGUE

CHINESE_LABELS = {
    "试卷-A.docx": [
        "绝密★启用前",
        "考 生 答 题 不 准 超 过 此 线",
        "地　　区",
        "准考证号",
        "注　意　事　项",
        "题　号",
        "统分人",
        "评分人",
        "将判断结果填入括号中。",
        "第 ",
        " 页 共 ",
    ],
    "答题卡-A.docx": ["答题卡", "姓　　名", "作答说明", "第 "],
    "参考答案-A.docx": ["参考答案及评分标准", "题号", "答案", "评分标准：", "附：试题解析", "指纹"],
    "操作技能试卷-P.docx": ["考生须知", "操作技能考核试题", "考核要求：", "配分：", "第 "],
    "考场准备通知单-P.docx": ["考场准备通知单", "序号", "规格型号", "数量", "备注", "第 "],
    "考生准备通知单-P.docx": ["考生准备通知单", "序号", "名称", "第 "],
    "评分记录表-P.docx": ["评分要素", "评分标准", "扣分", "得分", "考评员（签名）", "核分人"],
    PRINT_LIST_XLSX: ["试卷印制清单", "印制人（签名）", "核对人（签名）", "份号", "流水号", "第 "],
}


def english_fragments() -> set[str]:
    """Words of the English labels of every document (doc.*, print.*): the text between a
    template's placeholders, where it has a word of four letters and is not Chinese too."""
    fragments = set()
    for key, (zh, en) in CATALOGUE.items():
        if not key.startswith(("doc.", "print.")) or en == zh:
            continue
        for part in re.split(r"\{[^}]*\}", en):
            part = part.strip(" .,;:()")
            if re.search(r"[A-Za-z]{4}", part) and part not in zh:
                fragments.add(part)
    return fragments


def visible_text(name: str, data: bytes) -> str:
    """The text a reader sees: the Word body, headers and footers (text boxes included), or
    the workbook's sheets, shared strings and page footers."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = [
            n
            for n in archive.namelist()
            if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml|xl/.*\.xml", n)
        ]
        return "\n".join("".join(etree.fromstring(archive.read(n)).itertext()) for n in parts)


@pytest.fixture(scope="module")
def documents() -> dict[str, bytes]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QBANK_LANG", "en")
        set_language("en")
        try:
            assert tr("doc.secret") == "CONFIDENTIAL until the examination starts"
            return render_print_run(print_run(), copies=2, kinds=ALL_KINDS)
        finally:
            set_language(None)


@pytest.mark.parametrize("name", sorted(CHINESE_LABELS))
def test_every_document_is_chinese_under_an_english_cli(
    documents: dict[str, bytes], name: str
) -> None:
    text = visible_text(name, documents[name])
    missing = [label for label in CHINESE_LABELS[name] if label not in text]
    assert missing == []
    leaked = sorted(f for f in english_fragments() if f in text)
    assert leaked == []


def test_the_notices_and_the_list_cover_every_document(documents: dict[str, bytes]) -> None:
    assert set(CHINESE_LABELS) == {n for n in documents if n != "print-list.json"}


def test_an_english_set_only_when_asked_for_by_name() -> None:
    documents = render_print_run(print_run(), copies=1, kinds=("paper", "notices"), lang="en")
    paper = visible_text("试卷-A.docx", documents["试卷-A.docx"])
    assert "Instructions" in paper and "注　意　事　项" not in paper
    assert {"Instructions", "Page", "CONFIDENTIAL until the examination starts"} <= {
        f for f in english_fragments() if f in paper
    }  # what the other tests look for and do not find
    assert "Venue preparation list" in visible_text("v", documents["考场准备通知单-P.docx"])
    assert "Print list" in visible_text(PRINT_LIST_XLSX, documents[PRINT_LIST_XLSX])


def test_tr_renders_a_named_language_whatever_the_current_one() -> None:
    set_language("en")
    assert tr("doc.secret", lang="zh") == "绝密★启用前"
    assert tr("doc.secret") == "CONFIDENTIAL until the examination starts"
    assert tr("doc.page_of", lang="zh", page=1, pages=2) == "第 1 页 共 2 页"
    with pytest.raises(ValueError):
        tr("doc.secret", lang="fr")
