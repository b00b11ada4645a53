"""`/api/sign-in-exp`: Logto's sign-in experience settings (Management API).

Changing them fires nothing, as in Logto.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from hookline.api.bodies import JSONRoute
from hookline.api.deps import RuntimeDep
from hookline.api.responses import JSON
from hookline.identity import sign_in_experience as sie

router = APIRouter(tags=["sign in exp"], route_class=JSONRoute)


@router.get("/sign-in-exp")
async def get_sign_in_exp(rt: RuntimeDep) -> JSON:
    return JSON(await rt.read(lambda conn: sie.get_sign_in_experience(conn)))


@router.patch("/sign-in-exp")
async def patch_sign_in_exp(rt: RuntimeDep, body: Annotated[dict[str, Any], Body()]) -> JSON:
    return JSON(await rt.committer.run(lambda conn: sie.update_sign_in_experience(conn, body)))
