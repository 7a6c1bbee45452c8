"""ORM tables: occupations, banks, knowledge trees, item and practical-set versions, audit.

Content is immutable once stored: an edit makes a new version row, identified by the SHA-256
of its canonical JSON. Nothing is deleted physically: rows carry `deleted_at` instead (records
of a bank must be kept for years and stay auditable).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    literal_column,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
    }


class Occupation(Base):
    """An occupation (职业) or 工种 of the 职业分类大典, e.g. `6-31-01-03` 电工."""

    __tablename__ = "occupations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    banks: Mapped[list[Bank]] = relationship(back_populates="occupation", lazy="raise")


class Bank(Base):
    """The item and paper bank of one occupation at one level (1 = 一级 … 5 = 五级)."""

    __tablename__ = "banks"
    __table_args__ = (UniqueConstraint("occupation_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occupation_id: Mapped[int] = mapped_column(ForeignKey("occupations.id", ondelete="RESTRICT"))
    level: Mapped[int] = mapped_column(Integer)
    tree_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("tree_versions.id", ondelete="RESTRICT", use_alter=True)
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    occupation: Mapped[Occupation] = relationship(back_populates="banks", lazy="joined")


class TreeVersion(Base):
    """One imported knowledge-point tree (鉴定要素细目表) of a bank, immutable."""

    __tablename__ = "tree_versions"
    __table_args__ = (UniqueConstraint("bank_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="RESTRICT"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))

    nodes: Mapped[list[KnowledgeNode]] = relationship(
        back_populates="tree", lazy="raise", order_by="KnowledgeNode.position"
    )


class KnowledgeNode(Base):
    """A range (鉴定范围, with weight) or a point (鉴定点, with importance) of a tree version."""

    __tablename__ = "knowledge_nodes"
    __table_args__ = (UniqueConstraint("tree_version_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tree_version_id: Mapped[int] = mapped_column(
        ForeignKey("tree_versions.id", ondelete="RESTRICT"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(40))
    parent_code: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(Text)
    weight: Mapped[float | None] = mapped_column(Float)
    importance: Mapped[str | None] = mapped_column(String(1))

    tree: Mapped[TreeVersion] = relationship(back_populates="nodes", lazy="raise")


class Item(Base):
    """A theory item's identity in a bank; its content lives in `ItemVersion` rows.

    `guid` is the item's stable number across files (试题编号): taken from the file when it
    has one, otherwise assigned here, and written back by exporters so an edited export
    re-imports as new versions of the same items.
    """

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("bank_id", "guid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="RESTRICT"), index=True)
    guid: Mapped[str] = mapped_column(String(64))
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("item_versions.id", ondelete="RESTRICT", use_alter=True)
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column()

    current: Mapped[ItemVersion | None] = relationship(
        foreign_keys=[current_version_id], lazy="raise", post_update=True
    )


class ItemVersion(Base):
    """Immutable content of a theory item. `sha256` = SHA-256 of `canonical` (its content JSON).

    `content_key` identifies the item's text (type, stem, options) for matching re-imports
    of files that carry no 试题编号.
    """

    __tablename__ = "item_versions"
    __table_args__ = (UniqueConstraint("item_id", "sha256"), UniqueConstraint("item_id", "seq"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # An item's versions are found by the unique (item_id, seq) index, a version by its id
    # (always with its item's) by the unique (item_id, sha256) one; content keys are looked
    # up in `item_content_keys`; a point's versions are a bank's current items filtered,
    # found by the items' bank_id: none needs an index of its own here.
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="RESTRICT"))
    seq: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content_key: Mapped[str] = mapped_column(String(64))
    canonical: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(16))
    stem: Mapped[str] = mapped_column(Text)
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    answer: Mapped[str] = mapped_column(String(16))
    knowledge_code: Mapped[str | None] = mapped_column(String(40))
    knowledge_path: Mapped[list[str]] = mapped_column(JSON)
    importance: Mapped[str | None] = mapped_column(String(1))
    difficulty: Mapped[float | None] = mapped_column(Float)
    discrimination: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)
    explanation: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(100))
    origin: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))

    item: Mapped[Item] = relationship(foreign_keys=[item_id], lazy="raise")
    if TYPE_CHECKING:
        status: Mapped[str]  # derived from `reviews`, see `_review_status` below


class ItemContentKey(Base):
    """The content key of each live item's current version, unique within its bank.

    The database itself then refuses a second item with the same type, stem and options in
    one bank, whoever writes it. A row changes when its item gets a version with other text
    and goes when the item is deleted; it is an index over versions, not content.
    """

    __tablename__ = "item_content_keys"
    __table_args__ = (UniqueConstraint("bank_id", "content_key"),)

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="RESTRICT"), primary_key=True, autoincrement=False
    )
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="RESTRICT"))
    content_key: Mapped[str] = mapped_column(String(64))


class PracticalSet(Base):
    """A practical paper set's identity in a bank (e.g. `DG4-SC-01`)."""

    __tablename__ = "practical_sets"
    __table_args__ = (UniqueConstraint("bank_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("practical_set_versions.id", ondelete="RESTRICT", use_alter=True)
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column()

    current: Mapped[PracticalSetVersion | None] = relationship(
        foreign_keys=[current_version_id], lazy="raise", post_update=True
    )


class PracticalSetVersion(Base):
    """Immutable content of a practical set: preparation lists, tasks and their rubric rows."""

    __tablename__ = "practical_set_versions"
    __table_args__ = (UniqueConstraint("set_id", "sha256"), UniqueConstraint("set_id", "seq"))

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(
        ForeignKey("practical_sets.id", ondelete="RESTRICT"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    canonical: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    total_minutes: Mapped[int | None] = mapped_column(Integer)
    author: Mapped[str | None] = mapped_column(String(100))
    origin: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))

    prep_rows: Mapped[list[PrepItem]] = relationship(
        back_populates="version", lazy="raise", order_by="PrepItem.position"
    )
    tasks: Mapped[list[PracticalTaskRow]] = relationship(
        back_populates="version", lazy="raise", order_by="PracticalTaskRow.position"
    )
    if TYPE_CHECKING:
        status: Mapped[str]  # derived from `reviews`, see `_review_status` below


class PrepItem(Base):
    """A row of the 考场 (venue) or 考生 (candidate) 准备通知单."""

    __tablename__ = "practical_prep_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("practical_set_versions.id", ondelete="RESTRICT"), index=True
    )
    audience: Mapped[str] = mapped_column(String(16))  # venue | candidate
    position: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(Text, default="")
    name: Mapped[str] = mapped_column(Text)
    spec: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")

    version: Mapped[PracticalSetVersion] = relationship(back_populates="prep_rows", lazy="raise")


class PracticalTaskRow(Base):
    """A task (试题) of a practical set version."""

    __tablename__ = "practical_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("practical_set_versions.id", ondelete="RESTRICT"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    requirements: Mapped[str] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer)
    module_code: Mapped[str | None] = mapped_column(String(40))

    version: Mapped[PracticalSetVersion] = relationship(back_populates="tasks", lazy="raise")
    rubric: Mapped[list[RubricItem]] = relationship(
        back_populates="task", lazy="raise", order_by="RubricItem.position"
    )


class RubricItem(Base):
    """A row of a task's 评分记录表."""

    __tablename__ = "practical_rubric_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(
        ForeignKey("practical_tasks.id", ondelete="RESTRICT"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    element: Mapped[str] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)
    criteria: Mapped[str] = mapped_column(Text)
    veto: Mapped[bool] = mapped_column(Boolean, default=False)

    task: Mapped[PracticalTaskRow] = relationship(back_populates="rubric", lazy="raise")


class AuditEvent(Base):
    """Append-only, hash-chained trail: who did what to which record, when. Never updated or
    deleted (database triggers refuse both)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64), index=True)
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("banks.id", ondelete="RESTRICT"))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Hash chain (`qbank.audit.event_hash`): each event commits to the one before it; a
    # unique `prev_hash` makes a fork impossible, so the trail is one line from genesis.
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditItem(Base):
    """One item an import changed, under the audit event of its batch.

    An import records one chained event per batch of items (action `import_items`, about its
    bank) whose detail commits to the batch's rows here by hash (`items`, `items_sha256`:
    `qbank.audit.items_digest`), so the trail answers "who did what to item X, when"
    (`qbank.audit.history`) at one narrow row per item instead of one hashed event each, and
    `qbank db verify` finds a row edited, added or removed. Never updated or deleted
    (database triggers refuse both)."""

    __tablename__ = "audit_event_items"
    __table_args__ = ({"sqlite_with_rowid": False},)  # the key is the row: one B-tree

    event_id: Mapped[int] = mapped_column(
        ForeignKey("audit_events.id", ondelete="RESTRICT"), primary_key=True, autoincrement=False
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="RESTRICT"), index=True)
    action: Mapped[str] = mapped_column(String(40))  # create, new_version or revert
    version: Mapped[str] = mapped_column(String(64))  # the version's id (SHA-256)
    seq: Mapped[int | None] = mapped_column(Integer)  # its number; None for a revert


class TokenizerRecord(Base):
    """A tokenizer identity (name, jieba version, dictionary and stop-word hashes) by its key."""

    __tablename__ = "tokenizers"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    identity: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TokenSet(Base):
    """The token set of one text (an item version's stem + options, a practical task).

    Keyed by the text's SHA-256 and the tokenizer, so it is computed once and shared by every
    version with the same text; a new tokenizer identity means new rows, never rewrites.
    """

    __tablename__ = "token_sets"

    text_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    tokenizer: Mapped[str] = mapped_column(
        ForeignKey("tokenizers.key", ondelete="RESTRICT"), primary_key=True
    )
    tokens: Mapped[list[str]] = mapped_column(JSON)


class Signature(Base):
    """A stored MinHash signature (uint64 values, little-endian) of one token set."""

    __tablename__ = "minhash_signatures"

    text_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    tokenizer: Mapped[str] = mapped_column(
        ForeignKey("tokenizers.key", ondelete="RESTRICT"), primary_key=True
    )
    num_perm: Mapped[int] = mapped_column(Integer, primary_key=True)
    seed: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Adjudication(Base):
    """A reviewer's judgement that two flagged versions are distinct items.

    It names versions, not items: when either item gets a new version the mark no longer
    applies (it lapses) and the pair is flagged again.
    """

    __tablename__ = "adjudications"
    __table_args__ = (UniqueConstraint("version_a", "version_b"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="RESTRICT"), index=True)
    version_a: Mapped[str] = mapped_column(String(64))
    version_b: Mapped[str] = mapped_column(String(64))
    reviewer: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[str | None] = mapped_column(Text)  # the canonical JSON the reviewer signed
    signature: Mapped[str | None] = mapped_column(String(128))  # base64 Ed25519
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OverlapReport(Base):
    """A stored overlap report: its canonical JSON and that JSON's SHA-256."""

    __tablename__ = "overlap_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int | None] = mapped_column(
        ForeignKey("banks.id", ondelete="RESTRICT"), index=True
    )
    scope: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    body: Mapped[str] = mapped_column(Text)
    verdict: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))


