"""`/api/organization-scopes`: Logto's Management API for organization scopes."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["organization scopes"])
