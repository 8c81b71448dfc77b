"""The ceiling: a bare FastAPI app that parses the same JSON body as a redemption and answers.

Served by the same uvicorn with the same options and a sync endpoint like ours, it is what the
framework alone costs on this machine. Run: `uvicorn ceiling_app:app` from bench/.
"""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

app = FastAPI()


class CodeOnOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str
    order_id: int


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/echo", status_code=201)
def echo(body: CodeOnOrder) -> dict[str, object]:
    return {"id": "rdm_ceiling", "code": body.code, "order_id": body.order_id, "discount_fen": 0}
