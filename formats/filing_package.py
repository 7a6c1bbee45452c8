"""The filing package (备案包) a regulator receives: a directory of plain files, or a zip of it.

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
is in the package. The byte-level rules are in docs/formats.md; what the files must say to
each other is checked by the engine (`qbank.filing_check.verify_package`) on the bytes
`read_package` returns.

bank.xlsx is itself a file of another format, the national items workbook, written by
`exporters.items_xlsx` and read by `importers.table_items`: the caller passes that writer to
`write_package` and that reader to `read_package`, so this module imports neither.

Reading is under the reading limits (`formats.limits`: `--limit NAME=VALUE`,
`QBANK_LIMITS`): the number of files (`members`), each file's size (`member_size`) and the
package's total (`unzipped_size`) are checked from the directory listing or the zip's central
directory before a byte is read or inflated, and enforced again while reading or inflating (a
file may grow, a zip may lie). bank.xlsx, a zip too, goes through `check_zip` (directory, then
one streamed inflation) before the workbook reader sees it, and is parsed only when the
verifier asks (`PackageFiles.bank_records`), from the very bytes that were hashed.
"""

from __future__ import annotations

import base64
import json
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol

from formats.limits import LimitExceeded, Limits, check_zip, current, read_capped, read_directory
from qbank.canonical import canonical_bytes, content_id, sha256_hex
from qbank.errors import InvalidInput
from qbank.filing_check import INDEX_FORMAT
from qbank.records import ItemRecord, Location, Parsed, Problem

if TYPE_CHECKING:  # the writer's types; a verifier reading a package loads no ORM
    from qbank.filing import FilingResult
    from qbank.keys import Signer
    from qbank.model import KnowledgeNode

WORKBOOK = "bank.xlsx"


class WorkbookWriter(Protocol):
    """Writes items as the national items workbook (`exporters.items_xlsx.write_items_xlsx`)."""

    def __call__(self, items: Iterable[ItemRecord], path: Path, /) -> None: ...


class WorkbookReader(Protocol):
    """Reads the national items workbook (`importers.table_items.read_items_table`)."""

    def __call__(self, path: Path, /, *, display_name: str) -> Parsed[ItemRecord]: ...


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
    write_workbook: WorkbookWriter,
    tree: Sequence[KnowledgeNode] = (),
) -> dict[str, Any]:
    """Write the package into the empty or new directory `out`; returns the signed index.

    `signers` are (name, role, fingerprint, signer) who sign the index; `write_workbook`
    writes bank.xlsx; `tree` the nodes of the filed tree version (`qbank.tree.current_tree`
    in the filing's transaction). Side effects: writes the files.
    """
    from qbank.items import version_record  # the ORM and numpy: only writing needs them
    from qbank.overlap.report import report_bytes

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
    write_workbook(
        [version_record(v, i.guid, Location(WORKBOOK)) for i, v in result.items], out / WORKBOOK
    )
    hashes = {name: sha256_hex(data) for name, data in files.items()}
    hashes[WORKBOOK] = sha256_hex((out / WORKBOOK).read_bytes())
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


@dataclass
class PackageFiles:
    """A package's files (relative `/` name → bytes), read within `limits`; bank.xlsx is
    parsed by `read_workbook` when asked."""

    files: dict[str, bytes]
    read_workbook: WorkbookReader
    limits: Limits = field(default_factory=Limits)
    bank_problems: list[Problem] = field(default_factory=list)
    bank_error: str = ""

    def bank_records(self) -> list[ItemRecord] | None:
        """bank.xlsx parsed from the bytes in `files`; None when absent, too large or invalid
        (`bank_error` / `bank_problems` say why)."""
        data = self.files.get(WORKBOOK)
        if data is None:
            self.bank_error = "bank.xlsx missing"
            return None
        with tempfile.TemporaryDirectory(prefix="qbank-filing-") as tmp:
            path = Path(tmp) / WORKBOOK
            path.write_bytes(data)
            try:
                check_zip(path, self.limits, display=WORKBOOK)
            except LimitExceeded as e:
                self.bank_error = str(e)
                return None
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError):
                self.bank_error = "bank.xlsx is not a readable workbook"
                return None
            parsed = self.read_workbook(path, display_name=WORKBOOK)
        self.bank_problems = parsed.problems
        return None if parsed.problems else parsed.records


def read_package(
    path: str | Path, *, read_workbook: WorkbookReader, limits: Limits | None = None
) -> PackageFiles:
    """Every file of the package at `path` (a directory, or a .zip of one); bank.xlsx is
    parsed later, by `read_workbook`, only if `PackageFiles.bank_records` is called.

    Raises FileTooLarge/LimitExceeded over a limit, InvalidInput for a missing path, a
    special file or a damaged zip. Parses nothing.
    """
    limits = limits or current()
    root = Path(path)
    if root.is_dir():
        return PackageFiles(
            read_directory(root, limits, not_a_file="filing.not_a_file"), read_workbook, limits
        )
    if root.is_file() and zipfile.is_zipfile(root):
        return PackageFiles(_strip_top(_read_zip(root, limits)), read_workbook, limits)
    if root.exists():
        raise InvalidInput("filing.not_a_package", path=str(root))
    raise InvalidInput("cli.file_missing", path=str(root))


def _safe_name(name: str) -> bool:
    return (
        not name.startswith("/")
        and "\\" not in name
        and all(part not in ("", ".", "..") for part in PurePosixPath(name).parts)
        and all(ord(c) >= 32 for c in name)
    )


def _read_zip(path: Path, limits: Limits) -> dict[str, bytes]:
    """Every member of a zipped package: names and declared sizes checked first, real sizes
    enforced while inflating."""
    where = str(path)
    limits.check("file_size", path.stat().st_size, where)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            limits.check("members", len(infos), where)
            names = [i.filename for i in infos]
            if len(set(names)) != len(names) or not all(_safe_name(n) for n in names):
                raise InvalidInput("filing.bad_zip", path=where)
            for info in infos:  # a symbolic link stored in the zip is no package file
                if stat.S_ISLNK(info.external_attr >> 16):
                    raise InvalidInput("filing.not_a_file", path=f"{where}:{info.filename}")
            total = 0
            for info in infos:
                limits.check("member_size", info.file_size, where, info.filename)
                total += info.file_size
                limits.check("unzipped_size", total, where)
            files = {}
            for info in infos:
                with archive.open(info) as member:
                    cap = min(info.file_size, limits.member_size)
                    files[info.filename] = read_capped(member, cap, file=where, where=info.filename)
            return files
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError):
        raise InvalidInput("filing.bad_zip", path=where) from None


def _strip_top(files: dict[str, bytes]) -> dict[str, bytes]:
    """A zip of the package directory itself: drop the one top folder every name shares."""
    if "signatures.json" in files or not files:
        return files
    tops = {name.split("/", 1)[0] for name in files}
    if len(tops) == 1 and all("/" in name for name in files):
        return {name.split("/", 1)[1]: data for name, data in files.items()}
    return files
