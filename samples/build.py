"""Build the sample bank files from the hand-written sources in `samples/source/`.

The items, knowledge points and practical sets in `source/` were written by hand for this
project (电工 四级/中级工, 6-31-01-03). This script only lays them out in the file formats
institutions use, through qbank's own exporters, so the samples are exactly what a user
would import:

- `electrician-4/tree.xlsx`            鉴定要素细目表 (multi-level, merged-cell style)
- `electrician-4/items.docx`           national Word block layout, answers in brackets
- `electrician-4/items.xlsx`           national Excel layout (题型, 题干, 选项A…, 答案, 知识点…)
- `electrician-4/items-app.csv`        exam-app CSV layout in GB18030, as Excel on Chinese Windows saves
- `electrician-4/practical/*.docx`     six practical paper sets (操作技能考核试卷)
- `electrician-4/practical/*.yaml`     the same sets in the documented YAML form
- `broken/items-broken.xlsx`           a file with deliberate mistakes (see README)

Run: `python samples/build.py` (rewrites the files above; the output is deterministic).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from exporters.items_docx import write_items_docx  # noqa: E402
from exporters.items_xlsx import write_items_csv, write_items_xlsx  # noqa: E402
from exporters.practical_docx import write_practical_docx  # noqa: E402
from exporters.tree_xlsx import write_tree_xlsx  # noqa: E402
from importers.practical import read_practical_data  # noqa: E402
from qbank.records import Importance, ItemRecord, ItemType, Location, TreeNode  # noqa: E402
from qbank.text.normalize import parse_difficulty  # noqa: E402

OCCUPATION_NAME = "电工"
LEVEL = 4
TOP = [
    ("A", "基本要求", 25),
    ("A-A", "职业道德", 5),
    ("A-B", "基础知识", 20),
    ("B", "相关知识", 75),
    ("B-A", "继电控制电路装调维修", 25),
    ("B-B", "电气设备装调维修", 20),
    ("B-C", "自动控制电路装调维修", 20),
    ("B-D", "基本电子电路装调维修", 10),
]
SOURCE_FILES = ["A.yaml", "B-A.yaml", "B-B.yaml", "B-CD.yaml"]


def parent_of(code: str) -> str | None:
    return code.rsplit("-", 1)[0] if "-" in code else None


def load_sources() -> tuple[list[TreeNode], list[ItemRecord]]:
    here = Location("source")
    nodes = [TreeNode(c, n, here, parent=parent_of(c), weight=w) for c, n, w in TOP]
    items: list[ItemRecord] = []
    importance: dict[str, Importance] = {}
    for name in SOURCE_FILES:
        data = yaml.safe_load((ROOT / "source" / "items" / name).read_text(encoding="utf-8"))
        for node in data["tree"]:
            code = node["code"]
            imp = Importance(node["importance"]) if node.get("importance") else None
            if imp:
                importance[code] = imp
            nodes.append(
                TreeNode(
                    code,
                    node["name"],
                    here,
                    parent=parent_of(code),
                    weight=node.get("weight"),
                    importance=imp,
                )
            )
        for raw in data["items"]:
            item_type = ItemType(raw["type"])
            items.append(
                ItemRecord(
                    type=item_type,
                    stem=raw["stem"],
                    answer=raw["answer"],
                    location=here,
                    options={k: str(v) for k, v in (raw.get("options") or {}).items()},
                    knowledge_code=raw["point"],
                    importance=importance.get(raw["point"]),
                    difficulty=parse_difficulty(raw["difficulty"]),
                    explanation=raw.get("explanation"),
                )
            )
    nodes = sorted(nodes, key=lambda n: n.code)
    return nodes, items


BROKEN_HEADER = [
    "题号",
    "题型",
    "题干",
    "选项A",
    "选项B",
    "选项C",
    "选项D",
    "答案",
    "鉴定点",
    "难度",
    "解析",
]
BROKEN_ROWS = [
    # row 2: fine
    [
        1,
        "单项选择题",
        "热继电器在电动机控制电路中主要用作（ ）保护。",
        "短路",
        "过载",
        "失压",
        "欠压",
        "B",
        "B-A-A-001",
        "较易",
        "热继电器反时限动作，用于过载保护。",
    ],
    # row 3: the answer is not among the options
    [
        2,
        "单项选择题",
        "熔断器在电路中主要起（ ）保护作用。",
        "短路",
        "过载",
        "欠压",
        "失压",
        "E",
        "B-A-A-002",
        "易",
        "",
    ],
    # row 4: a single-choice item with two answers
    [
        3,
        "单项选择题",
        "交流接触器铁心上的短路环的作用是（ ）。",
        "减小振动和噪声",
        "增大吸力",
        "减小涡流",
        "防止剩磁",
        "AB",
        "B-A-A-002",
        "中等",
        "",
    ],
    # row 5: a judgement item whose answer is a letter
    [
        4,
        "判断题",
        "电气设备的金属外壳必须可靠接地或接零。",
        "",
        "",
        "",
        "",
        "B",
        "A-B-E-001",
        "易",
        "",
    ],
    # row 6: no stem
    [
        5,
        "多项选择题",
        "",
        "按钮",
        "接触器",
        "行程开关",
        "万能转换开关",
        "ACD",
        "B-A-A-003",
        "中等",
        "",
    ],
    # row 7: no answer
    [
        6,
        "单项选择题",
        "万用表使用完毕，应将转换开关置于（ ）。",
        "电阻挡",
        "交流电压最高挡",
        "直流电流挡",
        "任意挡",
        "",
        "A-B-C-001",
        "易",
        "",
    ],
    # row 8: an item type qbank does not take
    [7, "填空题", "我国工频交流电的频率为______Hz。", "", "", "", "", "50", "A-B-A-003", "易", ""],
    # row 9: a difficulty word that is not on the scale
    [
        8,
        "单项选择题",
        "三相异步电动机的转差率在额定运行时一般为（ ）。",
        "0.01～0.06",
        "0.1～0.3",
        "0.5～0.8",
        "1",
        "A",
        "B-B-B-002",
        "很难",
        "",
    ],
    # row 10: a knowledge-point code that is not in the bank's tree
    [
        9,
        "判断题",
        "PLC的扫描周期与用户程序的长短无关。",
        "",
        "",
        "",
        "",
        "×",
        "B-C-Z-099",
        "较易",
        "",
    ],
    # row 11: the same number as row 2
    [
        1,
        "单项选择题",
        "用兆欧表测量绝缘电阻前，应先对被测设备（ ）。",
        "通电预热",
        "断电并放电",
        "短接接地",
        "测量电压",
        "B",
        "A-B-C-002",
        "易",
        "",
    ],
]


def write_broken(path: Path) -> None:
    """A short national-layout sheet with one mistake per row (see README and BROKEN_ROWS)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "理论试题"
    sheet.append(BROKEN_HEADER)
    for row in BROKEN_ROWS:
        sheet.append(row)
    book.save(path)