class Person(Base):
    """Someone who acts on banks: expert (author), reviewer, staff, regulator.

    `roles` is a sorted comma list. The public half of the person's signing key is here;
    the private half lives only in the encrypted keystore outside the database.
    """

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    roles: Mapped[str] = mapped_column(String(100))
    public_key: Mapped[str | None] = mapped_column(String(64))  # base64 of the raw 32 bytes
    key_fingerprint: Mapped[str | None] = mapped_column(String(64))
    # The person's age X25519 recipient ("age1…"): sealed papers and bundles are encrypted to it.
    age_recipient: Mapped[str | None] = mapped_column(String(100))
    # scrypt hash of the person's password for `qbank serve` beyond loopback (qbank.passwords);
    # None: the person cannot log in with a password.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column()


class BankAccess(Base):
    """A person allowed to see one bank's data in `qbank serve` (granted, later revoked).

    People with the role `institution` see every bank; everyone else sees the banks granted
    to them here. Rows are never deleted: a revocation sets `revoked_at`.
    """

    __tablename__ = "bank_access"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="RESTRICT"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    granted_by: Mapped[str] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None] = mapped_column()


class Review(Base):
    """A reviewer's signed decision on one item version or one practical set version.

    `payload` is the canonical JSON that was signed (decision, comment, version id, reviewer,
    time); `signature` the reviewer's Ed25519 signature over its bytes.
    """

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="RESTRICT"), index=True)
    item_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("item_versions.id", ondelete="RESTRICT"), index=True
    )
    set_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("practical_set_versions.id", ondelete="RESTRICT"), index=True
    )
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    decision: Mapped[str] = mapped_column(String(16))  # approved | rejected
    comment: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(128))  # base64
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def _review_status(version_column: Any, id_column: Any) -> Any:
    """A version's status: its latest review's decision, else "draft".

    Versions are immutable rows, so the status is not stored on them but derived from the
    append-only `reviews` (an index lookup per version loaded). Grouping by it needs a
    subquery (PostgreSQL cannot GROUP BY a correlated subquery).
    """
    latest = (
        select(Review.decision)
        .where(version_column == id_column)
        .order_by(Review.id.desc())
        .limit(1)
        .correlate_except(Review)
        .scalar_subquery()
    )
    return column_property(func.coalesce(latest, literal_column("'draft'")))


