"""rjieba (production) cuts exactly as jieba (reference): the sample bank, thousands of generated
texts of every awkward kind, the dictionary quirks jieba-rs reads differently; reports made with
one engine verify with the other; without rjieba, jieba is used and said so once."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import rjieba
import yaml
from click.testing import CliRunner
from conftest import ROOT, SAMPLES
from test_overlap_scopes import COPIES, DISTINCT, OCC, checked_bank_file

from cli.main import cli
from qbank.bank import ensure_bank
from qbank.db import Database
from qbank.items import import_items
from qbank.overlap.checks import check_theory
from qbank.overlap.document import OverlapReport
from qbank.overlap.verification import verify_report
from qbank.policy import load_policy
from qbank.text.normalize import fold_text
from qbank.text.tokens import Tokenizer, _jieba_dictionary, default_tokenizer

ITEMS_DIR = SAMPLES / "source" / "items"


@pytest.fixture(scope="module")
def fast() -> Tokenizer:
    tok = default_tokenizer("rjieba")
    assert tok.engine == "rjieba"
    return tok


@pytest.fixture(scope="module")
def reference() -> Tokenizer:
    return default_tokenizer("jieba")


def sample_texts() -> list[tuple[str, list[str]]]:
    items = []
    for path in sorted(ITEMS_DIR.glob("*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["items"]:
            items.append((item["stem"], [str(o) for o in (item.get("options") or {}).values()]))
    assert len(items) > 100
    return items


def test_identity_records_both_and_keys_alike(fast: Tokenizer, reference: Tokenizer) -> None:
    assert fast.identity == reference.identity and fast.identity.key == reference.identity.key
    assert fast.identity.engine == f"rjieba {rjieba_version()}"
    assert reference.identity.engine.startswith("jieba 0.42")
    assert fast.identity.record() == {**fast.identity.as_dict(), "engine": fast.identity.engine}
    assert "engine" not in fast.identity.as_dict()


def rjieba_version() -> str:
    from importlib.metadata import version

    return version("rjieba")


def test_sample_bank_cuts_identically(fast: Tokenizer, reference: Tokenizer) -> None:
    for stem, options in sample_texts():
        for text in (stem, *options):
            folded = fold_text(text)
            assert fast.cut(folded) == reference.cut(folded), text
        assert fast.item_tokens(stem, options) == reference.item_tokens(stem, options)


# --- generated texts -----------------------------------------------------------------------

RARE_RANGES = [
    (0x3400, 0x4DBF),  # CJK Extension A
    (0x9FD6, 0x9FFF),  # the end of the URO, past jieba's U+9FD5
    (0xFA0E, 0xFA29),  # unified ideographs in the compatibility block (NFKC keeps them)
    (0x20000, 0x2A6DF),  # Extension B
    (0x2A700, 0x2EBEF),  # Extensions C-F
    (0x2E80, 0x2FDF),  # radicals
    (0x3000, 0x303F),  # CJK symbols and punctuation
]
UNITS = [
    "kV",
    "mA",
    "μA",
    "℃",
    "°C",
    "m²",
    "mm²",
    "Ω",
    "kΩ",
    "μF",
    "Hz",
    "kHz",
    "r/min",
    "kW·h",
    "N·m",
    "%",
    "‰",
    "㎡",
    "㎏",
    "㎜",
    "cm³",
    "L/min",
    "dB",
]
FORMULAS = [
    "H2O",
    "CO2",
    "U=IR",
    "P=UI",
    "I=U/R",
    "sin30°",
    "cos(φ)",
    "1/2",
    "x^2",
    "a+b=c",
    "≥",
    "≤",
    "±",
    "≈",
    "√3",
    "π",
    "3.14",
    "1,000",
    "-5",
    "C#",
    "C++",
    "A&B",
    "e-mail",
    "v1.2.3",
    "50%",
    "__init__",
    "f(x)=2x+1",
    "ΔU",
    "Σ",
    "∫",
    "∞",
    "10^-6",
    "1e-3",
    "0.5mm",
    "220V/380V",
]
FULL_WIDTH = [
    "ＡＢＣ",
    "１２３",
    "ｋＶ",
    "ＰＬＣ",
    "（",
    "）",
    "［",
    "］",
    "＋－＝",
    "％",
    "．",
    "／",
    "ｶﾞ",
    "Ⅱ",
    "Ⅳ",
    "①",
    "⑵",
    "½",
    "ﬁ",
]
PUNCTUATION = list("，。、；：？！“”‘’《》【】—…·!?()[]{}<>|~`@$^*=\\/'\"#&_.-+")
SPACES = [" ", "\t", "\n", "\r\n", "\u3000", "\u200b", "\xa0", "\u2028"]
OTHER_SCRIPTS = ["α", "β", "Ω", "Привет", "かな", "カタカナ", "한국어", "é", "ß", "😀", "\u0301"]


def _generator(rng: random.Random, words: list[str]) -> dict[str, Callable[[], str]]:
    def letters(alphabet: str) -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8)))

    def rare() -> str:
        lo, hi = rng.choice(RARE_RANGES)
        return chr(rng.randint(lo, hi))

    return {
        "digits": lambda: str(rng.randint(0, 10 ** rng.randint(1, 9))),
        "latin": lambda: letters("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
        "units": lambda: rng.choice(UNITS),
        "formulas": lambda: rng.choice(FORMULAS),
        "full-width": lambda: rng.choice(FULL_WIDTH),
        "rare characters": rare,
        "punctuation": lambda: rng.choice(PUNCTUATION),
        "spaces": lambda: rng.choice(SPACES),
        "other scripts": lambda: rng.choice(OTHER_SCRIPTS),
        "single hanzi": lambda: chr(rng.randint(0x4E00, 0x9FD5)),
    }


def generated_texts(count_per_kind: int, seed: int = 20261203) -> dict[str, list[str]]:
    """Per kind of awkward input, texts mixing it with dictionary words (seeded, so stable)."""
    rng = random.Random(seed)
    words = [
        line.split(" ", 1)[0]
        for line in _jieba_dictionary().read_text(encoding="utf-8").splitlines()
    ]
    kinds = _generator(rng, words)
    names = list(kinds)
    texts: dict[str, list[str]] = {}
    for name in names:
        batch = []
        for _ in range(count_per_kind):
            parts = []
            for _ in range(rng.randint(1, 24)):
                roll = rng.random()
                if roll < 0.45:
                    parts.append(kinds[name]())
                elif roll < 0.9:
                    parts.append(rng.choice(words))
                else:
                    parts.append(kinds[rng.choice(names)]())
            batch.append("".join(parts))
        texts[name] = batch
    return texts


def test_generated_texts_cut_identically(fast: Tokenizer, reference: Tokenizer) -> None:
    texts = generated_texts(350)
    assert sum(map(len, texts.values())) >= 3000
    for kind, batch in texts.items():
        different = [t for t in batch if fast.cut(fold_text(t)) != reference.cut(fold_text(t))]
        assert not different, (kind, different[:3])
        unfolded = [t for t in batch if fast.cut(t) != reference.cut(t)]  # the cut alone
        assert not unfolded, (kind, unfolded[:3])
        assert [fast.tokens(t) for t in batch] == [reference.tokens(t) for t in batch], kind


# --- where jieba-rs reads jieba's input differently, and how the tokenizer makes up for it ---


def _naive(dictionary: Path) -> rjieba.Jieba:
    """rjieba fed the dictionary's lines as they come: what qbank does not do."""
    engine: rjieba.Jieba = rjieba.Jieba.empty()  # type: ignore[no-untyped-call]  # rjieba's stub
    for line in dictionary.read_text(encoding="utf-8").splitlines():
        word, freq, *_ = line.split(" ")
        engine.add_word(word, int(freq), None)
    return engine


