"""Admin API: before disabling a listing or a template, how many sold codes are still unused.

Disabling (PATCH ... {"active": false}) stops new sales only; these say what stays in buyers'
hands (seed 002: deleting an old 团购 strands the buyers who have not used their codes).
"""

from __future__ import annotations

from voucherbridge.api.deps import ActorDep, ContainerDep
from voucherbridge.api.routes.admin_common import IdPath, admin_router
from voucherbridge.api.schemas.admin_sales_stop import SalesStopRead
from voucherbridge.catalogue import sales_stop

router = admin_router()


@router.get("/listings/{listing_id}/sales-stop", response_model=SalesStopRead)
def listing_sales_stop(
    listing_id: IdPath, actor: ActorDep, c: ContainerDep
) -> sales_stop.SalesStopView:
    """What disabling the listing would leave behind: its sold, still unused codes."""
    return sales_stop.listing_stop(c.uow(), actor=actor, listing_id=listing_id, now=c.clock())


@router.get("/templates/{template_id}/sales-stop", response_model=SalesStopRead)
def template_sales_stop(
    template_id: IdPath, actor: ActorDep, c: ContainerDep
) -> sales_stop.SalesStopView:
    """What disabling the template would leave behind: the unused codes of all its listings."""
    return sales_stop.template_stop(c.uow(), actor=actor, template_id=template_id, now=c.clock())
