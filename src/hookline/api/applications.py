"""`/api/applications`: Logto's Management API for applications."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["applications"])
