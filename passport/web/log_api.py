"""The log's public endpoints, after C2SP tlog-checkpoint and RFC 9162.

Edge cases: an empty log serves a signed checkpoint of size 0 and the
empty root; an index at or beyond the tree size or a tree size beyond the
log is a 404 with the reason; ``first = 0`` is a 422 (RFC 9162 defines no
proof from the empty tree); ``first == second`` gives the empty
consistency proof. A proof is made for exactly the sizes asked.
"""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from passport.service import Service
from schemas.events import MAX_SAFE_INTEGER

router = APIRouter(prefix="/api/v1/log", tags=["log"])


class InclusionProof(BaseModel):
    """An RFC 9162 inclusion proof, hashes in base64, leaf to root."""

    log_index: int
    tree_size: int
    leaf_hash: str
    hashes: list[str]


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


@router.get("/checkpoint", response_class=PlainTextResponse)
def checkpoint(request: Request) -> str:
    """The latest checkpoint as a C2SP signed note."""
    return _service(request).log.checkpoint()


@router.get("/entries/{log_index}")
def entry(
    request: Request, log_index: int = Path(ge=0, le=MAX_SAFE_INTEGER)
) -> dict[str, Any]:
    """The entry; its leaf data is the RFC 8785 encoding of exactly this object."""
    return _service(request).log.entry(log_index).to_json()


@router.get("/proof/inclusion")
def inclusion(
    request: Request,
    index: int = Query(ge=0, le=MAX_SAFE_INTEGER),
    tree_size: int = Query(ge=1, le=MAX_SAFE_INTEGER),
) -> InclusionProof:
    """PATH(index, D[tree_size]) per RFC 9162 §2.1.3."""
    log = _service(request).log
    proof = log.inclusion_proof(index, tree_size)
    leaf = log.entry(index).leaf_hash
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
) -> ConsistencyProof:
    """PROOF(first, D[second]) per RFC 9162 §2.1.4."""
    proof = _service(request).log.consistency_proof(first, second)
    return ConsistencyProof(first=first, second=second, hashes=_b64(proof))
