"""The log's public endpoints, after C2SP tlog-checkpoint and RFC 9162.

Edge cases: an empty log serves a signed checkpoint of size 0 and the
empty root; an index at or beyond the tree size or a tree size beyond the
log is a 404 with the reason; ``first = 0`` is a 422 (RFC 9162 defines no
proof from the empty tree), and so is ``first > second``; ``first == second``
gives the empty consistency proof. A proof is made for exactly the sizes asked.

The log is sharded by year (``ledger/shards.py``): each endpoint serves the
newest shard unless ``period`` names another. Indexes and sizes are those
of the shard's tree; ``/positions/{position}`` resolves a global position
(an entry's ``log_index``) to its shard and index, and ``/shards`` serves
the signed index of shards.
"""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from passport.service import Service
from schemas.events import MAX_SAFE_INTEGER

# Spelled out rather than ``{"model": Problem}``: FastAPI would list an error
# of the plain-text endpoints as text/plain, yet every error body is JSON.
_PROBLEM = {
    "description": "the reason, as a Problem",
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    },
}
router = APIRouter(
    prefix="/api/v1/log", tags=["log"], responses={404: _PROBLEM, 422: _PROBLEM}
)


class InclusionProof(BaseModel):
    """An RFC 9162 inclusion proof, hashes in base64, leaf to root."""

    log_index: int
    tree_size: int
    leaf_hash: str
    hashes: list[str]


class Position(BaseModel):
    """Where a global position lies: its shard's period and origin, its index."""

    position: int
    period: int
    origin: str
    index: int
    entry: dict[str, Any]


class ConsistencyProof(BaseModel):
    """An RFC 9162 consistency proof, hashes in base64."""

    first: int
    second: int
    hashes: list[str]


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _b64(items: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in items]


PERIOD = Query(
    None, ge=1900, le=2199, description="The shard's year; the newest by default."
)


@router.get("/checkpoint", response_class=PlainTextResponse)
def checkpoint(request: Request, period: int | None = PERIOD) -> str:
    """A shard's latest checkpoint as a C2SP signed note."""
    return _service(request).log.checkpoint(period)


@router.get("/shards", response_class=PlainTextResponse)
def shards(request: Request) -> str:
    """The index of shards, a note signed with the log key."""
    return _service(request).log.shard_index()


@router.get("/positions/{position}")
def position(
    request: Request, position: int = Path(ge=0, le=MAX_SAFE_INTEGER)
) -> Position:
    """The shard and index of a global position, with its entry."""
    log = _service(request).log
    shard, index = log.locate(position)
    return Position(
        position=position,
        period=shard.period,
        origin=shard.origin,
        index=index,
        entry=log.entry(position).to_json(),
    )


@router.get("/entries/{index}")
def entry(
    request: Request,
    index: int = Path(ge=0, le=MAX_SAFE_INTEGER),
    period: int | None = PERIOD,
) -> dict[str, Any]:
    """Leaf ``index`` of a shard: the object whose RFC 8785 bytes are its leaf."""
    return _service(request).log.shard_entry(index, period).to_json()


@router.get("/proof/inclusion")
def inclusion(
    request: Request,
    index: int = Query(ge=0, le=MAX_SAFE_INTEGER),
    tree_size: int = Query(ge=1, le=MAX_SAFE_INTEGER),
    period: int | None = PERIOD,
) -> InclusionProof:
    """PATH(index, D[tree_size]) per RFC 9162 §2.1.3."""
    log = _service(request).log
    proof = log.inclusion_proof(index, tree_size, period)
    leaf = log.shard_entry(index, period).leaf_hash
    return InclusionProof(
        log_index=index,
        tree_size=tree_size,
        leaf_hash=base64.b64encode(leaf).decode(),
        hashes=_b64(proof),
    )


@router.get("/proof/consistency")
def consistency(
    request: Request,
    first: int = Query(ge=1, le=MAX_SAFE_INTEGER),
    second: int = Query(ge=1, le=MAX_SAFE_INTEGER),
    period: int | None = PERIOD,
) -> ConsistencyProof:
    """PROOF(first, D[second]) per RFC 9162 §2.1.4; 422 when first > second."""
    if first > second:
        problem = f"expected at most second ({second}), got {first}"
        raise RequestValidationError(
            [{"loc": ("query", "first"), "msg": problem, "type": "value_error"}]
        )
    proof = _service(request).log.consistency_proof(first, second, period)
    return ConsistencyProof(first=first, second=second, hashes=_b64(proof))
