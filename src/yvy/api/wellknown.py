"""``/.well-known/yvy-keys.json``: the agency's public signing keys as a JWK Set (RFC 7517).

Served to anyone, also under ``--private``: a court or a partner checks signed evidence and
audit checkpoints with these keys (``yvy evidence verify --key``). Keys come from the
workspace's key ring (:mod:`yvy.security.keys`), read on each request so a rotation shows at once.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..errors import NotFoundError
from ..security.keys import load_keyring

__all__ = ["router"]

router = APIRouter(tags=["Signed evidence"])


@router.get("/.well-known/yvy-keys.json", summary="The agency's public signing keys (JWK Set)")
def keys(request: Request) -> JSONResponse:
    """Every public key the agency signed with, with its key id and validity period."""
    try:
        ring = load_keyring(request.app.state.yvy.workspace.home)
    except NotFoundError:  # without the server's paths in the answer
        raise NotFoundError("/.well-known/yvy-keys.json", "this server has no signing keys") from None
    return JSONResponse(ring.to_jwks(), media_type="application/jwk-set+json",
                        headers={"Cache-Control": "public, max-age=300"})