def _both(dictionary: Path) -> tuple[Tokenizer, Tokenizer]:
    return (
        Tokenizer(dictionary=dictionary, engine="rjieba"),
        Tokenizer(dictionary=dictionary, engine="jieba"),
    )


def test_repeated_dictionary_lines_count_towards_the_total(tmp_path: Path) -> None:
    """jieba adds every line's frequency to the total (jieba's own dict.txt repeats `B超`),
    jieba-rs only the surviving one; the total scales every word, so it changes cuts."""
    path = tmp_path / "dict.txt"
    path.write_text("输入 100 n\n电压 100 n\n输入电压 1 n\n甲 5000 n\n甲 5000 n\n", "utf-8")
    fast, reference = _both(path)
    # 1 * total > 100 * 100 exactly when the total counts both lines of 甲 (10201, not 5201).
    assert reference.cut("输入电压") == ["输入电压"]
    assert _naive(path).cut("输入电压", False) == ["输入", "电压"]
    assert fast.cut("输入电压") == ["输入电压"]
    default = _jieba_dictionary().read_text(encoding="utf-8").splitlines()
    assert sum(1 for line in default if line.startswith("B超 ")) == 2


def test_words_of_frequency_zero_are_never_cut(tmp_path: Path) -> None:
    path = tmp_path / "dict.txt"
    path.write_text("输入电压 0 n\n电压 10 n\n", "utf-8")
    fast, reference = _both(path)
    assert reference.cut("输入电压") == ["输", "入", "电压"]
    assert _naive(path).cut("输入电压", False) == ["输入电压"]
    assert fast.cut("输入电压") == ["输", "入", "电压"]


