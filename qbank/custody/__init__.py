"""The custody log (保管链) of an exam batch: signed, hash-linked, checkpointed, verifiable.

A signed layout fixes who may sign each step (组卷 assemble → 提取 extract → 印制 print →
传送 transport, one entry per leg → 封存 seal, then optionally 启封 open and 归档 archive) and
how many must. Each entry is canonical JSON naming its position, the RFC 6962 Merkle root of
all earlier entries, the step, the signer, the claimed time, the materials received (the
previous step's products), the products handed on and the evidence; the designated person
signs its exact bytes, and a signed checkpoint (C2SP note) follows every entry.

Modules: `log` (formats, pure), `verify` (the verifier, pure), `service` (the database).
"""

from qbank.custody.log import (
    REQUIRED_STEPS,
    STEP_NAMES,
    STEPS,
    Entry,
    Layout,
    Product,
    SignedLog,
)
from qbank.custody.service import (
    CustodyRefused,
    CustodyView,
    Signed,
    export_log,
    file_product,
    make_layout,
    paper_fingerprint,
    sign_step,
    step_products,
    stored_log,
    verify_batch,
    view,
)
from qbank.custody.verify import INCOMPLETE, INVALID, VALID, Verdict, verify_files, verify_log

__all__ = [
    "INCOMPLETE",
    "INVALID",
    "REQUIRED_STEPS",
    "STEPS",
    "STEP_NAMES",
    "VALID",
    "CustodyRefused",
    "CustodyView",
    "Entry",
    "Layout",
    "Product",
    "Signed",
    "SignedLog",
    "Verdict",
    "export_log",
    "file_product",
    "make_layout",
    "paper_fingerprint",
    "sign_step",
    "step_products",
    "stored_log",
    "verify_batch",
    "verify_files",
    "verify_log",
    "view",
]
