"""`/api/users`: Logto's Management API for users, their passwords, suspension and roles."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from hookline.api.bodies import JSONRoute
from hookline.api.changes import commit
from hookline.api.deps import RuntimeDep, truthy
from hookline.api.paging import Paged, paged
from hookline.api.responses import JSON
from hookline.errors import ApiError, invalid_input
from hookline.identity import users
from hookline.identity.identifiers import EMAIL, IDENTIFIERS, MAX_LENGTH, PHONE, USERNAME
from hookline.identity.passwords import is_argon2_digest
from hookline.identity.roles import role_json
from hookline.identity.users import user_detail_json, user_json

router = APIRouter(tags=["users"], route_class=JSONRoute)

# The widths of Logto's columns: SQLite would store a longer value; PostgreSQL would not.
Username = Annotated[StrictStr, Field(pattern=USERNAME, max_length=MAX_LENGTH)]
Email = Annotated[StrictStr, Field(pattern=EMAIL, max_length=MAX_LENGTH)]
Phone = Annotated[StrictStr, Field(pattern=PHONE, max_length=MAX_LENGTH)]
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


def _fields(body: BaseModel) -> dict[str, Any]:
    """The given fields, by API name; an emptied identifier is stored as null."""
    fields = body.model_dump(exclude_unset=True, include=set(users.COLUMNS))
    for key in IDENTIFIERS:
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
    fields = _fields(body)
    return JSON(
        await commit(
            request, 200, lambda conn, ctx: users.create_user(conn, ctx, fields, password_hash)
        )
    )


@router.get("/users")
async def list_users(
    request: Request, rt: RuntimeDep, page: Paged, excludeRoleId: str | None = None
) -> Any:
    """Users, newest first, always paginated; Logto's `search` parameters filter them."""
    params = request.query_params.multi_items()
    rows, total = await rt.read(lambda conn: users.list_users(conn, params, *page, excludeRoleId))
    return paged(request, [user_json(row) for row in rows], total, page)


@router.get("/users/{userId}")
async def get_user(userId: str, rt: RuntimeDep, includeSsoIdentities: str | None = None) -> Any:
    answer = await rt.read(lambda conn: user_detail_json(users.get_user(conn, userId)))
    if truthy(includeSsoIdentities):
        answer["ssoIdentities"] = []  # hookline has no enterprise SSO connectors
    return JSON(answer)


@router.patch("/users/{userId}")
async def update_user(userId: str, body: UserUpdate, request: Request) -> Any:
    fields = _fields(body)
    return JSON(
        await commit(request, 200, lambda conn, ctx: users.update_user(conn, ctx, userId, fields))
    )


@router.patch("/users/{userId}/custom-data")
async def patch_custom_data(userId: str, body: CustomDataPatch, request: Request) -> Any:
    """Merge top-level keys into the custom data; answers the whole custom data."""
    data = body.customData
    return JSON(
        await commit(
            request,
            200,
            lambda conn, ctx: users.merge_user_json_field(conn, ctx, userId, "custom_data", data),
        )
    )


@router.patch("/users/{userId}/profile")
async def patch_profile(userId: str, body: ProfilePatch, request: Request) -> Any:
    """Merge top-level claims into the profile; answers the whole profile."""
    claims = body.profile.model_dump(exclude_unset=True)
    return JSON(
        await commit(
            request,
            200,
            lambda conn, ctx: users.merge_user_json_field(conn, ctx, userId, "profile", claims),
        )
    )


@router.patch("/users/{userId}/password")
async def set_password(userId: str, body: PasswordPatch, request: Request, rt: RuntimeDep) -> Any:
    password_hash = await rt.passwords.hash(body.password)
    return JSON(
        await commit(
            request, 200, lambda conn, ctx: users.set_password(conn, ctx, userId, password_hash)
        )
    )


@router.patch("/users/{userId}/is-suspended")
async def set_suspended(userId: str, body: SuspensionPatch, request: Request) -> Any:
    suspended = body.isSuspended
    return JSON(
        await commit(
            request, 200, lambda conn, ctx: users.set_suspended(conn, ctx, userId, suspended)
        )
    )


@router.delete("/users/{userId}", status_code=204)
async def delete_user(userId: str, request: Request) -> Response:
    await commit(request, 204, lambda conn, ctx: users.delete_user(conn, ctx, userId))
    return Response(status_code=204)


# Role assignment. Logto fires nothing for these; hookline fires `User.Roles.Updated`.


@router.get("/users/{userId}/roles")
async def list_user_roles(userId: str, request: Request, rt: RuntimeDep, page: Paged) -> Any:
    params = request.query_params.multi_items()
    rows, total = await rt.read(lambda conn: users.list_user_roles(conn, userId, params, *page))
    return paged(request, [role_json(row) for row in rows], total, page)


@router.post("/users/{userId}/roles", status_code=201)
async def add_user_roles(userId: str, body: RoleIds, request: Request) -> Any:
    role_ids = body.roleIds
    added = await commit(
        request, 201, lambda conn, ctx: users.add_user_roles(conn, ctx, userId, role_ids)
    )
    return JSON({"roleIds": role_ids, "addedRoleIds": added}, status_code=201)


@router.put("/users/{userId}/roles")
async def replace_user_roles(userId: str, body: RoleIds, request: Request) -> Any:
    role_ids = body.roleIds
    await commit(
        request, 200, lambda conn, ctx: users.replace_user_roles(conn, ctx, userId, role_ids)
    )
    return JSON({"roleIds": role_ids})


@router.delete("/users/{userId}/roles/{roleId}", status_code=204)
async def remove_user_role(userId: str, roleId: str, request: Request) -> Response:
    await commit(request, 204, lambda conn, ctx: users.remove_user_role(conn, ctx, userId, roleId))
    return Response(status_code=204)
