"""`/api/experience`: Logto's Experience API (end-user sign-in flows; no bearer token).

Unlike Logto, no OIDC authorization request comes first: `PUT /experience` starts the
interaction itself and keeps its id in the `_interaction` cookie. The flows and the events
they fire are `identity.experience`'s; a route reads the cookie and the client, calls its
step and answers.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, model_validator

from hookline.api.bodies import JSONRoute
from hookline.api.deps import RuntimeDep
from hookline.api.responses import JSON
from hookline.identity.experience import codes, interactions, password, profile
from hookline.identity.experience.identification import identify
from hookline.identity.experience.identifiers import well_formed
from hookline.identity.experience.interactions import INTERACTION_TTL_MS, Client
from hookline.identity.experience.submit import submit_interaction
from hookline.identity.identifiers import MAX_LENGTH

router = APIRouter(tags=["experience"], route_class=JSONRoute)

COOKIE = "_interaction"
COOKIE_PATH = "/api/experience"

Event = Literal["SignIn", "Register", "ForgotPassword"]
NonEmpty = Annotated[str, Field(min_length=1)]


class StartBody(BaseModel):
    interactionEvent: Event
    applicationId: NonEmpty | None = None


class EventBody(BaseModel):
    interactionEvent: Event


class Identifier(BaseModel):
    type: Literal["username", "email", "phone"]
    # As wide as the user columns it ends up in.
    value: Annotated[str, Field(min_length=1, max_length=MAX_LENGTH)]

    @model_validator(mode="after")
    def _format(self) -> Identifier:
        if not well_formed(self.type, self.value):
            raise ValueError(f"Invalid {self.type}")
        return self

    def json(self) -> dict[str, str]:  # type: ignore[override]
        return {"type": self.type, "value": self.value}


class CodeIdentifier(Identifier):
    type: Literal["email", "phone"]


class PasswordBody(BaseModel):
    identifier: Identifier
    password: NonEmpty


class CodeSendBody(BaseModel):
    identifier: CodeIdentifier
    interactionEvent: Event


class CodeVerifyBody(BaseModel):
    identifier: CodeIdentifier
    verificationId: NonEmpty
    code: NonEmpty


class IdentificationBody(BaseModel):
    # Absent means "none"; an explicit null is invalid input, as in Logto.
    verificationId: NonEmpty = None  # type: ignore[assignment]


class ProfileBody(BaseModel):
    type: Literal["username", "password", "email", "phone"]
    value: NonEmpty = None  # type: ignore[assignment]
    verificationId: NonEmpty = None  # type: ignore[assignment]


class NewPasswordBody(BaseModel):
    password: NonEmpty


def _client(request: Request) -> Client:
    return Client(
        request.headers.get("user-agent"), request.client.host if request.client else None
    )


def _secret(request: Request) -> str | None:
    """The `_interaction` cookie: the interaction's secret (never its public id)."""
    return request.cookies.get(COOKIE)


@router.put("/experience", status_code=204)
async def start(body: StartBody, request: Request, rt: RuntimeDep) -> Response:
    _, secret = await rt.committer.run(
        lambda conn: interactions.start(conn, body.interactionEvent, body.applicationId)
    )
    response = Response(status_code=204)
    response.set_cookie(
        COOKIE,
        secret,
        max_age=INTERACTION_TTL_MS // 1000,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        # The scheme the client used, as trusted proxies (HOOKLINE_TRUSTED_PROXIES) report it.
        secure=request.url.scheme == "https",
    )
    return response


@router.put("/experience/interaction-event", status_code=204)
async def change_event(body: EventBody, request: Request, rt: RuntimeDep) -> Response:
    secret = _secret(request)
    await rt.committer.run(
        lambda conn: interactions.change_event(conn, secret, body.interactionEvent)
    )
    return Response(status_code=204)


@router.post("/experience/verification/password")
async def verify_password_route(body: PasswordBody, request: Request, rt: RuntimeDep) -> JSON:
    verification_id = await password.verify_password(
        rt, _secret(request), _client(request), body.identifier.json(), body.password
    )
    return JSON({"verificationId": verification_id})


@router.post("/experience/verification/new-password-identity")
async def new_password_identity(body: PasswordBody, request: Request, rt: RuntimeDep) -> JSON:
    """Register with an identifier and a password (Logto's username sign-up)."""
    verification_id = await password.new_password_identity(
        rt, _secret(request), _client(request), body.identifier.json(), body.password
    )
    return JSON({"verificationId": verification_id})


@router.post("/experience/verification/verification-code")
async def send_code(body: CodeSendBody, request: Request, rt: RuntimeDep) -> JSON:
    verification_id = await codes.send_code(
        rt,
        _secret(request),
        _client(request),
        body.identifier.json(),
        body.interactionEvent,
    )
    return JSON({"verificationId": verification_id})


@router.post("/experience/verification/verification-code/verify")
async def verify_code(body: CodeVerifyBody, request: Request, rt: RuntimeDep) -> JSON:
    verification_id = await codes.verify_code(
        rt,
        _secret(request),
        _client(request),
        body.identifier.json(),
        body.verificationId,
        body.code,
    )
    return JSON({"verificationId": verification_id})


@router.post("/experience/identification")
async def identification(
    request: Request, rt: RuntimeDep, body: IdentificationBody | None = None
) -> Response:
    verification_id = body.verificationId if body is not None else None
    secret = _secret(request)
    registered = await rt.committer.run(lambda conn: identify(conn, secret, verification_id))
    if registered:
        return Response("Created", status_code=201, media_type="text/plain")
    return Response(status_code=204)


@router.post("/experience/profile", status_code=204)
async def add_profile(body: ProfileBody, request: Request, rt: RuntimeDep) -> Response:
    await profile.add_profile(
        rt, _secret(request), _client(request), body.type, body.value, body.verificationId
    )
    return Response(status_code=204)


@router.put("/experience/profile/password", status_code=204)
async def reset_password(body: NewPasswordBody, request: Request, rt: RuntimeDep) -> Response:
    await profile.reset_password(rt, _secret(request), _client(request), body.password)
    return Response(status_code=204)


@router.post("/experience/submit")
async def submit(request: Request, rt: RuntimeDep) -> JSON:
    secret, client, base_url = (
        _secret(request),
        _client(request),
        str(request.base_url),
    )
    redirect = await submit_interaction(rt, secret, client, base_url)
    response = JSON({"redirectTo": redirect})
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax")
    return response
