"""The filing package (备案包) a regulator receives: a directory of plain files.

    manifest.json            the signed manifest (canonical JSON): entries, Merkle root, compliance
    signatures.json          Ed25519 signatures over the index (every file's SHA-256)
    public-keys.json         the signers' and approving reviewers' public keys and roles
    bank.xlsx                the filed items in the national Excel layout (with 试题编号)
    items.jsonl              each filed item version's canonical JSON, one per line
    practical/<code>.json    each filed practical set version's canonical JSON
    tree.json                the filed knowledge-point tree version's canonical JSON
    reviews.jsonl            the signed approvals of the filed versions
    overlap-theory.json      the repetition report within the bank
    overlap-practical.json   the pairwise report of the practical sets
    说明.txt                 how to verify, in Chinese

`signatures.json` signs `index` = {manifest SHA-256, every other file's SHA-256}, so any
change to any file shows as a hash mismatch or a bad signature. Every entry the manifest names
is in the package. The byte-level rules are in docs/formats.md.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from exporters.items_xlsx import write_items_xlsx
from qbank.canonical import canonical_bytes, content_id, sha256_hex
from qbank.errors import InvalidInput
from qbank.filing import FilingResult
from qbank.items import version_record
from qbank.keys import Signer
from qbank.model import KnowledgeNode
from qbank.overlap.report import report_bytes
from qbank.records import Location

INDEX_FORMAT = "qbank-filing-index/1"
README = """备案包说明（qbank）

本目录由评价机构用 qbank 生成，供属地鉴定中心核验：
  qbank filing verify <本目录> --trusted-key <评价机构.pub> --trusted-key <审题专家.pub>
核验不需要评价机构的数据库：检查每个文件的 SHA-256 与签名索引一致、审题专家与评价机构的
Ed25519 签名有效、manifest 的 Merkle 根可由条目重新算出、每道题的版本号与 items.jsonl 及
bank.xlsx 一致、每个版本都有审题专家的签名审核通过记录（且审核人不是命题人），并按
overlap-*.json 记载的政策与参数重新计算重复率。评价机构与每位签名的审题专家的公钥须另行
取得（qbank key export 写出的 .pub），核对完整 SHA-256 指纹后用 --trusted-key 指定；
未固定公钥的签名人使结论为 INVALID。不用 qbank 自行核验的字节级规则见 qbank 的 docs/formats.md。
"""


def tree_json(manifest: dict[str, Any], nodes: Sequence[KnowledgeNode]) -> bytes | None:
    """The filed tree's canonical JSON, re-hashed against the manifest's tree entry."""
    filed = [e["version"] for e in manifest["entries"] if e["kind"] == "tree"]
    if not filed:
        return None
    content = [
        {
            "code": n.code,
            "parent": n.parent_code,
            "name": n.name,
            "weight": n.weight,
            "importance": n.importance,
        }
        for n in nodes
    ]
    if content_id(content) != filed[0]:
        raise InvalidInput("filing.tree_mismatch", version=filed[0])
    return canonical_bytes(content)


def write_package(
    result: FilingResult,
    out: Path,
    *,
    signers: list[tuple[str, str, str, Signer]],
    tree: Sequence[KnowledgeNode] = (),
) -> dict[str, Any]:
    """Write the package into the empty or new directory `out`; returns the signed index.

    `signers` are (name, role, fingerprint, signer) who sign the index; `tree` the nodes of
    the filed tree version (`qbank.tree.current_tree` in the filing's transaction).
    """
    if out.exists() and any(out.iterdir()):
        raise InvalidInput("filing.out_exists", path=str(out))
    tree_bytes = tree_json(result.manifest, tree)
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
        files[f"overlap-{scope}.json"] = report_bytes(report)
    if tree_bytes is not None:
        files["tree.json"] = tree_bytes
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
