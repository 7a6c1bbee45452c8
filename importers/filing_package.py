"""Read a filing package — its directory, or a zip of it — under size limits, parsing nothing.

`read_package` returns every file's bytes; the verifier parses them only as its checks reach
them, and `PackageFiles.bank_records` parses bank.xlsx (from the very bytes that were hashed)
only when asked, after signatures and hashes have passed.

Limits are `importers.limits` (`--limit NAME=VALUE`, `QBANK_LIMITS`): the number of files
(`members`), each file's size (`member_size`) and the package's total (`unzipped_size`) are
checked from the directory listing or the zip's central directory before a byte is read or
inflated, and enforced again while reading or inflating (a file may grow, a zip may lie).
bank.xlsx is itself a zip and goes through `check_zip` (directory, then one streamed
inflation) before the workbook reader sees it.
"""

from __future__ import annotations

import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from importers.limits import LimitExceeded, Limits, check_zip, current, read_capped
from qbank.errors import InvalidInput
from qbank.records import ItemRecord, Problem


@dataclass
class PackageFiles:
    """A package's files (relative `/` name → bytes), read within `limits`."""

    files: dict[str, bytes]
    limits: Limits = field(default_factory=Limits)
    bank_problems: list[Problem] = field(default_factory=list)
    bank_error: str = ""

    def bank_records(self) -> list[ItemRecord] | None:
        """bank.xlsx parsed from the bytes in `files`; None when absent, too large or invalid
        (`bank_error` / `bank_problems` say why)."""
        data = self.files.get("bank.xlsx")
        if data is None:
            self.bank_error = "bank.xlsx missing"
            return None
        with tempfile.TemporaryDirectory(prefix="qbank-filing-") as tmp:
            path = Path(tmp) / "bank.xlsx"
            path.write_bytes(data)
            try:
                check_zip(path, self.limits, display="bank.xlsx")
            except LimitExceeded as e:
                self.bank_error = str(e)
                return None
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError):
                self.bank_error = "bank.xlsx is not a readable workbook"
                return None
            from importers.table_items import read_items_table

            parsed = read_items_table(path, display_name="bank.xlsx")
        self.bank_problems = parsed.problems
        return None if parsed.problems else parsed.records


def read_package(path: str | Path, limits: Limits | None = None) -> PackageFiles:
    """Every file of the package at `path` (a directory, or a .zip of one).

    Raises FileTooLarge/LimitExceeded over a limit, InvalidInput for a missing path, a
    special file or a damaged zip. Parses nothing.
    """
    limits = limits or current()
    root = Path(path)
    if root.is_dir():
        return PackageFiles(_read_directory(root, limits), limits)
    if root.is_file() and zipfile.is_zipfile(root):
        return PackageFiles(_strip_top(_read_zip(root, limits)), limits)
    if root.exists():
        raise InvalidInput("filing.not_a_package", path=str(root))
    raise InvalidInput("cli.file_missing", path=str(root))


def _read_directory(root: Path, limits: Limits) -> dict[str, bytes]:
    where = str(root)
    listing: list[tuple[str, Path]] = []
    total = 0
    for p in sorted(root.rglob("*")):
        info = p.lstat()
        if stat.S_ISDIR(info.st_mode):
            continue
        name = p.relative_to(root).as_posix()
        if not stat.S_ISREG(info.st_mode):  # a symlink or device could read anything
            raise InvalidInput("filing.not_a_file", path=str(p))
        listing.append((name, p))
        limits.check("members", len(listing), where)
        limits.check("member_size", info.st_size, where, name)
        total += info.st_size
        limits.check("unzipped_size", total, where)
    files = {}
    total = 0
    for name, p in listing:
        with p.open("rb") as handle:  # it may have grown since it was listed
            files[name] = read_capped(handle, limits.member_size, file=where, where=name)
        total += len(files[name])
        limits.check("unzipped_size", total, where, at_least=True)
    return files


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
