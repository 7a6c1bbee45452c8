"""Uploaded files on the server: only inside a temporary folder of the request, named by us.

A page opens `upload_folder()` for the length of one request; whatever it saves there is
removed when the block ends, whatever happens. The browser's file name is only ever shown
(`shown_name`), never used as a path: a file is saved under a fixed name the page chooses.
A zip is read only through the project's own reader of packages
(`formats.filing_package.read_package`, under `formats.limits`: member count and sizes checked
from the central directory before anything inflates, unsafe or repeated names refused), after
a check that it is a zip at all and holds no symbolic links. What is refused is refused with
one message naming the upload as the browser named it, never the temporary path.
"""

from __future__ import annotations

import re
import stat
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from formats.filing_package import read_package
from importers.table_items import read_items_table
from qbank.errors import QbankError
from web.i18n import wt
from web.routing import Upload

OWN_NAME = re.compile(r"[a-z][a-z0-9-]{0,40}(\.[a-z]{1,8})?")
"""The names a page may save an upload under (its own, fixed names)."""
SHOWN_LIMIT = 120


class UploadRefused(QbankError):
    """An upload the page will not read; the message is a page text (`web.…`)."""

    def __str__(self) -> str:
        return wt(self.key, **self.params)


def present(upload: Upload | None) -> bool:
    """A file was chosen (a form's empty file input arrives with no name and no bytes)."""
    return upload is not None and (bool(upload.data) or bool(upload.filename))


def shown_name(upload: Upload) -> str:
    """The browser's name of the upload for messages: its last part, printable, bounded."""
    name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    if len(name) > SHOWN_LIMIT:
        name = name[: SHOWN_LIMIT - 1] + "…"
    return name or wt("web.regulator.upload.unnamed")


@dataclass(frozen=True)
class UploadFolder:
    """The request's temporary folder."""

    root: Path

    def save(self, data: bytes, name: str) -> Path:
        """Write `data` as the new file `name` (one of the page's own names, `OWN_NAME`)."""
        if not OWN_NAME.fullmatch(name):
            raise ValueError(f"not a name of our own: {name!r}")
        path = self.root / name
        with path.open("xb") as handle:  # never over an existing file or through a link
            handle.write(data)
        return path

    def save_zip(self, upload: Upload, name: str) -> Path:
        """Save the upload as `name` once it is a zip with nothing but files and folders in
        it (symbolic links refused). Its members are not read here."""
        path = self.save(upload.data, name)
        shown = shown_name(upload)
        if not zipfile.is_zipfile(path):
            raise UploadRefused("web.regulator.upload.not_zip", name=shown)
        try:
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    if stat.S_ISLNK(info.external_attr >> 16):
                        raise UploadRefused(
                            "web.regulator.upload.link", name=shown, member=info.filename[:200]
                        )
        except (zipfile.BadZipFile, OSError, ValueError):
            raise UploadRefused("web.regulator.upload.not_zip", name=shown) from None
        return path

    @contextmanager
    def reading(self, upload: Upload, path: Path) -> Iterator[None]:
        """Turn an engine's refusal of the file at `path` into one naming the upload."""
        try:
            yield
        except UploadRefused:
            raise
        except QbankError as e:
            shown = shown_name(upload)
            reason = str(e).replace(str(path), shown).replace(str(self.root), "…")
            raise UploadRefused("web.regulator.upload.unreadable", name=shown, reason=reason) from e

    def unpack(self, upload: Upload, path: Path, into: str) -> tuple[Path, dict[str, bytes]]:
        """The zip at `path` read by the package reader (limits, safe names, one top folder
        dropped), written as plain files under the new folder `into`; returns the folder and
        the files (relative `/` name → bytes)."""
        with self.reading(upload, path):
            # no bank.xlsx is ever parsed here: only `PackageFiles.bank_records` would
            files = read_package(path, read_workbook=read_items_table).files
        base = self.root / into
        base.mkdir()
        for name, data in files.items():
            target = base.joinpath(*PurePosixPath(name).parts)
            if not target.resolve().is_relative_to(base.resolve()):  # read_package refuses it
                raise UploadRefused("web.regulator.upload.not_zip", name=shown_name(upload))
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("xb") as handle:
                handle.write(data)
        return base, files


@contextmanager
def upload_folder() -> Iterator[UploadFolder]:
    """A new temporary folder for one request's uploads, removed with everything in it."""
    with tempfile.TemporaryDirectory(prefix="qbank-web-") as tmp:
        yield UploadFolder(Path(tmp))
