"""`/api/organization-roles`: Logto's Management API for organization roles."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["organization roles"])
