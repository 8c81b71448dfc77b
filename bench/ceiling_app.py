"""The ceiling: a bare FastAPI app that parses the same JSON body as a redemption and answers.

Served by the same uvicorn, with a sync endpoint like ours, it is what the framework alone costs.
"""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

app = FastAPI()


class CodeOnOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str
    order_id: int


@app.post("/echo", status_code=201)
def echo(body: CodeOnOrder) -> dict[str, object]:
    return {"id": "rdm_ceiling", "code": body.code, "order_id": body.order_id, "discount_fen": 0}