ItemVersion.status = _review_status(Review.item_version_id, ItemVersion.id)
PracticalSetVersion.status = _review_status(Review.set_version_id, PracticalSetVersion.id)


class Filing(Base):
    """A filed (报备) snapshot of a bank: its manifest, Merkle root and signatures. Immutable."""

    __tablename__ = "filings"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="RESTRICT"), index=True)
    merkle_root: Mapped[str] = mapped_column(String(64))
    manifest: Mapped[str] = mapped_column(Text)
    manifest_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    signatures: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))


class FilingEntry(Base):
    """One version in a filing: an item version or a practical set version."""

    __tablename__ = "filing_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    filing_id: Mapped[int] = mapped_column(
        ForeignKey("filings.id", ondelete="RESTRICT"), index=True
    )
    item_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("item_versions.id", ondelete="RESTRICT"), index=True
    )
    set_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("practical_set_versions.id", ondelete="RESTRICT"), index=True
    )


class Batch(Base):
    """An exam batch (批次) of one bank: date, site, candidates, designated staff."""

    __tablename__ = "batches"
    __table_args__ = (UniqueConstraint("bank_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    exam_date: Mapped[date] = mapped_column(Date)
    site: Mapped[str] = mapped_column(Text)
    candidates: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))


class BatchStaff(Base):
    """A person designated for one custody step of a batch (组卷, 提取, 印制, 传送, 封存)."""

    __tablename__ = "batch_staff"
    __table_args__ = (UniqueConstraint("batch_id", "step", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="RESTRICT"), index=True)
    step: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))


