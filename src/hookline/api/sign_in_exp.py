"""`/api/sign-in-exp`: Logto's sign in exp API."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["sign in exp"])
