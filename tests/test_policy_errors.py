"""A bad policy, in a profile file or embedded in an overlap report, is a user error.

Its messages name the policy key at fault in a parameter called `key`, the same name as the
catalogue key `QbankError` takes first; this once ended in `TypeError: … multiple values for
argument 'key'` instead of the message. Driven through the CLI: exit 1, the message, no
traceback.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli.main import cli
from qbank.errors import InvalidInput, QbankError
from qbank.policy import DEFAULT_PROFILE

OCC = ["--occupation", "6-31-01-03", "--level", "4"]
NEW = ["--create", "--occupation-name", "电工"]
SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "electrician-4"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def profile(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_PROFILE.read_text("utf-8")
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    """A bank of the sample's first 20 items and the overlap report `overlap check` wrote."""
    folder = tmp_path_factory.mktemp("policy-report")
    db = f"sqlite:///{folder / 'qbank.db'}"
    sample = (SAMPLES / "items-app.csv").read_bytes().split(b"\n")
    (folder / "items.csv").write_bytes(b"\n".join(sample[:21]) + b"\n")
    assert run("import", "items", str(folder / "items.csv"), *OCC, *NEW, "--db", db)[0] == 0
    out = folder / "report.json"
    assert run("overlap", "check", *OCC, "--out", str(out), "--db", db)[0] == 0
    return db, json.loads(out.read_text("utf-8"))


def test_a_message_parameter_may_be_called_key() -> None:
    error = InvalidInput("policy.missing", file="p.toml", key="bank.min_theory_items")
    assert (error.key, error.params["key"]) == ("policy.missing", "bank.min_theory_items")
    assert str(error) == "政策文件 p.toml 缺少 bank.min_theory_items（需要 value 和 source）"
    assert str(QbankError("policy.bad_value", file="f", key="k", value=2)).startswith("政策文件 f")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "[bank.min_theory_items]\nvalue = 500",
            "[bank.min_theory_items]\nworth = 500",
            "错误：政策文件 bad.toml 缺少 bank.min_theory_items（需要 value 和 source）\n",
        ),
        (
            "[overlap.max_repetition]\nvalue = 0.30",
            "[overlap.max_repetition]\nvalue = 1.5",
            "错误：政策文件 bad.toml 中 overlap.max_repetition 的取值 1.5 不合理\n",
        ),
    ],
    ids=["missing", "out-of-range"],
)
def test_bank_check_with_a_bad_policy_file(
    sqlite_url: str, tmp_path: Path, old: str, new: str, message: str
) -> None:
    bad = profile(tmp_path, old, new)
    code, output = run("bank", "check", *OCC, "--policy", str(bad), "--db", sqlite_url)
    assert (code, output) == (1, message)


@pytest.mark.parametrize(
    ("name", "entry"),
    [("num_perm", None), ("title", None), ("seed", {"value": "x", "source": "edited"})],
    ids=["missing-value", "missing-title", "not-a-number"],
)
def test_overlap_verify_of_a_report_with_a_bad_policy(
    checked: tuple[str, dict[str, Any]], tmp_path: Path, name: str, entry: object
) -> None:
    db, report = checked
    code, output = run("overlap", "verify", str(_report(tmp_path, report)), "--db", db)
    assert code == 0, output  # the report as written verifies

    policy = copy.deepcopy(report["policy"])
    if entry is None:
        del policy[name]
    else:
        policy[name] = entry
    code, output = run(
        "overlap", "verify", str(_report(tmp_path, {**report, "policy": policy})), "--db", db
    )
    assert code == 1
    assert output.startswith("错误：") and name in output and output.count("\n") == 1, output


def _report(folder: Path, report: dict[str, Any]) -> Path:
    path = folder / "report.json"
    path.write_text(json.dumps(report, ensure_ascii=False), "utf-8")
    return path
