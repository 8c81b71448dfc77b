"""`voucherbridge audit verify`: walk every hash chain and name the first broken link."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from voucherbridge.audit.repository import AuditRepo
from voucherbridge.core.actor import Actor
from voucherbridge.db.uow import UnitOfWork, UnitOfWorkFactory
from voucherbridge.domain.audit_chain import Break, ChainHead, ChainRow, Reason, first_broken_link

REASONS_ZH = {
    "edited": "被修改",
    "deleted": "有记录被删除",
    "reordered": "顺序被调换",
    "broken": "链头与末行不符",
}


@dataclass(frozen=True, kw_only=True)
class BrokenLinkView:
    row_id: int | None  # None: rows are missing after the last one
    seq: int
    reason: Reason
    detail: str


@dataclass(frozen=True, kw_only=True)
class ChainView:
    """One chain's check. `broken` is None when the chain is intact; the JSON then leaves
    the key out (the CLI and the API response model do so)."""

    chain: int
    rows: int
    head_hash: str | None
    ok: bool
    broken: BrokenLinkView | None


@dataclass(frozen=True, kw_only=True)
class ChainCheckView(ChainView):
    """The admin API's answer: the check and the line for a person."""

    message: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    chain_id: int  # the merchant id; 0 for rows of no merchant
    rows: int
    head_hash: str | None
    broken: Break | None

    def view(self) -> ChainView:
        return ChainView(
            chain=self.chain_id,
            rows=self.rows,
            head_hash=self.head_hash,
            ok=self.broken is None,
            broken=_broken_view(self.broken),
        )

    def message(self) -> str:
        """One line for a person: 审计链完整 N 条, or where and how it broke."""
        if self.broken is None:
            return f"审计链完整 {self.rows} 条 (chain {self.chain_id}, head {self.head_hash})"
        where = (
            f"第 {self.broken.row_id} 行"
            if self.broken.row_id is not None
            else f"第 {self.broken.seq} 位起的末尾"
        )
        reason = REASONS_ZH[self.broken.reason]
        return (
            f"审计链断裂 (chain {self.chain_id}): {where}{reason} "
            f"[{self.broken.reason}: row {self.broken.row_id}, {self.broken.detail}]"
        )


def _broken_view(broken: Break | None) -> BrokenLinkView | None:
    if broken is None:
        return None
    return BrokenLinkView(
        row_id=broken.row_id, seq=broken.seq, reason=broken.reason, detail=broken.detail
    )


def verify_chain(uow: UnitOfWork, chain_id: int) -> ChainReport:
    """Check one chain (a merchant's), every lane from its first row to its head; the first
    break in row order is named. The head hash is lane 0's when the chain has one lane, else
    the sha256 of every lane's `lane:hash` line (one anchor to keep for the whole chain)."""
    with uow:
        lanes = uow.repo(AuditRepo).chain(chain_id)
    breaks = [b for rows, head in lanes.values() if (b := first_broken_link(rows, head))]
    broken = min(breaks, key=_where, default=None)
    count = sum(len(rows) for rows, _ in lanes.values())
    return ChainReport(chain_id, count, _head_hash(lanes), broken)


def _where(broken: Break) -> tuple[int, int]:
    """Breaks ordered by the row they name (one past the end of a lane comes last)."""
    return (broken.row_id if broken.row_id is not None else 2**63, broken.seq)


def _head_hash(lanes: dict[int, tuple[list[ChainRow], ChainHead | None]]) -> str | None:
    heads = {lane: head.last_hash for lane, (_, head) in lanes.items() if head is not None}
    if not heads:
        return None
    if list(heads) == [0]:
        return heads[0]
    joined = "\n".join(f"{lane}:{digest}" for lane, digest in sorted(heads.items()))
    return hashlib.sha256(joined.encode()).hexdigest()


def verify_all(make_uow: UnitOfWorkFactory) -> list[ChainReport]:
    """Every chain in the database (the CLI: whoever runs it holds the database anyway)."""
    with make_uow() as uow:
        chains = uow.repo(AuditRepo).chain_ids()
    return [verify_chain(make_uow(), chain) for chain in chains]


def verify_for(uow: UnitOfWork, *, actor: Actor) -> ChainCheckView:
    """The admin API: HQ checks its own merchant's chain."""
    actor.require_hq()
    report = verify_chain(uow, actor.merchant_id)
    view = report.view()
    return ChainCheckView(
        chain=view.chain,
        rows=view.rows,
        head_hash=view.head_hash,
        ok=view.ok,
        broken=view.broken,
        message=report.message(),
    )
