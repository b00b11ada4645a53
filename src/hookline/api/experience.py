"""`/api/experience`: Logto's Experience API (end-user sign-in flows; no bearer token).

Unlike Logto, no OIDC authorization request comes first: `PUT /experience` starts the
interaction itself and keeps its id in the `_interaction` cookie. Password hashing and
message sends happen outside any write transaction; an attempt that hashes or verifies a
password first spends the client's and the interaction's budgets (`PasswordGate`). Failed
verifications and exception events (`Identifier.Lockout`, `Message.RateLimited`) are
committed before the request is answered with its error; everything else that fails rolls
back and fires nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import Connection

from hookline.api.bodies import JSONRoute
from hookline.api.deps import RuntimeDep
from hookline.api.responses import JSON
from hookline.errors import ApiError
from hookline.identity import experience as flows
from hookline.identity import sentinel
from hookline.identity import sign_in_experience as sie
from hookline.identity.messages import Message, MessageError, connector
from hookline.identity.users import upgrade_password_hash
from hookline.outbox.emit import emit
from hookline.runtime import Runtime

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
    value: Annotated[str, Field(min_length=1, max_length=128)]

    @model_validator(mode="after")
    def _format(self) -> Identifier:
        pattern = {"username": flows.USERNAME, "email": flows.EMAIL, "phone": flows.PHONE}
        if not pattern[self.type].fullmatch(self.value):
            raise ValueError(f"Invalid {self.type}")
        return self

    def json(self) -> dict[str, str]:  # type: ignore[override]
        return {"type": self.type, "value": self.value}


class CodeIdentifier(Identifier):
    type: Literal["email", "phone"]  # type: ignore[assignment]


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


def _client(request: Request) -> flows.Client:
    return flows.Client(
        request.headers.get("user-agent"), request.client.host if request.client else None
    )


def _interaction_id(request: Request) -> str:
    interaction_id = request.cookies.get(COOKIE)
    if not interaction_id:
        raise flows.interaction_not_found()
    return interaction_id


async def _read(rt: Runtime, request: Request) -> tuple[flows.Interaction, dict[str, Any]]:
    interaction_id = _interaction_id(request)
    return await rt.read(lambda conn: (flows.load(conn, interaction_id), sie.load(conn)))


def _lockout(
    conn: Any, interaction: flows.Interaction, client: flows.Client, identifier: dict[str, str]
) -> None:
    app = flows.application_projection(conn, interaction)
    emit(conn, "Identifier.Lockout", flows.data_payload(interaction, client, app, **identifier))


def _blocked(until: int) -> ApiError:
    return ApiError(
        400, "session.verification_blocked_too_many_attempts", sentinel.blocked_message(until)
    )


@router.put("/experience", status_code=204)
async def start(body: StartBody, request: Request, rt: RuntimeDep) -> Response:
    interaction = await rt.committer.run(
        lambda conn: flows.start(conn, body.interactionEvent, body.applicationId)
    )
    response = Response(status_code=204)
    response.set_cookie(
        COOKIE,
        interaction.id,
        max_age=flows.INTERACTION_TTL_MS // 1000,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        # The scheme the client used, as trusted proxies (HOOKLINE_TRUSTED_PROXIES) report it.
        secure=request.url.scheme == "https",
    )
    return response


@router.put("/experience/interaction-event", status_code=204)
async def change_event(body: EventBody, request: Request, rt: RuntimeDep) -> Response:
    interaction_id = _interaction_id(request)

    def work(conn: Connection) -> None:
        flows.set_event(conn, flows.load(conn, interaction_id), body.interactionEvent)

    await rt.committer.run(work)
    return Response(status_code=204)


@router.post("/experience/verification/password")
async def verify_password_route(body: PasswordBody, request: Request, rt: RuntimeDep) -> JSON:
    identifier = body.identifier.json()
    interaction, _ = await _read(rt, request)  # 404 before any work if there is no interaction
    rt.passwords.spend(_client(request).ip, interaction.id)
    user = await rt.read(
        lambda conn: flows.user_by_identifier(conn, identifier["type"], identifier["value"])
    )
    # As slow with no such user (or one without a password): the time tells nothing.
    matched, refreshed = await rt.passwords.verify_and_refresh(
        user and user["password_hash"], body.password
    )
    suspended = matched and bool(user and user["is_suspended"])
    failed = not matched or suspended

    def work(conn: Connection) -> tuple[int | None, dict[str, Any] | None]:
        current = flows.load(conn, interaction.id)
        policy = sie.sentinel_policy(sie.load(conn))
        lockout = sentinel.lockout_target(identifier, user["id"] if user else None)
        until = sentinel.report(conn, "Password", lockout, failed, policy)
        if until is not None:
            _lockout(conn, current, _client(request), identifier)
        elif not failed:
            if refreshed is not None:
                upgrade_password_hash(conn, user["id"], user["password_hash"], refreshed)
            record = flows.password_record(identifier)
            current.add_record(record)
            flows.save(conn, current)
            return None, record
        return until, None

    # The attempt is recorded (and a lockout fired) even when the answer is an error.
    until, record = await rt.committer.run(work)
    if until is not None:
        raise _blocked(until)
    if suspended:
        raise ApiError(401, "user.suspended", "This account is suspended.")
    if not matched:
        raise ApiError(
            422,
            "session.invalid_credentials",
            "Incorrect account or password. Please check your input.",
        )
    return JSON({"verificationId": record["id"]})


@router.post("/experience/verification/new-password-identity")
async def new_password_identity(body: PasswordBody, request: Request, rt: RuntimeDep) -> JSON:
    """Register with an identifier and a password (Logto's username sign-up)."""
    identifier = body.identifier.json()
    interaction, settings = await _read(rt, request)
    field = flows.PROFILE_FIELDS[identifier["type"]]
    await rt.read(lambda conn: flows.check_free(conn, field, identifier["value"]))
    sie.check_password(settings, body.password, flows.user_info({field: identifier["value"]}, None))
    rt.passwords.spend(_client(request).ip, interaction.id)
    password_hash = await rt.passwords.hash(body.password)

    def work(conn: Connection) -> str:
        current = flows.load(conn, interaction.id)
        record = flows.new_password_record(identifier, password_hash)
        current.add_record(record)
        flows.save(conn, current)
        return record["id"]

    return JSON({"verificationId": await rt.committer.run(work)})


@router.post("/experience/verification/verification-code")
async def send_code(body: CodeSendBody, request: Request, rt: RuntimeDep) -> JSON:
    identifier = body.identifier.json()
    recipient = identifier["value"]
    interaction_id = _interaction_id(request)

    def check_rate(conn: Connection) -> bool:
        interaction = flows.load(conn, interaction_id)
        policy = sie.rate_limit_policy(sie.load(conn))
        sent = sentinel.sends_within(conn, recipient, policy["sendWindow"])
        limited = sent >= policy["maxSendsPerRecipient"]
        if limited:
            app = flows.application_projection(conn, interaction)
            payload = flows.data_payload(
                interaction,
                _client(request),
                app,
                action="VerificationCodeSend",
                recipient=recipient,
            )
            emit(conn, "Message.RateLimited", payload)
        return limited

    # Committed before the 429, so that the rate-limited event is fired.
    if await rt.committer.run(check_rate):
        raise ApiError(
            429,
            "request.message_rate_limited",
            "Too many messages sent to this recipient. Please try again later.",
        )
    code = flows.new_code()
    kind = "email" if identifier["type"] == "email" else "sms"
    try:
        await connector(rt.settings).send(Message(recipient, body.interactionEvent, code, kind))
    except MessageError as exc:
        raise ApiError(500, "connector.general", f"Errors occurred in connector: {exc}") from exc

    def store(conn: Connection) -> str:
        interaction = flows.load(conn, interaction_id)
        sentinel.record_send(conn, recipient)
        return flows.store_code(conn, interaction, identifier, code, body.interactionEvent)

    return JSON({"verificationId": await rt.committer.run(store)})


@router.post("/experience/verification/verification-code/verify")
async def verify_code(body: CodeVerifyBody, request: Request, rt: RuntimeDep) -> JSON:
    identifier = body.identifier.json()
    interaction_id = _interaction_id(request)

    def work(conn: Connection) -> tuple[dict[str, Any], ApiError | None, int | None]:
        interaction = flows.load(conn, interaction_id)
        record = flows.code_record(interaction, body.verificationId, identifier)
        error = flows.check_code(conn, record, body.code)
        policy = sie.sentinel_policy(sie.load(conn))
        user = flows.user_by_identifier(conn, identifier["type"], identifier["value"])
        lockout = sentinel.lockout_target(identifier, user["id"] if user else None)
        until = sentinel.report(conn, "VerificationCode", lockout, error is not None, policy)
        if until is not None:
            _lockout(conn, interaction, _client(request), identifier)
        elif error is None:
            flows.mark_verified(conn, interaction, record)
        return record, error, until

    # A wrong code is recorded (and may fire a lockout) before it is answered with its error.
    record, error, until = await rt.committer.run(work)
    if until is not None:
        raise _blocked(until)
    if error is not None:
        raise error
    return JSON({"verificationId": record["id"]})


@router.post("/experience/identification")
async def identification(
    request: Request, rt: RuntimeDep, body: IdentificationBody | None = None
) -> Response:
    verification_id = body.verificationId if body is not None else None
    interaction_id = _interaction_id(request)
    status = await rt.committer.run(
        lambda conn: flows.identify(conn, flows.load(conn, interaction_id), verification_id)
    )
    if status == 201:
        return Response("Created", status_code=201, media_type="text/plain")
    return Response(status_code=204)


@router.post("/experience/profile", status_code=204)
async def add_profile(body: ProfileBody, request: Request, rt: RuntimeDep) -> Response:
    password_hash = None
    if body.type == "password":
        interaction, settings = await _read(rt, request)
        flows.guard_not_forgot_password(interaction)
        if body.value is None:
            raise flows.invalid_value("value", "Required")
        user = await rt.read(lambda conn: flows.identified_user(conn, interaction))
        info = flows.user_info(interaction.state["profile"], user)
        sie.check_password(settings, body.value, info)
        rt.passwords.spend(_client(request).ip, interaction.id)
        password_hash = await rt.passwords.hash(body.value)
    interaction_id = _interaction_id(request)

    def work(conn: Connection) -> None:
        interaction = flows.load(conn, interaction_id)
        flows.set_profile(
            conn, interaction, body.type, body.value, body.verificationId, password_hash
        )

    await rt.committer.run(work)
    return Response(status_code=204)


@router.put("/experience/profile/password", status_code=204)
async def reset_password(body: NewPasswordBody, request: Request, rt: RuntimeDep) -> Response:
    interaction, settings = await _read(rt, request)
    user: Mapping[str, Any] = await rt.read(
        lambda conn: flows.forgot_password_user(conn, interaction)
    )
    sie.check_password(settings, body.password, flows.user_info({}, user))
    rt.passwords.spend(_client(request).ip, interaction.id)
    same = user["password_hash"] and await rt.passwords.verify(user["password_hash"], body.password)
    if same:
        raise flows.same_password()
    password_hash = await rt.passwords.hash(body.password)

    def work(conn: Connection) -> None:
        current = flows.load(conn, interaction.id)
        current.state["profile"]["passwordHash"] = password_hash
        flows.save(conn, current)

    await rt.committer.run(work)
    return Response(status_code=204)


@router.post("/experience/submit")
async def submit(request: Request, rt: RuntimeDep) -> JSON:
    client = _client(request)
    interaction_id = _interaction_id(request)
    base_url = str(request.base_url)

    def work(conn: Connection) -> str:
        interaction = flows.load(conn, interaction_id)
        for event, payload in flows.submit(conn, interaction, client):
            emit(conn, event, payload)
        return flows.redirect_to(conn, interaction, base_url)

    redirect = await rt.committer.run(work)
    response = JSON({"redirectTo": redirect})
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax")
    return response
