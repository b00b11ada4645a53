"""`/api/resources`: Logto's Management API for resources."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["resources"])
