"""`/api/organization-invitations`: Logto's Management API for organization invitations."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["organization invitations"])
