"""Admin API (/api/admin/v1) for HQ admins and store managers. Routes only translate."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header, Path, Response
from fastapi.responses import JSONResponse

from voucherbridge.api.deps import ActorDep, ContainerDep, bearer_token
from voucherbridge.api.schemas.admin import (
    CodeArchive,
    IssuedBatch,
    IssueRequest,
    ItemCreate,
    ItemRead,
    ItemUpdate,
    ListingCreate,
    ListingRead,
    ListingUpdate,
    LoginRead,
    LoginRequest,
    MeRead,
    StoreCreate,
    StoreRead,
    StoreUpdate,
    TemplateCreate,
    TemplateRead,
    TemplateUpdate,
    TerminalCreate,
    TerminalIssued,
    TerminalRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from voucherbridge.api.schemas.common import NO_NUL, ErrorEnvelope
from voucherbridge.catalogue import issuing, items, listings, templates
from voucherbridge.chain import auth, stores, terminals, users
from voucherbridge.core.formatting import iso

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorEnvelope} for status in (401, 403, 404, 409, 422)
}
router = APIRouter(prefix="/api/admin/v1", tags=["admin"], responses=ERRORS)

IdPath = Annotated[int, Path(ge=1, le=2**62)]
ItemCodePath = Annotated[str, Path(min_length=1, max_length=64, pattern=NO_NUL)]
CodePath = Annotated[str, Path(min_length=1, max_length=64, pattern=NO_NUL)]


# --- session -----------------------------------------------------------------------------


@router.post("/login", response_model=LoginRead)
def login(body: LoginRequest, c: ContainerDep) -> Any:
    """Exchange a username and password for a bearer token."""
    token, expires_at, actor = auth.login(
        c.uow(write=True),
        username=body.username.strip(),
        password=body.password,
        now=c.clock(),
        ttl_hours=c.settings.admin_token_ttl_hours,
        policy=c.sign_in_policy,
    )
    return {
        "token": token,
        "expires_at": iso(expires_at, ZoneInfo(c.settings.timezone)),
        "user": {
            "id": actor.user_id,
            "username": actor.username,
            "role": actor.role,
            "store_ids": None if actor.store_ids is None else sorted(actor.store_ids),
        },
    }


@router.post("/logout", status_code=204, response_class=Response)
def logout(
    actor: ActorDep, c: ContainerDep, authorization: Annotated[str | None, Header()] = None
) -> Response:
    """End this token's session at once; the user's sessions elsewhere stay signed in."""
    auth.logout(c.uow(write=True), bearer_token(authorization), c.clock())
    return Response(status_code=204)


@router.get("/me", response_model=MeRead)
def me(actor: ActorDep, c: ContainerDep) -> Any:
    """The logged-in user, their role, stores and merchant."""
    return users.get_me(c.uow(), actor=actor)


# --- stores ------------------------------------------------------------------------------


@router.get("/stores", response_model=list[StoreRead])
def list_stores(actor: ActorDep, c: ContainerDep) -> Any:
    """Stores of the chain (HQ) or of the manager's own stores."""
    return stores.list_stores(c.uow(), actor=actor)


@router.post("/stores", status_code=201, response_model=StoreRead)
def create_store(body: StoreCreate, actor: ActorDep, c: ContainerDep) -> Any:
    """Open a new store (HQ only)."""
    return stores.create_store(
        c.uow(write=True),
        actor=actor,
        name=body.name,
        brand=body.brand,
        address=body.address,
        now=c.clock(),
    )


@router.get("/stores/{store_id}", response_model=StoreRead)
def get_store(store_id: IdPath, actor: ActorDep, c: ContainerDep) -> Any:
    """One store."""
    return stores.get_store(c.uow(), actor=actor, store_id=store_id)


@router.patch("/stores/{store_id}", response_model=StoreRead)
def update_store(store_id: IdPath, body: StoreUpdate, actor: ActorDep, c: ContainerDep) -> Any:
    """Edit a store; only HQ may deactivate one."""
    return stores.update_store(
        c.uow(write=True),
        actor=actor,
        store_id=store_id,
        changes=body.model_dump(exclude_unset=True),
        now=c.clock(),
    )


# --- items -------------------------------------------------------------------------------


@router.get("/items", response_model=list[ItemRead])
def list_items(actor: ActorDep, c: ContainerDep) -> Any:
    """The merchant's item catalogue (菜品)."""
    return items.list_items(c.uow(), actor=actor)


@router.post("/items", status_code=201, response_model=ItemRead)
def create_item(body: ItemCreate, actor: ActorDep, c: ContainerDep) -> Any:
    """Add an item to the catalogue (HQ only); an existing item code is a conflict."""
    return items.create_item(
        c.uow(write=True),
        actor=actor,
        item_code=body.item_code,
        name=body.name,
        unit=body.unit,
        unit_price_fen=body.unit_price_fen,
        now=c.clock(),
    )


@router.patch("/items/{item_code}", response_model=ItemRead)
def update_item(item_code: ItemCodePath, body: ItemUpdate, actor: ActorDep, c: ContainerDep) -> Any:
    """Change an item's name, unit, price or active flag (HQ only)."""
    return items.update_item(
        c.uow(write=True),
        actor=actor,
        item_code=item_code,
        changes=body.model_dump(exclude_unset=True),
        now=c.clock(),
    )


# --- terminals ---------------------------------------------------------------------------


@router.get("/terminals", response_model=list[TerminalRead])
def list_terminals(actor: ActorDep, c: ContainerDep) -> Any:
    """Cashier terminals the user may manage; keys are never shown here."""
    return terminals.list_terminals(c.uow(), actor=actor)


