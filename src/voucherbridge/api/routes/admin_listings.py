"""Admin API: listings (关联), issuing merchant codes, and the code archive (票券档案)."""

from __future__ import annotations

from fastapi import Response

from voucherbridge.api.deps import ActorDep, ContainerDep
from voucherbridge.api.routes.admin_common import CodePath, IdPath, admin_router
from voucherbridge.api.schemas.admin_listings import (
    CodeArchive,
    IssuedBatch,
    IssueRequest,
    ListingCreate,
    ListingRead,
    ListingUpdate,
)
from voucherbridge.catalogue import issuing, listings
from voucherbridge.reports.archive import code_history

router = admin_router()


@router.get("/listings", response_model=list[ListingRead])
def list_listings(actor: ActorDep, c: ContainerDep) -> list[listings.ListingView]:
    """Listings (关联): platform products linked to templates."""
    return listings.list_listings(c.uow(), actor=actor)


@router.post("/listings", status_code=201, response_model=ListingRead)
def create_listing(body: ListingCreate, actor: ActorDep, c: ContainerDep) -> listings.ListingView:
    """Link a platform product to a template; the answer carries the generated public_id."""
    spec = listings.ListingSpec(**body.model_dump(exclude_unset=True))
    return listings.create_listing(c.uow(write=True), actor=actor, spec=spec, now=c.clock())


@router.get("/listings/{listing_id}", response_model=ListingRead)
def get_listing(listing_id: IdPath, actor: ActorDep, c: ContainerDep) -> listings.ListingView:
    """One listing."""
    return listings.get_listing(c.uow(), actor=actor, listing_id=listing_id)


@router.patch("/listings/{listing_id}", response_model=ListingRead)
def update_listing(
    listing_id: IdPath, body: ListingUpdate, actor: ActorDep, c: ContainerDep
) -> listings.ListingView:
    """Edit a listing; its code type cannot change once a code was issued under it."""
    return listings.update_listing(
        c.uow(write=True),
        actor=actor,
        listing_id=listing_id,
        changes=listings.ListingChanges(**body.model_dump(exclude_unset=True)),
        now=c.clock(),
    )


@router.post(
    "/listings/{listing_id}/codes",
    status_code=201,
    response_model=IssuedBatch,
    responses={200: {"model": IssuedBatch, "description": "Replay of an earlier reference"}},
)
def issue_codes(
    listing_id: IdPath, body: IssueRequest, actor: ActorDep, c: ContainerDep, response: Response
) -> issuing.IssuedBatchView:
    """Issue a batch of merchant codes; the same reference returns the same codes (200)."""
    batch = issuing.issue_batch(
        c.uow(write=True),
        actor=actor,
        listing_id=listing_id,
        quantity=body.quantity,
        reference=body.reference,
        now=c.clock(),
    )
    response.status_code = 201 if batch.created else 200
    return batch


@router.get("/codes/{code}", response_model=CodeArchive)
def code_archive(code: CodePath, actor: ActorDep, c: ContainerDep) -> issuing.CodeArchiveView:
    """票券档案: one code's status and its whole history; a store manager sees the codes of
    their stores' templates and those used at their stores (as in the archive's list)."""
    return code_history(c.uow(), actor=actor, code=code)
