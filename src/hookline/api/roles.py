"""`/api/roles`: Logto's Management API for roles."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["roles"])