@router.post("/terminals", status_code=201, response_model=TerminalIssued)
def issue_terminal(body: TerminalCreate, actor: ActorDep, c: ContainerDep) -> Any:
    """Register a till for a store; the response holds its API key, shown this once only."""
    return terminals.issue_terminal(
        c.uow(write=True), actor=actor, store_id=body.store_id, name=body.name, now=c.clock()
    )


@router.post("/terminals/{terminal_id}/revoke", response_model=TerminalRead)
def revoke_terminal(terminal_id: IdPath, actor: ActorDep, c: ContainerDep) -> Any:
    """Revoke a terminal's key; the Terminal API refuses it from the next request on."""
    return terminals.revoke_terminal(
        c.uow(write=True), actor=actor, terminal_id=terminal_id, now=c.clock()
    )


# --- users -------------------------------------------------------------------------------


@router.get("/users", response_model=list[UserRead])
def list_users(actor: ActorDep, c: ContainerDep) -> Any:
    """Console users of the merchant (HQ only)."""
    return users.list_users(c.uow(), actor=actor)


@router.post("/users", status_code=201, response_model=UserRead)
def create_user(body: UserCreate, actor: ActorDep, c: ContainerDep) -> Any:
    """Create a console user (HQ only); managers and cashiers need at least one store."""
    return users.create_user(
        c.uow(write=True),
        actor=actor,
        username=body.username,
        password=body.password,
        role=body.role,
        store_ids=body.store_ids,
        display_name=body.display_name,
        now=c.clock(),
    )


@router.patch("/users/{user_id}", response_model=UserRead)
def update_user(user_id: IdPath, body: UserUpdate, actor: ActorDep, c: ContainerDep) -> Any:
    """Activate, deactivate, re-scope or reset the password of a user (HQ only)."""
    return users.update_user(
        c.uow(write=True),
        actor=actor,
        user_id=user_id,
        changes=body.model_dump(exclude_unset=True),
        now=c.clock(),
    )


# --- templates ---------------------------------------------------------------------------


@router.get("/templates", response_model=list[TemplateRead])
def list_templates(actor: ActorDep, c: ContainerDep) -> Any:
    """Voucher templates (券模板) the user may see."""
    return templates.list_templates(c.uow(), actor=actor)


@router.post("/templates", status_code=201, response_model=TemplateRead)
def create_template(body: TemplateCreate, actor: ActorDep, c: ContainerDep) -> Any:
    """Create a template: kind, value, items, stores, validity and usage rules."""
    return templates.create_template(
        c.uow(write=True), actor=actor, spec=body.model_dump(exclude_unset=True), now=c.clock()
    )


@router.get("/templates/{template_id}", response_model=TemplateRead)
def get_template(template_id: IdPath, actor: ActorDep, c: ContainerDep) -> Any:
    """One template."""
    return templates.get_template(c.uow(), actor=actor, template_id=template_id)


@router.patch("/templates/{template_id}", response_model=TemplateRead)
def update_template(
    template_id: IdPath, body: TemplateUpdate, actor: ActorDep, c: ContainerDep
) -> Any:
    """Change a template's rules; codes already issued keep their validity dates."""
    return templates.update_template(
        c.uow(write=True),
        actor=actor,
        template_id=template_id,
        changes=body.model_dump(exclude_unset=True),
        now=c.clock(),
    )


# --- listings and codes ------------------------------------------------------------------


@router.get("/listings", response_model=list[ListingRead])
def list_listings(actor: ActorDep, c: ContainerDep) -> Any:
    """Listings (关联): platform products linked to templates."""
    return listings.list_listings(c.uow(), actor=actor)


@router.post("/listings", status_code=201, response_model=ListingRead)
def create_listing(body: ListingCreate, actor: ActorDep, c: ContainerDep) -> Any:
    """Link a platform product to a template; the answer carries the generated public_id."""
    return listings.create_listing(
        c.uow(write=True), actor=actor, spec=body.model_dump(exclude_unset=True), now=c.clock()
    )


@router.get("/listings/{listing_id}", response_model=ListingRead)
def get_listing(listing_id: IdPath, actor: ActorDep, c: ContainerDep) -> Any:
    """One listing."""
    return listings.get_listing(c.uow(), actor=actor, listing_id=listing_id)


@router.patch("/listings/{listing_id}", response_model=ListingRead)
def update_listing(
    listing_id: IdPath, body: ListingUpdate, actor: ActorDep, c: ContainerDep
) -> Any:
    """Edit a listing; its code type cannot change once a code was issued under it."""
    return listings.update_listing(
        c.uow(write=True),
        actor=actor,
        listing_id=listing_id,
        changes=body.model_dump(exclude_unset=True),
        now=c.clock(),
    )


@router.post(
    "/listings/{listing_id}/codes",
    status_code=201,
    response_model=IssuedBatch,
    responses={200: {"model": IssuedBatch, "description": "Replay of an earlier reference"}},
)
def issue_codes(listing_id: IdPath, body: IssueRequest, actor: ActorDep, c: ContainerDep) -> Any:
    """Issue a batch of merchant codes; the same reference returns the same codes (200)."""
    batch = issuing.issue_batch(
        c.uow(write=True),
        actor=actor,
        listing_id=listing_id,
        quantity=body.quantity,
        reference=body.reference,
        now=c.clock(),
    )
    return JSONResponse(batch, status_code=201 if batch["created"] else 200)


@router.get("/codes/{code}", response_model=CodeArchive)
def code_archive(code: CodePath, actor: ActorDep, c: ContainerDep) -> Any:
    """票券档案: one code's status and its whole history."""
    return issuing.code_archive(c.uow(), actor=actor, code=code)
