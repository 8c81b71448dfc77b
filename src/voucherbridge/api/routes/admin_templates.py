"""Admin API: voucher templates (券模板) and their rules."""

from __future__ import annotations

from voucherbridge.api.deps import ActorDep, ContainerDep
from voucherbridge.api.routes.admin_common import IdPath, admin_router
from voucherbridge.api.schemas.admin_templates import TemplateCreate, TemplateRead, TemplateUpdate
from voucherbridge.catalogue import templates

router = admin_router()


@router.get("/templates", response_model=list[TemplateRead])
def list_templates(actor: ActorDep, c: ContainerDep) -> list[templates.TemplateView]:
    """Voucher templates (券模板) the user may see."""
    return templates.list_templates(c.uow(), actor=actor)


@router.post("/templates", status_code=201, response_model=TemplateRead)
def create_template(
    body: TemplateCreate, actor: ActorDep, c: ContainerDep
) -> templates.TemplateView:
    """Create a template: kind, value, items, stores, validity and usage rules."""
    spec = templates.TemplateSpec(**body.model_dump(exclude_unset=True))
    return templates.create_template(c.uow(write=True), actor=actor, spec=spec, now=c.clock())


@router.get("/templates/{template_id}", response_model=TemplateRead)
def get_template(template_id: IdPath, actor: ActorDep, c: ContainerDep) -> templates.TemplateView:
    """One template."""
    return templates.get_template(c.uow(), actor=actor, template_id=template_id)


@router.patch("/templates/{template_id}", response_model=TemplateRead)
def update_template(
    template_id: IdPath, body: TemplateUpdate, actor: ActorDep, c: ContainerDep
) -> templates.TemplateView:
    """Change a template's rules; codes already issued keep their validity dates."""
    return templates.update_template(
        c.uow(write=True),
        actor=actor,
        template_id=template_id,
        changes=templates.TemplateChanges(**body.model_dump(exclude_unset=True)),
        now=c.clock(),
    )