class Paper(Base):
    """An assembled paper of a batch: its items in order, option orders and the seed.

    Once sealed, `layout` keeps only what prints on the cover (sections without items, score),
    `seed` is emptied and `set_version_id` cleared: the composition is then only in
    `sealed_composition` (age-encrypted to the batch's custody recipients) and bound by
    `commitment` = SHA-256 of a salted canonical composition, until the 启封 step opens it.
    """

    __tablename__ = "papers"
    __table_args__ = (UniqueConstraint("batch_id", "code", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # theory | practical
    seed: Mapped[str] = mapped_column(String(40))
    blueprint: Mapped[dict[str, Any]] = mapped_column(JSON)
    layout: Mapped[dict[str, Any]] = mapped_column(JSON)  # items, option orders, sections
    set_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("practical_set_versions.id", ondelete="RESTRICT")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    sealed_composition: Mapped[str | None] = mapped_column(Text)  # base64 of an age file
    commitment: Mapped[str | None] = mapped_column(String(64))
    sealed_at: Mapped[datetime | None] = mapped_column()
    opened_at: Mapped[datetime | None] = mapped_column()


class PaperItem(Base):
    """One item version in a paper, for exposure and history queries."""

    __tablename__ = "paper_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="RESTRICT"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="RESTRICT"), index=True)
    item_version_id: Mapped[int] = mapped_column(
        ForeignKey("item_versions.id", ondelete="RESTRICT")
    )
    position: Mapped[int] = mapped_column(Integer)


class SealedBundle(Base):
    """A sealed (age-encrypted) bundle of a batch's documents and paper data.

    `payload` is the canonical JSON the extracting person signed (ciphertext and manifest
    SHA-256, paper ids, recipients, batch); `signature` is their Ed25519 signature over it.
    """

    __tablename__ = "sealed_bundles"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="RESTRICT"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))  # of the ciphertext
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(200))
    signer_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    payload: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(128))  # base64
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustodyLayout(Base):
    """The signed custody layout of a batch: who may sign each step and how many must."""

    __tablename__ = "custody_layouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("batches.id", ondelete="RESTRICT"), unique=True
    )
    signer_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON, the exact signed bytes
    signature: Mapped[str] = mapped_column(String(128))  # base64
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustodyEntry(Base):
    """One signed entry of a batch's custody log; `payload` is the exact signed bytes."""

    __tablename__ = "custody_entries"
    __table_args__ = (UniqueConstraint("batch_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    payload: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(128))  # base64
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustodyCheckpoint(Base):
    """A signed checkpoint (tree size + root) of a batch's custody log, C2SP note text."""

    __tablename__ = "custody_checkpoints"
    __table_args__ = (UniqueConstraint("batch_id", "size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="RESTRICT"), index=True)
    size: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(64))  # hex
    note: Mapped[str] = mapped_column(Text)  # checkpoint body plus signature lines
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