def test_ideographs_jieba_does_not_cut_split_the_text(tmp_path: Path) -> None:
    """jieba's runs end at U+9FD5; jieba-rs also takes in Extension A-F and U+9FD6-U+9FFF, so
    a dictionary word holding one would be cut by it alone, and sums along a run could round
    differently across such a character."""
    path = tmp_path / "dict.txt"
    path.write_text("㐀电 1000 n\n电压 10 n\n安全 10 n\n", "utf-8")
    fast, reference = _both(path)
    text = "安全㐀电压𠀀安全\U0002a700a1 \r\n,"
    assert reference.cut(text) == [
        *("安全", "㐀", "电压", "𠀀", "安全", "\U0002a700", "a1", " ", "\r\n", ",")
    ]
    assert _naive(path).cut(text, False)[:2] == ["安全", "㐀电"]
    assert fast.cut(text) == reference.cut(text)


# --- reports and verification across engines ---------------------------------------------


def _store(db: Database) -> None:
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        import_items(session, bank, DISTINCT + COPIES, source="t.xlsx", actor="tester")


def _check(db: Database, tokenizer: Tokenizer) -> OverlapReport:
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        report = check_theory(session, bank, load_policy(), actor="tester", tokenizer=tokenizer)
    return OverlapReport.from_json(json.loads(json.dumps(report.to_json())))


def _verified(db: Database, report: OverlapReport, tokenizer: Tokenizer) -> dict[str, bool]:
    with db.transaction() as session:
        result = verify_report(session, report, tokenizer=tokenizer)
    return {c.figure: c.ok for c in result.checks}


def test_a_report_made_with_one_engine_verifies_with_the_other(
    db: Database, fast: Tokenizer, reference: Tokenizer
) -> None:
    _store(db)
    made_fast, made_reference = _check(db, fast), _check(db, reference)
    assert made_fast.tokenizer.engine == fast.identity.engine
    assert made_reference.tokenizer.engine == reference.identity.engine
    assert made_fast.tokenizer.cuts() == made_reference.tokenizer.cuts()
    for report in (made_fast, made_reference):
        for tokenizer in (fast, reference):
            assert all(_verified(db, report, tokenizer).values())
    # A report from before engines were recorded (no `engine`) reads and verifies.
    old = made_fast.to_json()
    old["tokenizer"] = {k: v for k, v in made_fast.tokenizer.to_json().items() if k != "engine"}
    parsed = OverlapReport.from_json(old)
    assert parsed.tokenizer.engine is None and parsed.to_json() == old
    assert all(_verified(db, parsed, fast).values())
    # What decides the cuts is still checked.
    forged = made_fast.to_json()
    forged["tokenizer"] = {**made_fast.tokenizer.to_json(), "dictionary_sha256": "0" * 64}
    assert _verified(db, OverlapReport.from_json(forged), reference)["tokenizer"] is False


