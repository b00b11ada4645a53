"""`/api/organizations`: Logto's Management API for organizations."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["organizations"])
