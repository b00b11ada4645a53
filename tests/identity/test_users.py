"""`/api/users`: real calls to a real server, webhooks at a real receiver, bodies checked
against what Logto 1.37.1 sent for the same calls (key order and value types)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from hookline.ids import random_id
from tests.support.logto_data import FIXTURES, captures
from tests.support.quiet import settle
from tests.support.receiver import Received, Receiver
from tests.support.server import Server

USER_EVENTS = [
    "User.Created",
    "User.Deleted",
    "User.Data.Updated",
    "User.SuspensionStatus.Updated",
    "User.Roles.Updated",
]


def shape(value: Any) -> Any:
    """Keys in order and value types, values aside."""
    if isinstance(value, dict):
        return [(k, shape(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [shape(v) for v in value]
    return type(value).__name__


def capture(event: str, route: str) -> dict[str, Any]:
    """The body Logto sent for `event` fired by the Management API route `route`."""
    for c in captures():
        body = c.json()
        if c.event == event and body.get("matchedRoute") == route:
            return body
    raise LookupError((event, route))


def logto_answer(method: str, path_start: str) -> dict[str, Any]:
    calls = json.loads((FIXTURES / "logto_api_responses.json").read_text())
    for call in calls["all_management_api_calls"]:
        if call["method"] == method and call["path"].startswith(path_start):
            return call
    raise LookupError((method, path_start))


def table_key(body: dict[str, Any]) -> str:
    return f"{body['method']} {body['matchedRoute']}"


@pytest.fixture
def hook(make_hook: Callable[..., dict[str, Any]], receiver: Receiver) -> dict[str, Any]:
    return make_hook(receiver.url(), USER_EVENTS, name="users")


class Deliveries:
    """Webhooks one test receives, taken in arrival order."""

    def __init__(self, server: Server, hook_id: str, receiver: Receiver) -> None:
        self.server, self.hook_id, self.receiver = server, hook_id, receiver
        self.seen = 0

    def next(self) -> dict[str, Any]:
        got: list[Received] = self.receiver.wait_for(self.seen + 1)
        self.seen += 1
        return json.loads(got[self.seen - 1].body)

    def none_since(self, sentinel: Callable[[], Any]) -> None:
        """Nothing arrived for the calls made since the last `next()`: the sentinel call's
        event is the only one that comes. It shows that the hook receives what it is sent;
        `settle` that nothing sent before is still to come (see tests/support/quiet.py)."""
        sentinel()
        self.receiver.wait_for(self.seen + 1)
        settle(self.server, self.hook_id)
        bodies = [json.loads(r.body) for r in self.receiver.requests[self.seen :]]
        assert [body["event"] for body in bodies] == ["User.Data.Updated"], bodies
        self.seen += 1


@pytest.fixture
def hooked(server: Server, hook: dict[str, Any], receiver: Receiver) -> Deliveries:
    return Deliveries(server, hook["id"], receiver)


def new_user(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = api.post("/users", json=fields)
    assert response.status_code == 200, response.text
    return response.json()


def unique(prefix: str = "u") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def make_role(server: Server) -> Iterator[Callable[..., str]]:
    """Roles written straight into the database (the roles API is not under test here)."""
    made: list[str] = []

    def make(role_type: str = "User", is_default: bool = False) -> str:
        role_id = random_id(21)
        server.sql(
            "INSERT INTO roles (tenant_id, id, name, description, type, is_default,"
            " created_at) VALUES ('default', ?, ?, 'd', ?, ?, ?)",
            (role_id, unique("role"), role_type, is_default, int(time.time() * 1000)),
        )
        made.append(role_id)
        return role_id

    yield make
    for role_id in made:
        server.sql("DELETE FROM roles WHERE id = ?", (role_id,))


def test_logto_call_sequence_fires_the_captured_bodies(
    api: httpx.Client, hooked: Deliveries, server: Server
) -> None:
    name = unique("alice")
    created = api.post(
        "/users",
        json={
            "username": name,
            "password": "Passw0rd!Strong#1",
            "primaryEmail": f"{name}@example.com",
            "name": "Alice",
        },
    )
    assert created.status_code == 200, created.text
    answer = created.json()
    assert shape(answer) == shape(logto_answer("POST", "/users")["response"])
    assert answer["hasPassword"] is True
    assert "argon2" not in created.text and "Passw0rd" not in created.text
    user_id = answer["id"]
    assert len(user_id) == 12

    body = hooked.next()
    assert body["event"] == "User.Created"
    assert table_key(body) == "POST /users"
    assert shape(body) == shape(capture("User.Created", "/users"))
    assert body["data"] == answer and body["params"] == {} and body["status"] == 200

    steps = [
        ("PATCH", "", {"name": "Alice Updated"}, "User.Data.Updated"),
        ("PATCH", "/custom-data", {"customData": {"plan": "pro"}}, "User.Data.Updated"),
        ("PATCH", "/profile", {"profile": {"nickname": "ali"}}, "User.Data.Updated"),
        ("PATCH", "/password", {"password": "An0ther!Passw0rd#2"}, "User.Data.Updated"),
        ("PATCH", "/is-suspended", {"isSuspended": True}, "User.SuspensionStatus.Updated"),
        ("PATCH", "/is-suspended", {"isSuspended": False}, "User.SuspensionStatus.Updated"),
    ]
    for method, suffix, request, event in steps:
        response = api.request(method, f"/users/{user_id}{suffix}", json=request)
        assert response.status_code == 200, response.text
        expected = logto_answer(method, f"/users/7osq385cblrt{suffix}")
        assert shape(response.json()) == shape(expected["response"]), suffix
        body = hooked.next()
        route = f"/users/:userId{suffix}"
        assert (body["event"], table_key(body)) == (event, f"{method} {route}")
        assert shape(body) == shape(capture(event, route)), suffix
        assert body["data"] == response.json()
        assert body["path"] == f"/users/{user_id}{suffix}"
        assert body["params"] == {"userId": user_id}

    stored = api.get(f"/users/{user_id}").json()
    assert stored["customData"] == {"plan": "pro"} and stored["profile"] == {"nickname": "ali"}
    assert stored["name"] == "Alice Updated" and stored["isSuspended"] is False
    assert stored["updatedAt"] >= stored["createdAt"]

    response = api.delete(f"/users/{user_id}")
    assert response.status_code == 204 and response.content == b""
    body = hooked.next()
    assert body["event"] == "User.Deleted" and table_key(body) == "DELETE /users/:userId"
    assert shape(body) == shape(capture("User.Deleted", "/users/:userId"))
    assert list(body)[:5] == ["event", "createdAt", "userAgent", "ip", "data"]
    assert body["status"] == 204
    assert body["data"] == {k: v for k, v in stored.items() if k != "hasPassword"}
    assert api.get(f"/users/{user_id}").status_code == 404


def test_passwords_are_argon2id_hashes_and_never_answered(
    api: httpx.Client, server: Server
) -> None:
    user = new_user(api, username=unique(), password="first")
    [(first,)] = server.sql("SELECT password_hash FROM users WHERE id = ?", (user["id"],))
    assert first.startswith("$argon2id$") and "first" not in first
    response = api.patch(f"/users/{user['id']}/password", json={"password": "second"})
    assert response.status_code == 200 and "argon2" not in response.text
    [(second,)] = server.sql("SELECT password_hash FROM users WHERE id = ?", (user["id"],))
    assert second.startswith("$argon2id$") and second != first

    bare = new_user(api, username=unique())
    assert bare["hasPassword"] is False
    assert api.get(f"/users/{bare['id']}").json()["hasPassword"] is False
    assert api.get(f"/users/{user['id']}").json()["hasPassword"] is True


def test_create_defaults_and_full_body(api: httpx.Client) -> None:
    name = unique()
    phone = str(uuid.uuid4().int)[:11]
    answer = new_user(
        api,
        username=name,
        primaryPhone=phone,
        avatar="https://example.com/a.png",
        customData={"zeta": 1, "b": {"yy": 1, "x": 2}},
        profile={"nickname": "n", "givenName": "g", "unknownClaim": "dropped"},
        extra="ignored",
    )
    assert list(answer) == [
        "id", "username", "primaryEmail", "primaryPhone", "name", "avatar", "customData",
        "identities", "lastSignInAt", "createdAt", "updatedAt", "profile", "applicationId",
        "isSuspended", "hasPassword",
    ]  # fmt: skip
    assert answer["primaryPhone"] == phone and answer["primaryEmail"] is None
    assert answer["identities"] == {} and answer["lastSignInAt"] is None
    assert answer["createdAt"] == answer["updatedAt"]
    assert answer["profile"] == {"givenName": "g", "nickname": "n"}
    # jsonb's key order, as Logto answers: shorter keys first.
    assert json.dumps(answer["customData"]) == '{"b": {"x": 2, "yy": 1}, "zeta": 1}'
    assert api.get(f"/users/{answer['id']}").json() == answer


def test_get_with_sso_identities_and_unknown(api: httpx.Client) -> None:
    user = new_user(api, username=unique())
    got = api.get(f"/users/{user['id']}", params={"includeSsoIdentities": "true"}).json()
    assert got["ssoIdentities"] == [] and list(got)[-1] == "ssoIdentities"
    response = api.get("/users/nope")
    assert response.status_code == 404
    assert response.json() == {
        "code": "entity.not_exists_with_id",
        "message": "The user with ID `nope` does not exist.",
    }


def test_list_search_and_pagination(api: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:8]
    made = [new_user(api, username=f"s_{tag}_{i}", name=f"Name {i}") for i in range(3)]
    made[1] = api.patch(f"/users/{made[1]['id']}", json={"primaryEmail": f"X{tag}@Ex.com"}).json()

    response = api.get("/users", params={"search": f"%{tag}%", "page_size": 2})
    assert response.status_code == 200
    assert response.headers["Total-Number"] == "3"
    assert 'rel="next"' in response.headers["Link"] and 'rel="last"' in response.headers["Link"]
    items = response.json()
    # Newest first (users made in the same millisecond by id, descending); list items are the
    # projection, without hasPassword.
    newest = sorted(made, key=lambda u: (u["createdAt"], u["id"]), reverse=True)
    assert [u["id"] for u in items] == [u["id"] for u in newest[:2]]
    assert all("hasPassword" not in u for u in items)
    assert items[1] == {k: v for k, v in newest[1].items() if k != "hasPassword"}
    second = api.get("/users", params={"search": f"%{tag}%", "page_size": 2, "page": 2}).json()
    assert [u["id"] for u in second] == [newest[2]["id"]]

    def ids(**params: Any) -> list[str]:
        response = api.get("/users", params=params)
        assert response.status_code == 200, response.text
        return sorted(u["id"] for u in response.json())

    assert ids(**{"search.primaryEmail": f"x{tag}@ex.com"}) == [made[1]["id"]]  # any case
    assert ids(**{"search.primaryEmail": f"x{tag}@ex.com", "isCaseSensitive": "true"}) == []
    assert ids(**{"search.username": f"s_{tag}_%", "isCaseSensitive": "true"}) == sorted(
        u["id"] for u in made
    )
    assert ids(search=made[0]["id"]) == [made[0]["id"]]  # the id is searched too
    assert ids(**{"search.username": [f"s_{tag}_0", f"s_{tag}_2"], "mode": "exact"}) == sorted(
        [made[0]["id"], made[2]["id"]]
    )
    assert ids(**{"search.username": f"%{tag}%", "search.name": "Name 1", "joint": "and"}) == [
        made[1]["id"]
    ]
    assert ids(search=f"{tag}") == []  # a like pattern without wildcards matches whole values
    assert api.get("/users").headers["Total-Number"].isdigit()

    for bad in ({"search.password": "x"}, {"search": ["%a%", "%b%"]}, {"mode": "posix"}):
        response = api.get("/users", params={"search": "%a%", **bad})
        assert response.status_code == 400, bad
        assert response.json()["code"] == "request.invalid_input"
    response = api.get("/users", params={"page_size": "0"})
    assert response.status_code == 400 and response.json()["code"] == "guard.invalid_input"


def test_patch_replaces_json_and_partial_routes_merge(api: httpx.Client, hooked) -> None:
    user = new_user(api, username=unique(), customData={"a": 1}, profile={"nickname": "n"})
    hooked.next()
    uid = user["id"]
    merged = api.patch(f"/users/{uid}/custom-data", json={"customData": {"b": 2}})
    assert merged.json() == {"a": 1, "b": 2}
    assert hooked.next()["data"] == {"a": 1, "b": 2}
    profile = api.patch(f"/users/{uid}/profile", json={"profile": {"locale": "fr"}})
    assert profile.json() == {"locale": "fr", "nickname": "n"}
    assert hooked.next()["data"] == {"locale": "fr", "nickname": "n"}

    replaced = api.patch(
        f"/users/{uid}", json={"customData": {"c": 3}, "profile": {}, "avatar": None, "name": ""}
    ).json()
    assert replaced["customData"] == {"c": 3} and replaced["profile"] == {}
    assert replaced["name"] == "" and replaced["avatar"] is None
    assert hooked.next()["data"] == replaced
    cleared = api.patch(f"/users/{uid}", json={"username": "", "primaryEmail": None}).json()
    assert cleared["username"] is None and cleared["primaryEmail"] is None
    hooked.next()


def test_bad_input_answers_logto_codes_and_fires_nothing(api: httpx.Client, hooked) -> None:
    name, email, phone = unique(), f"{unique()}@example.com", str(uuid.uuid4().int)[:12]
    user = new_user(api, username=name, primaryEmail=email, primaryPhone=phone)
    other = new_user(api, username=unique())
    hooked.next(), hooked.next()
    uid = user["id"]

    def expect(status: int, code: str, method: str, path: str, body: Any = None) -> None:
        response = api.request(method, path, json=body)
        assert response.status_code == status, (method, path, body, response.text)
        assert response.json()["code"] == code, (method, path, body)

    dup = "user.username_already_in_use"
    expect(422, dup, "POST", "/users", {"username": name})
    expect(422, "user.email_already_in_use", "POST", "/users", {"primaryEmail": email.upper()})
    expect(422, "user.phone_already_in_use", "POST", "/users", {"primaryPhone": phone})
    expect(422, dup, "PATCH", f"/users/{other['id']}", {"username": name})
    expect(422, "user.email_already_in_use", "PATCH", f"/users/{other['id']}",
           {"primaryEmail": email, "username": name})  # fmt: skip
    expect(422, "user.phone_already_in_use", "PATCH", f"/users/{other['id']}",
           {"primaryPhone": phone})  # fmt: skip
    # A user keeps its own identifiers without colliding with itself.
    assert api.patch(f"/users/{uid}", json={"username": name}).status_code == 200
    hooked.next()

    invalid = "guard.invalid_input"
    for body in (
        {"primaryEmail": "not-an-email"},
        {"primaryPhone": "+1 555"},
        {"username": "1starts_with_digit"},
        {"username": "has-dash"},
        {"username": ""},
        {"username": None},
        {"name": 5},
        {"password": ""},
        {"customData": [1]},
        {"avatar": "not a url"},
        {"profile": {"nickname": 1}},
        {"password": "x", "passwordDigest": "y"},
        {"passwordDigest": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"},
    ):
        response = api.post("/users", json=body)
        assert response.status_code == 400, (body, response.text)
    expect(400, "user.password_and_digest", "POST", "/users", {"password": "x",
           "passwordDigest": "y"})  # fmt: skip
    expect(400, "user.password_algorithm_required", "POST", "/users", {"passwordDigest": "y"})
    expect(400, invalid, "POST", "/users", {"passwordDigest": "y", "passwordAlgorithm": "MD5"})
    expect(400, invalid, "POST", "/users", {"passwordAlgorithm": "Plain"})
    expect(400, invalid, "PATCH", f"/users/{uid}", {"primaryEmail": "x@y"})
    expect(400, invalid, "PATCH", f"/users/{uid}", {"customData": None})
    expect(400, invalid, "PATCH", f"/users/{uid}/custom-data", {"customData": "x"})
    expect(400, invalid, "PATCH", f"/users/{uid}/custom-data", {})
    expect(400, invalid, "PATCH", f"/users/{uid}/profile", {"profile": {"address": "x"}})
    expect(400, invalid, "PATCH", f"/users/{uid}/password", {"password": ""})
    expect(400, invalid, "PATCH", f"/users/{uid}/password", {"password": 12345678})
    expect(400, invalid, "PATCH", f"/users/{uid}/is-suspended", {"isSuspended": "true"})
    expect(400, invalid, "PATCH", f"/users/{uid}/is-suspended", {"isSuspended": 1})

    missing = "entity.not_exists_with_id"
    for method, suffix, body in (
        ("PATCH", "", {"name": "x"}),
        ("PATCH", "/custom-data", {"customData": {}}),
        ("PATCH", "/profile", {"profile": {}}),
        ("PATCH", "/password", {"password": "x"}),
        ("PATCH", "/is-suspended", {"isSuspended": True}),
        ("DELETE", "", None),
        ("GET", "/roles", None),
        ("POST", "/roles", {"roleIds": []}),
        ("PUT", "/roles", {"roleIds": []}),
        ("DELETE", "/roles/r1", None),
    ):
        expect(404, missing, method, f"/users/ghost{suffix}", body)

    after = api.get(f"/users/{uid}").json()
    assert after["username"] == name and after["isSuspended"] is False
    hooked.none_since(lambda: api.patch(f"/users/{uid}", json={"name": "sentinel"}))


def test_role_assignment_fires_user_roles_updated(
    api: httpx.Client, hooked, make_role, server: Server
) -> None:
    user = new_user(api, username=unique())
    hooked.next()
    uid = user["id"]
    r1, r2, r3 = make_role(), make_role(), make_role()

    response = api.post(f"/users/{uid}/roles", json={"roleIds": [r1, r2]})
    assert response.status_code == 201
    assert response.json() == {"roleIds": [r1, r2], "addedRoleIds": [r1, r2]}
    assert list(response.json()) == list(logto_answer("POST", "/users/7osq")["response"])
    body = hooked.next()
    assert body["event"] == "User.Roles.Updated"
    assert table_key(body) == "POST /users/:userId/roles"
    assert list(body) == [
        "event", "createdAt", "userAgent", "ip", "path", "method", "status", "params",
        "matchedRoute", "userId", "addedRoleIds", "hookId",
    ]  # fmt: skip
    assert body["status"] == 201 and body["userId"] == uid and body["addedRoleIds"] == [r1, r2]

    again = api.post(f"/users/{uid}/roles", json={"roleIds": [r1]})
    assert again.status_code == 201 and again.json() == {"roleIds": [r1], "addedRoleIds": []}
    body = hooked.next()
    assert "addedRoleIds" not in body and "removedRoleIds" not in body and body["userId"] == uid

    listed = api.get(f"/users/{uid}/roles")
    assert listed.status_code == 200 and listed.headers["Total-Number"] == "2"
    assert sorted(r["id"] for r in listed.json()) == sorted([r1, r2])
    assert shape(listed.json()[0]) == shape(logto_answer("POST", "/roles")["response"])
    named = listed.json()[0]["name"]
    assert [r["name"] for r in api.get(f"/users/{uid}/roles", params={"search": named}).json()] == [
        named
    ]

    replaced = api.put(f"/users/{uid}/roles", json={"roleIds": [r2, r3]})
    assert replaced.status_code == 200 and replaced.json() == {"roleIds": [r2, r3]}
    body = hooked.next()
    assert table_key(body) == "PUT /users/:userId/roles" and body["status"] == 200
    assert (body["addedRoleIds"], body["removedRoleIds"]) == ([r3], [r1])

    response = api.delete(f"/users/{uid}/roles/{r2}")
    assert response.status_code == 204
    body = hooked.next()
    assert table_key(body) == "DELETE /users/:userId/roles/:roleId"
    assert body["params"] == {"userId": uid, "roleId": r2}
    assert body["removedRoleIds"] == [r2] and "addedRoleIds" not in body
    assert [r["id"] for r in api.get(f"/users/{uid}/roles").json()] == [r3]
    for role_id, expected in ((r3, []), (r2, [uid])):
        found = api.get("/users", params={"search.id": uid, "excludeRoleId": role_id}).json()
        assert [u["id"] for u in found] == expected

    api.delete(f"/users/{uid}")
    hooked.next()
    assert server.sql("SELECT count(*) FROM users_roles WHERE user_id = ?", (uid,)) == [(0,)]


def test_bad_role_changes_answer_logto_codes_fire_nothing_and_change_nothing(
    api: httpx.Client, hooked, make_role
) -> None:
    user = new_user(api, username=unique())
    hooked.next()
    uid = user["id"]
    mine, m2m = make_role(), make_role("MachineToMachine")
    assert api.post(f"/users/{uid}/roles", json={"roleIds": [mine]}).status_code == 201
    hooked.next()

    for method, body, status, code in (
        ("POST", {"roleIds": ["nope"]}, 404, "entity.not_exists_with_id"),
        ("POST", {"roleIds": [m2m]}, 422, "user.invalid_role_type"),
        ("PUT", {"roleIds": [make_role(), "nope"]}, 404, "entity.not_exists_with_id"),
        ("PUT", {"roleIds": [m2m]}, 422, "user.invalid_role_type"),
        ("POST", {"roleIds": [""]}, 400, "guard.invalid_input"),
        ("POST", {"roleIds": mine}, 400, "guard.invalid_input"),
        ("PUT", {}, 400, "guard.invalid_input"),
    ):
        response = api.request(method, f"/users/{uid}/roles", json=body)
        assert response.status_code == status, (method, body, response.text)
        assert response.json()["code"] == code
    response = api.delete(f"/users/{uid}/roles/{make_role()}")
    assert response.status_code == 404 and response.json()["code"] == "entity.not_found"
    assert [r["id"] for r in api.get(f"/users/{uid}/roles").json()] == [mine]
    hooked.none_since(lambda: api.patch(f"/users/{uid}", json={"name": "sentinel"}))


def test_new_users_get_the_default_user_roles(api: httpx.Client, make_role) -> None:
    default = make_role(is_default=True)
    make_role("MachineToMachine", is_default=True)
    user = new_user(api, username=unique())
    assert [r["id"] for r in api.get(f"/users/{user['id']}/roles").json()] == [default]


def test_a_value_the_database_cannot_hold_is_a_400(api: httpx.Client) -> None:
    """Never a 500: what SQLite keeps and PostgreSQL refuses (a NUL character) is a 400."""
    response = api.post("/users", json={"username": "nul_in_name", "name": "a\u0000b"})
    assert response.status_code in (200, 400)  # SQLite holds it; PostgreSQL cannot
    if response.status_code == 400:
        assert response.json()["code"] == "guard.invalid_input"
