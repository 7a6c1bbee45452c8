"""The filing package (备案包) a regulator receives: a directory of plain files.

    manifest.json            the signed manifest (canonical JSON): entries, Merkle root, compliance
    signatures.json          Ed25519 signatures over the index (every file's SHA-256)
    public-keys.json         the signers' and approving reviewers' public keys and roles
    bank.xlsx                the filed items in the national Excel layout (with 试题编号)
    items.jsonl              each filed item version's canonical JSON, one per line
    practical/<code>.json    each filed practical set version's canonical JSON
    reviews.jsonl            the signed approvals of the filed versions
    overlap-theory.json      the repetition report within the bank
    overlap-practical.json   the pairwise report of the practical sets
    说明.txt                 how to verify, in Chinese

`signatures.json` signs `index` = {manifest SHA-256, every other file's SHA-256}, so any
change to any file shows as a hash mismatch or a bad signature.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from exporters.items_xlsx import write_items_xlsx
from qbank.canonical import canonical_bytes, sha256_hex
from qbank.errors import InvalidInput
from qbank.filing import FilingResult
from qbank.items import version_record
from qbank.keys import Signer
from qbank.records import Location

INDEX_FORMAT = "qbank-filing-index/1"
README = """备案包说明（qbank）

本目录由评价机构用 qbank 生成，供属地鉴定中心核验：
  qbank filing verify <本目录>
核验不需要评价机构的数据库：检查每个文件的 SHA-256 与签名索引一致、审题专家与评价机构的
Ed25519 签名有效、manifest 的 Merkle 根可由条目重新算出、每道题的版本号与 items.jsonl 及
bank.xlsx 一致、每个版本都有审题专家的签名审核通过记录（且审核人不是命题人），并按
overlap-*.json 记载的政策与参数重新计算重复率。请把 public-keys.json 中的公钥指纹与
评价机构另行提交的公钥（qbank key export）核对。
"""


def write_package(
    result: FilingResult, out: Path, *, signers: list[tuple[str, str, str, Signer]]
) -> dict[str, Any]:
    """Write the package into the empty or new directory `out`; returns the signed index.

    `signers` are (name, role, fingerprint, signer) who sign the index.
    """
    if out.exists() and any(out.iterdir()):
        raise InvalidInput("filing.out_exists", path=str(out))
    (out / "practical").mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {
        "manifest.json": canonical_bytes(result.manifest),
        "public-keys.json": canonical_bytes(result.public_keys),
        "items.jsonl": "".join(v.canonical + "\n" for _, v in result.items).encode("utf-8"),
        "reviews.jsonl": "".join(
            json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in result.reviews
        ).encode("utf-8"),
        "说明.txt": README.encode("utf-8"),
    }
    for scope, report in result.reports.items():
        files[f"overlap-{scope}.json"] = canonical_bytes(report)
    for practical_set, version in result.sets:
        files[f"practical/{practical_set.code}.json"] = version.canonical.encode("utf-8")
    for name, data in files.items():
        (out / name).write_bytes(data)
    write_items_xlsx(
        [version_record(v, i.guid, Location("bank.xlsx")) for i, v in result.items],
        out / "bank.xlsx",
    )
    hashes = {name: sha256_hex(data) for name, data in files.items()}
    hashes["bank.xlsx"] = sha256_hex((out / "bank.xlsx").read_bytes())
    index = {"format": INDEX_FORMAT, "files": dict(sorted(hashes.items()))}
    index_bytes = canonical_bytes(index)
    signatures = [
        {
            "signer": name,
            "role": role,
            "fingerprint": fingerprint,
            "signature": base64.b64encode(signer.sign(index_bytes)).decode("ascii"),
        }
        for name, role, fingerprint, signer in signers
    ]
    (out / "signatures.json").write_bytes(
        canonical_bytes({"index": index, "signatures": signatures})
    )
    return index
