"""A bad policy, in a profile file or embedded in an overlap report, is a user error.

Its messages name the policy key at fault in a parameter called `key`, the same name as the
catalogue key `QbankError` takes first; this once ended in `TypeError: … multiple values for
argument 'key'` instead of the message. Driven through the CLI: exit 1, the message, no
traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from qbank.errors import InvalidInput, QbankError
from qbank.policy import DEFAULT_PROFILE, load_policy

OCC = ["--occupation", "6-31-01-03", "--level", "4"]


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


def report(tmp_path: Path, name: str, entry: object) -> Path:
    """An overlap report embedding the default policy with `name` set to `entry` (None: left
    out)."""
    policy = load_policy().as_dict()
    if entry is None:
        del policy[name]
    else:
        policy[name] = entry
    path = tmp_path / "report.json"
    body = {"format": "qbank-overlap-report/1", "scope": {"kind": "theory"}, "policy": policy}
    path.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    return path


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
    ("name", "entry", "message"),
    [
        ("num_perm", None, "错误：政策文件 report 缺少 num_perm（需要 value 和 source）\n"),
        ("title", None, "错误：政策文件 report 缺少 title（需要 value 和 source）\n"),
        (
            "seed",
            {"value": "x", "source": "edited"},
            "错误：政策文件 report 中 seed 的取值 x 不合理\n",
        ),
    ],
    ids=["missing-value", "missing-title", "not-a-number"],
)
def test_overlap_verify_of_a_report_with_a_bad_policy(
    sqlite_url: str, tmp_path: Path, name: str, entry: object, message: str
) -> None:
    path = report(tmp_path, name, entry)
    code, output = run("overlap", "verify", str(path), "--db", sqlite_url)
    assert (code, output) == (1, message)
