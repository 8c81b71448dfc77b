"""The ceiling: a bare FastAPI app that parses the same JSON body as a redemption and answers.

Served by the same uvicorn with the same options, it is what the framework alone costs on this
machine. Its endpoint is async, as our scan routes are: a plain `def` endpoint would add a hop
to Starlette's thread pool per request, which our redeem does not pay on SQLite (measured on
2026-12-07: a `def` echo ran at 0.41 of this one's rate in two pairs, and ratios against it looked
2.5 times better than they were). Run: `uvicorn ceiling_app:app` from bench/.
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
async def echo(body: CodeOnOrder) -> dict[str, object]:
    return {"id": "rdm_ceiling", "code": body.code, "order_id": body.order_id, "discount_fen": 0}