def main() -> None:
    out = ROOT / "electrician-4"
    practical_out = out / "practical"
    practical_out.mkdir(parents=True, exist_ok=True)
    nodes, items = load_sources()
    title = f"{OCCUPATION_NAME}（四级/中级工）理论知识试题库"
    write_tree_xlsx(
        nodes, out / "tree.xlsx", title=f"{OCCUPATION_NAME}（四级/中级工）理论知识鉴定要素细目表"
    )
    write_items_docx(items, out / "items.docx", title=title, answers="inline")
    write_items_xlsx(items, out / "items.xlsx", style="national")
    write_items_csv(items, out / "items-app.csv", style="app", encoding="gb18030")
    sets = []
    for source in sorted((ROOT / "source" / "practical").glob("*.yaml")):
        parsed = read_practical_data(source)
        if parsed.problems:
            raise SystemExit("\n".join(str(p) for p in parsed.problems))
        for record in parsed.records:
            write_practical_docx(
                record,
                practical_out / f"{record.code}.docx",
                occupation_name=OCCUPATION_NAME,
                level=LEVEL,
            )
            shutil.copyfile(source, practical_out / source.name)
            sets.append(record.code)
    broken = ROOT / "broken"
    broken.mkdir(exist_ok=True)
    write_broken(broken / "items-broken.xlsx")
    counts = {t.value: sum(1 for i in items if i.type is t) for t in ItemType}
    print(
        f"{len(items)} items {counts}, {sum(1 for n in nodes if n.importance)} points, "
        f"{len(sets)} practical sets"
    )


if __name__ == "__main__":
    main()
