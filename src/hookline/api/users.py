"""`/api/users`: Logto's Management API for users, their passwords, suspension and roles."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr
from sqlalchemy import Connection

from hookline.api.bodies import JSONRoute
from hookline.api.changes import change, emit_change
from hookline.api.deps import RuntimeDep, page_params, pagination_headers, truthy
from hookline.api.responses import JSON
from hookline.errors import ApiError, invalid_input
from hookline.identity import users as service
from hookline.identity.passwords import is_argon2_digest
from hookline.identity.roles import role_json
from hookline.identity.users import user_projection, user_response

router = APIRouter(tags=["users"], route_class=JSONRoute)

# @logto/core-kit's expressions, with JavaScript's ASCII-only `\w` and `\d` spelled out, and
# the widths of Logto's columns (SQLite would store a longer value; PostgreSQL would not).
Username = Annotated[StrictStr, Field(pattern=r"^[A-Z_a-z][0-9A-Z_a-z]*$", max_length=128)]
Email = Annotated[StrictStr, Field(pattern=r"^\S+@\S+\.\S+$", max_length=128)]
Phone = Annotated[StrictStr, Field(pattern=r"^[0-9]+$", max_length=128)]
Name = Annotated[StrictStr, Field(max_length=128)]
# zod's `.url()`: anything `new URL()` accepts, i.e. an absolute URL with a scheme.
Url = Annotated[StrictStr, Field(pattern=r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$", max_length=2048)]
Empty = Literal[""]
JsonObject = dict[str, Any]
PasswordAlgorithm = Literal[
    "Argon2i", "Argon2id", "Argon2d", "SHA1", "SHA256", "MD5", "Bcrypt", "Legacy"
]


class Address(BaseModel):
    model_config = ConfigDict(extra="ignore")

    formatted: StrictStr = None  # type: ignore[assignment]
    streetAddress: StrictStr = None  # type: ignore[assignment]
    locality: StrictStr = None  # type: ignore[assignment]
    region: StrictStr = None  # type: ignore[assignment]
    postalCode: StrictStr = None  # type: ignore[assignment]
    country: StrictStr = None  # type: ignore[assignment]


class Profile(BaseModel):
    """OIDC standard claims (`userProfileGuard`); unknown keys are dropped, as zod does.
    A field may be left out but not set to null."""

    model_config = ConfigDict(extra="ignore")

    familyName: StrictStr = None  # type: ignore[assignment]
    givenName: StrictStr = None  # type: ignore[assignment]
    middleName: StrictStr = None  # type: ignore[assignment]
    nickname: StrictStr = None  # type: ignore[assignment]
    preferredUsername: StrictStr = None  # type: ignore[assignment]
    profile: StrictStr = None  # type: ignore[assignment]
    website: StrictStr = None  # type: ignore[assignment]
    gender: StrictStr = None  # type: ignore[assignment]
    birthdate: StrictStr = None  # type: ignore[assignment]
    zoneinfo: StrictStr = None  # type: ignore[assignment]
    locale: StrictStr = None  # type: ignore[assignment]
    address: Address = None  # type: ignore[assignment]


class UserCreate(BaseModel):
    """Every field optional; null is accepted only for `avatar`, as in Logto."""

    model_config = ConfigDict(extra="ignore")

    primaryPhone: Phone = None  # type: ignore[assignment]
    primaryEmail: Email = None  # type: ignore[assignment]
    username: Username = None  # type: ignore[assignment]
    password: Annotated[StrictStr, Field(min_length=1)] = None  # type: ignore[assignment]
    passwordDigest: Annotated[StrictStr, Field(max_length=256)] = None  # type: ignore[assignment]
    passwordAlgorithm: PasswordAlgorithm = None  # type: ignore[assignment]
    name: Name = None  # type: ignore[assignment]
    avatar: Url | Empty | None = None
    customData: JsonObject = None  # type: ignore[assignment]
    profile: Profile = None  # type: ignore[assignment]


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    username: Username | Empty | None = None
    primaryEmail: Email | Empty | None = None
    primaryPhone: Phone | Empty | None = None
    name: Name | None = None
    avatar: Url | Empty | None = None
    customData: JsonObject = None  # type: ignore[assignment]
    profile: Profile = None  # type: ignore[assignment]


class CustomDataPatch(BaseModel):
    customData: JsonObject


class ProfilePatch(BaseModel):
    profile: Profile


class PasswordPatch(BaseModel):
    password: Annotated[StrictStr, Field(min_length=1)]


class SuspensionPatch(BaseModel):
    isSuspended: StrictBool


class RoleIds(BaseModel):
    roleIds: list[Annotated[StrictStr, Field(min_length=1)]]


_IDENTIFIERS = ("username", "primaryEmail", "primaryPhone")


def _fields(body: BaseModel) -> dict[str, Any]:
    """The given fields, by API name; an emptied identifier is stored as null."""
    fields = body.model_dump(exclude_unset=True, include=set(service.COLUMNS))
    for key in _IDENTIFIERS:
        if fields.get(key) == "":
            fields[key] = None
    return fields


@router.post("/users")
async def create_user(body: UserCreate, request: Request, rt: RuntimeDep) -> Any:
    if body.password and body.passwordDigest:
        raise ApiError(
            400,
            "user.password_and_digest",
            "You cannot set both plain text password and password digest.",
        )
    if body.passwordDigest and not body.passwordAlgorithm:
        raise ApiError(400, "user.password_algorithm_required", "Password algorithm is required.")
    password_hash = None
    if body.passwordDigest:
        if not is_argon2_digest(body.passwordAlgorithm, body.passwordDigest):
            raise invalid_input("hookline imports only encoded Argon2 password digests")
        password_hash = body.passwordDigest
    elif body.password:
        password_hash = await rt.passwords.hash(body.password)
    answer = await change(
        request,
        200,
        lambda conn: user_response(service.create_user(conn, _fields(body), password_hash)),
    )
    return JSON(answer)


@router.get("/users")
async def list_users(
    request: Request,
    rt: RuntimeDep,
    page: str | None = None,
    page_size: str | None = None,
    excludeRoleId: str | None = None,
) -> Any:
    """Users, newest first, always paginated; Logto's `search` parameters filter them."""
    number, size = page_params(page, page_size, required=True) or (1, 20)
    params = request.query_params.multi_items()
    rows, total = await rt.read(
        lambda conn: service.list_users(conn, params, number, size, excludeRoleId)
    )
    headers = pagination_headers(request, number, size, total)
    return JSON([user_projection(row) for row in rows], headers=headers)