def _verify_in_subprocess(args: list[str]) -> subprocess.CompletedProcess[str]:
    """The CLI in a process where rjieba cannot be imported."""
    code = "import sys\nsys.modules['rjieba'] = None\nfrom cli.main import cli\ncli(sys.argv[1:])\n"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT
    )


def test_cli_verifies_with_either_engine_and_says_once_when_rjieba_is_missing(
    tmp_path: Path, sqlite_url: str
) -> None:
    path, out = checked_bank_file(tmp_path, sqlite_url)
    runner = CliRunner()
    assert json.loads(out.read_text("utf-8"))["tokenizer"]["engine"].startswith("rjieba ")
    verify = ["--lang", "en", "overlap", "verify", str(out), "--items", str(path), "--json"]
    for engine in ("jieba", "rjieba"):
        done = runner.invoke(cli, [*verify, "--tokenizer", engine])
        assert done.exit_code == 0 and json.loads(done.stdout)["ok"] is True, done.output
        assert done.stderr == ""
    fallback = _verify_in_subprocess([*verify, "--tokenizer", "rjieba"])
    assert fallback.returncode == 0 and json.loads(fallback.stdout)["ok"] is True
    assert fallback.stderr.count("rjieba could not be loaded") == 1, fallback.stderr
    assert "tokenising with jieba instead" in fallback.stderr


def test_without_rjieba_the_tokenizer_is_jieba_with_the_same_identity(fast: Tokenizer) -> None:
    code = (
        "import sys\n"
        "sys.modules['rjieba'] = None\n"
        "from qbank.text.tokens import Tokenizer\n"
        "a, b = Tokenizer(), Tokenizer(engine='rjieba')\n"
        "print(a.engine, b.engine, a.identity.key, a.tokens('输入电压220V'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    engine_a, engine_b, key, tokens = done.stdout.split(" ", 3)
    assert (engine_a, engine_b, key) == ("jieba", "jieba", fast.identity.key)
    assert tokens.strip() == str(fast.tokens("输入电压220V"))
    # One notice for the process, not one per tokenizer.
    assert done.stderr.startswith("未能加载 rjieba") and len(done.stderr.splitlines()) == 1


def test_a_malformed_dictionary_is_refused_by_both(tmp_path: Path) -> None:
    path = tmp_path / "dict.txt"
    path.write_text("输入 100 n\n\n电压 100 n\n", "utf-8")  # jieba refuses a blank line
    for tok in _both(path):
        with pytest.raises(ValueError):
            tok.tokens("输入电压")


def test_rjieba_is_found_without_importing_it_and_a_broken_build_cuts_with_jieba(
    tmp_path: Path, fast: Tokenizer
) -> None:
    identity_only = (
        "import sys\n"
        "from qbank.text.tokens import Tokenizer\n"
        "t = Tokenizer()\n"
        "print(t.engine, t.identity.engine.split()[0], 'rjieba' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", identity_only], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.split() == ["rjieba", "rjieba", "False"] and done.stderr == ""
    # Installed (its metadata is there) but its module cannot be imported: one notice, the
    # reference's cuts.
    (tmp_path / "rjieba.py").write_text("raise ImportError('broken build')\n", "utf-8")
    cut = (
        "from qbank.text.tokens import Tokenizer\n"
        "a, b = Tokenizer(), Tokenizer()\n"
        "print(a.tokens('输入电压220V'), b.tokens('输入电压220V'))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-c", cut], capture_output=True, text=True, check=True, cwd=ROOT, env=env
    )
    expected = str(fast.tokens("输入电压220V"))
    assert done.stdout.strip() == f"{expected} {expected}"
    assert done.stderr.count("未能加载 rjieba（broken build）") == 1, done.stderr