@router.get("/users/{userId}")
async def get_user(userId: str, rt: RuntimeDep, includeSsoIdentities: str | None = None) -> Any:
    answer = await rt.read(lambda conn: user_response(service.find_user(conn, userId)))
    if truthy(includeSsoIdentities):
        answer["ssoIdentities"] = []  # hookline has no enterprise SSO connectors
    return JSON(answer)


@router.patch("/users/{userId}")
async def update_user(userId: str, body: UserUpdate, request: Request) -> Any:
    answer = await change(
        request, 200, lambda conn: user_response(service.update_user(conn, userId, _fields(body)))
    )
    return JSON(answer)


@router.patch("/users/{userId}/custom-data")
async def patch_custom_data(userId: str, body: CustomDataPatch, request: Request) -> Any:
    """Merge top-level keys into the custom data; answers the whole custom data."""

    def work(conn: Connection) -> Any:
        return service.merge_json(conn, userId, "custom_data", body.customData)["custom_data"]

    return JSON(await change(request, 200, work))


@router.patch("/users/{userId}/profile")
async def patch_profile(userId: str, body: ProfilePatch, request: Request) -> Any:
    """Merge top-level claims into the profile; answers the whole profile."""
    claims = body.profile.model_dump(exclude_unset=True)

    def work(conn: Connection) -> Any:
        return service.merge_json(conn, userId, "profile", claims)["profile"]

    return JSON(await change(request, 200, work))


@router.patch("/users/{userId}/password")
async def set_password(userId: str, body: PasswordPatch, request: Request, rt: RuntimeDep) -> Any:
    password_hash = await rt.passwords.hash(body.password)
    answer = await change(
        request, 200, lambda conn: user_response(service.set_password(conn, userId, password_hash))
    )
    return JSON(answer)


@router.patch("/users/{userId}/is-suspended")
async def set_suspended(userId: str, body: SuspensionPatch, request: Request) -> Any:
    answer = await change(
        request,
        200,
        lambda conn: user_response(service.set_suspended(conn, userId, body.isSuspended)),
    )
    return JSON(answer)


@router.delete("/users/{userId}", status_code=204)
async def delete_user(userId: str, request: Request, rt: RuntimeDep) -> Response:
    """Fires Logto's hand-made `User.Deleted`: the user as it was, before the context."""

    def work(conn: Connection) -> None:
        row = service.delete_user(conn, userId)
        emit_change(conn, request, 204, "User.Deleted", data=user_projection(row), data_first=True)

    await rt.committer.run(work)
    return Response(status_code=204)


# Role assignment. Logto fires nothing for these; hookline fires `User.Roles.Updated`.


def _roles_changed(
    conn: Connection, request: Request, status: int, user_id: str, added: list, removed: list
) -> None:
    delta = {"addedRoleIds": added, "removedRoleIds": removed}
    extra = {key: ids for key, ids in delta.items() if ids}
    emit_change(conn, request, status, "User.Roles.Updated", userId=user_id, **extra)


@router.get("/users/{userId}/roles")
async def list_user_roles(
    userId: str,
    request: Request,
    rt: RuntimeDep,
    page: str | None = None,
    page_size: str | None = None,
) -> Any:
    number, size = page_params(page, page_size, required=True) or (1, 20)
    params = request.query_params.multi_items()
    rows, total = await rt.read(
        lambda conn: service.list_user_roles(conn, userId, params, number, size)
    )
    headers = pagination_headers(request, number, size, total)
    return JSON([role_json(row) for row in rows], headers=headers)


@router.post("/users/{userId}/roles", status_code=201)
async def add_user_roles(userId: str, body: RoleIds, request: Request, rt: RuntimeDep) -> Any:
    def work(conn: Connection) -> list[str]:
        added = service.add_user_roles(conn, userId, body.roleIds)
        _roles_changed(conn, request, 201, userId, added, [])
        return added

    added = await rt.committer.run(work)
    return JSON({"roleIds": body.roleIds, "addedRoleIds": added}, status_code=201)


@router.put("/users/{userId}/roles")
async def replace_user_roles(userId: str, body: RoleIds, request: Request, rt: RuntimeDep) -> Any:
    def work(conn: Connection) -> None:
        added, removed = service.replace_user_roles(conn, userId, body.roleIds)
        _roles_changed(conn, request, 200, userId, added, removed)

    await rt.committer.run(work)
    return JSON({"roleIds": body.roleIds})


@router.delete("/users/{userId}/roles/{roleId}", status_code=204)
async def remove_user_role(userId: str, roleId: str, request: Request, rt: RuntimeDep) -> Response:
    def work(conn: Connection) -> None:
        service.remove_user_role(conn, userId, roleId)
        _roles_changed(conn, request, 204, userId, [], [roleId])

    await rt.committer.run(work)
    return Response(status_code=204)
