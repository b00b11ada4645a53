"""Bad input, route by route. Every route of the OpenAPI document with a path parameter, a query
parameter or a JSON body gets a fixed set of malformed requests; each must be answered within
seconds with a 4xx and Logto's `{code, message}` body: never a 5xx, a hang, or a change.

The routes come from the document itself, so that a new route is swept without being listed
here; only a valid body per route (`BASES`) is written by hand, so that a bad field reaches as
far into the route as it can."""

from __future__ import annotations

import copy
import itertools
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from hookline.app import create_app
from hookline.config import Settings
from tests.support.objects import COLLECTION_KINDS, PARAM_KINDS, one_of_each
from tests.support.server import Server

pytestmark = pytest.mark.slow  # starts hookline processes

DOCUMENT = create_app(Settings(database_url="sqlite:////nonexistent/never-opened.db")).openapi()
TIMEOUT = 5.0  # seconds: a slower answer is a hang
LONG = "x" * 100_000
NUL = "bad\x00input"
SURROGATE = "\ud800"  # a lone surrogate: `"\ud800"` in the JSON text
DEEP = "[" * 10_000 + "]" * 10_000
WEEK_MS = 7 * 24 * 3600 * 1000

# A path segment for each kind of unknown id, as sent (percent-encoded where it has to be).
BAD_IDS = {
    "unknown": "no-such-id",
    "long": "i" * 5_000,
    "nul": "%00",
    "nul inside": "ab%00cd",
    "encoded slashes": "..%2F..%2Fstatus",
    "unicode": "%E3%83%A6%E3%83%BC%E3%82%B6%E3%83%BC",
    "emoji": "%F0%9F%98%80",
    "invalid utf-8": "%FF%FE",
    "encoded surrogate": "%ED%A0%80",
    "space": "%20",
}

# Query values no integer parameter may take.
BAD_INTEGERS = {
    "negative": "-1",
    "zero": "0",
    "not a number": "abc",
    "fraction": "1.5",
    "exponent": "1e3",
    "huge": "100000000000000000000",
    "empty": "",
    "nul": "%00",
    "fullwidth digit": "%EF%BC%91",
    "underscore": "1_0",
    "invalid utf-8": "%FF",
}
# Query values any string parameter may be given; the answer may be a 2xx, never a 5xx.
ODD_STRINGS = {
    "long": "q" * 4_000,
    "nul": "a%00b",
    "invalid utf-8": "%FF%FE",
    "encoded surrogate": "%ED%A0%80",
    "lone percent": "%",
    "like wildcards": "%25_%5C",
    "quote": "%27%22%3B--",
}
INTEGER_QUERY = ("page", "page_size", "start_time", "end_time")
# Query parameters the routes read by hand (Logto's search, repeated `types`): not in the
# document, but bad values must be refused all the same.
EXTRA_QUERIES: dict[str, list[tuple[str, str, bool]]] = {
    "/api/users": [
        ("joint", "xor", True),
        ("mode", "regex&search=x", True),
        ("search.primaryEmail", "a&search.primaryEmail=b", True),
        ("search.unknownField", "x", True),
        ("search.customData.a.b", "x", False),
        ("search", "%25%5B%5D%5C", False),
        ("search", "a%00b", False),
        ("search", "%FF", False),
        ("search", "q" * 4_000, False),
        ("isCaseSensitive", "true&search=%5B", False),
    ],
    "/api/users/{userId}/roles": [("joint", "xor", True), ("search.nope", "x", True)],
    "/api/applications": [("types", "Nope", True), ("types", "%00", True)],
}

# String fields a 100,000-character value is no bad input for: Logto stores them at any length
# (`text` and JSON columns, a user's `profile` claims) or the route does not read them there.
# Everywhere else it must be refused.
UNBOUNDED = {
    ("/api/users", "password"),
    ("/api/users/{userId}/password", "password"),
    ("/api/applications", "description"),
    ("/api/applications/{id}", "description"),
    ("/api/resources/{resourceId}/scopes", "description"),
    ("/api/resources/{resourceId}/scopes/{scopeId}", "description"),
    ("/api/organizations", "customCss"),
    ("/api/organizations/{id}", "customCss"),
    ("/api/organization-invitations/{id}/status", "acceptedUserId"),
    ("/api/sign-in-exp", "*"),
    ("/api/experience/verification/password", "password"),
    ("/api/experience/profile", "verificationId"),  # read for emails and phones only
}
# Lists that are simply empty for an unknown id, as in Logto.
EMPTY_FOR_UNKNOWN = {"GET /api/hooks/{id}/recent-logs", "GET /api/resources/{resourceId}/scopes"}


def unbounded(path: str, name: str) -> bool:
    return (path, name) in UNBOUNDED or (path, "*") in UNBOUNDED or name.startswith("profile.")


_counter = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}_{next(_counter)}_{uuid.uuid4().hex[:6]}"


URL = "http://127.0.0.1:9/bad-input"
PASSWORD = "C4rol!Passw0rd#Strong"

# A body each route accepts (or refuses only late, for what it is, not its shape), made
# fresh for every request so that names stay unique.
BASES: dict[tuple[str, str], Callable[[dict[str, str]], Any]] = {
    ("POST", "/api/hook-events"): lambda ids: {"event": "User.Created", "payload": {}},
    ("POST", "/api/hook-events/logto"): lambda ids: {
        "event": "User.Created",
        "createdAt": "2026-01-01T00:00:00.000Z",
        "hookId": "logto-hook",
    },
    ("POST", "/api/users"): lambda ids: {"username": unique("u")},
    ("PATCH", "/api/users/{userId}"): lambda ids: {},
    ("PATCH", "/api/users/{userId}/custom-data"): lambda ids: {"customData": {}},
    ("PATCH", "/api/users/{userId}/profile"): lambda ids: {"profile": {}},
    ("PATCH", "/api/users/{userId}/password"): lambda ids: {"password": PASSWORD},
    ("PATCH", "/api/users/{userId}/is-suspended"): lambda ids: {"isSuspended": False},
    ("POST", "/api/users/{userId}/roles"): lambda ids: {"roleIds": [ids["role"]]},
    ("PUT", "/api/users/{userId}/roles"): lambda ids: {"roleIds": [ids["role"]]},
    ("POST", "/api/hooks"): lambda ids: {
        "name": unique("hook"),
        "events": ["User.Created"],
        "config": {"url": URL},
        "enabled": False,
    },
    ("PATCH", "/api/hooks/{id}"): lambda ids: {},
    ("POST", "/api/hooks/{id}/test"): lambda ids: {
        "events": ["User.Created"],
        "config": {"url": URL},
    },
    ("POST", "/api/hooks/{id}/recover"): lambda ids: {"since": 0},
    ("PATCH", "/api/hooks/{id}/signing-key"): lambda ids: {"graceSeconds": 60},
    ("POST", "/api/roles"): lambda ids: {"name": unique("role"), "description": "A role"},
    ("PATCH", "/api/roles/{id}"): lambda ids: {},
    ("POST", "/api/roles/{id}/scopes"): lambda ids: {"scopeIds": [ids["scope"]]},
    ("POST", "/api/resources"): lambda ids: {
        "name": "bad input",
        "indicator": f"https://{unique('r')}.example/api",
    },
    ("PATCH", "/api/resources/{id}"): lambda ids: {},
    ("PATCH", "/api/resources/{id}/is-default"): lambda ids: {"isDefault": False},
    ("POST", "/api/resources/{resourceId}/scopes"): lambda ids: {"name": unique("read")},
    ("PATCH", "/api/resources/{resourceId}/scopes/{scopeId}"): lambda ids: {},
    ("POST", "/api/applications"): lambda ids: {"name": "bad input", "type": "SPA"},
    ("PATCH", "/api/applications/{id}"): lambda ids: {},
    ("POST", "/api/applications/{id}/roles"): lambda ids: {"roleIds": [ids["m2m-role"]]},
    ("PUT", "/api/applications/{id}/roles"): lambda ids: {"roleIds": [ids["m2m-role"]]},
    ("POST", "/api/organizations"): lambda ids: {"name": unique("org")},
    ("PATCH", "/api/organizations/{id}"): lambda ids: {},
    ("POST", "/api/organizations/{id}/users"): lambda ids: {"userIds": [ids["user"]]},
    ("PUT", "/api/organizations/{id}/users"): lambda ids: {"userIds": [ids["user"]]},
    ("POST", "/api/organizations/{id}/applications"): lambda ids: {
        "applicationIds": [ids["application"]]
    },
    ("PUT", "/api/organizations/{id}/applications"): lambda ids: {
        "applicationIds": [ids["application"]]
    },
    ("POST", "/api/organizations/{id}/users/roles"): lambda ids: {
        "userIds": [ids["user"]],
        "organizationRoleIds": [ids["organization-role"]],
    },
    ("POST", "/api/organizations/{id}/users/{userId}/roles"): lambda ids: {
        "organizationRoleIds": [ids["organization-role"]]
    },
    ("PUT", "/api/organizations/{id}/users/{userId}/roles"): lambda ids: {
        "organizationRoleIds": [ids["organization-role"]]
    },
    ("POST", "/api/organization-roles"): lambda ids: {"name": unique("orgrole")},
    ("PATCH", "/api/organization-roles/{id}"): lambda ids: {},
    ("POST", "/api/organization-roles/{id}/scopes"): lambda ids: {
        "organizationScopeIds": [ids["organization-scope"]]
    },
    ("PUT", "/api/organization-roles/{id}/scopes"): lambda ids: {
        "organizationScopeIds": [ids["organization-scope"]]
    },
    ("POST", "/api/organization-roles/{id}/resource-scopes"): lambda ids: {
        "scopeIds": [ids["scope"]]
    },
    ("PUT", "/api/organization-roles/{id}/resource-scopes"): lambda ids: {
        "scopeIds": [ids["scope"]]
    },
    ("POST", "/api/organization-scopes"): lambda ids: {"name": unique("orgscope")},
    ("PATCH", "/api/organization-scopes/{id}"): lambda ids: {},
    ("POST", "/api/organization-invitations"): lambda ids: {
        "organizationId": ids["organization"],
        "invitee": f"{unique('invitee')}@example.com",
        "expiresAt": int(time.time() * 1000) + WEEK_MS,
    },
    ("PUT", "/api/organization-invitations/{id}/status"): lambda ids: {"status": "Revoked"},
    ("PATCH", "/api/sign-in-exp"): lambda ids: {},
    ("PUT", "/api/experience"): lambda ids: {"interactionEvent": "SignIn"},
    ("PUT", "/api/experience/interaction-event"): lambda ids: {"interactionEvent": "SignIn"},
    ("POST", "/api/experience/verification/password"): lambda ids: {
        "identifier": {"type": "username", "value": "bad_input_nobody"},
        "password": "not-the-password",
    },
    ("POST", "/api/experience/verification/new-password-identity"): lambda ids: {
        "identifier": {"type": "username", "value": unique("newcomer")},
        "password": PASSWORD,
    },
    ("POST", "/api/experience/verification/verification-code"): lambda ids: {
        "identifier": {"type": "email", "value": "bad-input@example.com"},
        "interactionEvent": "SignIn",
    },
    ("POST", "/api/experience/verification/verification-code/verify"): lambda ids: {
        "identifier": {"type": "email", "value": "bad-input@example.com"},
        "verificationId": "no-such-verification",
        "code": "123456",
    },
    ("POST", "/api/experience/identification"): lambda ids: {
        "verificationId": "no-such-verification"
    },
    ("POST", "/api/experience/profile"): lambda ids: {
        "type": "username",
        "value": unique("profile"),
    },
    ("PUT", "/api/experience/profile/password"): lambda ids: {"password": PASSWORD},
}

# The table a 2xx answer to a swept request may add a row to (a 100,000-character value is
# fine in some fields); every other answer, and every other table, must leave them as they were.
CREATES = {
    ("POST", "/api/users"): "users",
    ("POST", "/api/roles"): "roles",
    ("POST", "/api/resources"): "resources",
    ("POST", "/api/resources/{resourceId}/scopes"): "scopes",
    ("POST", "/api/applications"): "applications",
    ("POST", "/api/organizations"): "organizations",
    ("POST", "/api/organization-roles"): "organization_roles",
    ("POST", "/api/organization-scopes"): "organization_scopes",
    ("POST", "/api/organization-invitations"): "organization_invitations",
    ("POST", "/api/hooks"): "hooks",
}
TABLES = sorted(
    {
        *CREATES.values(),
        "users_roles",
        "roles_scopes",
        "applications_roles",
        "organization_users",
        "organization_applications",
        "organization_user_roles",
        "organization_role_scopes",
        "organization_role_resource_scopes",
    }
)
ACCEPTED: dict[str, int] = dict.fromkeys(TABLES, 0)  # 2xx answers to each table's create route

# ---- the document ------------------------------------------------------------------------------


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = DOCUMENT["components"]["schemas"][name]
    return schema


def variants(schema: dict[str, Any]) -> list[dict[str, Any]]:
    schema = resolve(schema)
    if "anyOf" in schema or "oneOf" in schema:
        return [v for s in schema.get("anyOf", schema.get("oneOf")) for v in variants(s)]
    return [schema]


def kinds(schema: dict[str, Any]) -> set[str] | None:
    """The JSON types a schema accepts; None for any."""
    found: set[str] = set()
    for variant in variants(schema):
        declared = variant.get("type")
        if declared is None and "enum" in variant:
            declared = sorted({type(v).__name__ for v in variant["enum"]})
            declared = [{"str": "string", "int": "integer", "bool": "boolean"}[t] for t in declared]
        if declared is None and "const" in variant:
            declared = "string" if isinstance(variant["const"], str) else None
        if declared is None:
            return None
        for name in [declared] if isinstance(declared, str) else declared:
            found |= {"number", "integer"} if name == "number" else {name}
    return found


def fields(schema: dict[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple]:
    """(path, schema) of every property, nested objects' included."""
    for variant in variants(schema):
        for name, sub in variant.get("properties", {}).items():
            yield (*prefix, name), sub
            if len(prefix) < 2 and any(v.get("properties") for v in variants(sub)):
                yield from fields(sub, (*prefix, name))


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    path_params: tuple[str, ...]
    query: dict[str, dict[str, Any]]
    body: dict[str, Any] | None

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def public(self) -> bool:
        return self.path.startswith("/api/experience")


def operations() -> list[Operation]:
    found = []
    for path, methods in DOCUMENT["paths"].items():
        for method, op in methods.items():
            params = op.get("parameters", [])
            content = op.get("requestBody", {}).get("content", {})
            found.append(
                Operation(
                    method.upper(),
                    path,
                    tuple(p["name"] for p in params if p["in"] == "path"),
                    {p["name"]: p.get("schema", {}) for p in params if p["in"] == "query"},
                    content.get("application/json", {}).get("schema"),
                )
            )
    return found


OPERATIONS = [op for op in operations() if op.path.startswith("/api/")]
SWEEPS = [
    pytest.param(op, sweep, id=f"{op.name} [{sweep}]")
    for op in OPERATIONS
    for sweep, applies in (
        ("path", bool(op.path_params)),
        ("query", bool(op.query) or (op.method == "GET" and op.path in EXTRA_QUERIES)),
        ("body", op.body is not None),
    )
    if applies
]


# ---- requests and what must come back ----------------------------------------------------------


@dataclass
class Case:
    label: str
    method: str
    url: str
    content: bytes | None = None
    cookie: bool = True
    must_refuse: bool = True  # False: a 2xx is fine too (the value is not bad for this field)
    headers: dict[str, str] = field(default_factory=dict)


def json_case(label: str, op: Operation, url: str, text: str, **kw: Any) -> Case:
    return Case(
        label,
        op.method,
        url,
        text.encode("utf-8", "surrogatepass"),
        headers={"content-type": "application/json"},
        **kw,
    )


def dump(body: Any) -> str:
    """JSON text; strings of `DEEP` are spliced in as raw nested arrays."""
    text = json.dumps(body)  # ASCII: a lone surrogate becomes the escape `\ud800`
    return text.replace(json.dumps(DEEP), DEEP)


def set_at(body: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    body = copy.deepcopy(body)
    node = body
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[path[-1]] = value
    return body


WRONG_TYPES = {
    "integer": 42,
    "string": "text",
    "object": {"x": 1},
    "array": ["x"],
    "boolean": True,
    "null": None,
}


def body_cases(op: Operation, url: str, base: Callable[[], Any], extra: list) -> Iterator[Case]:
    top = kinds(op.body) or set()
    yield json_case("not JSON", op, url, '{"name": "x",')
    # A body that may be null may be left out: an empty one is no body.
    yield json_case("empty", op, url, "", must_refuse="null" not in top)
    yield json_case("a list", op, url, "[]")
    yield json_case("a string", op, url, '"text"')
    yield json_case("a number", op, url, "42")
    if "null" not in top:
        yield json_case("null", op, url, "null")
    yield json_case("10,000 nested arrays", op, url, DEEP)
    yield json_case("NaN", op, url, '{"x": NaN}')
    props = list(fields(op.body)) + extra
    for path, schema in props:
        name = ".".join(path)
        accepted = kinds(schema)
        if accepted is not None:
            for kind, value in WRONG_TYPES.items():
                if kind not in accepted:
                    yield json_case(f"{name}: {kind}", op, url, dump(set_at(base(), path, value)))
        if accepted is not None and "integer" in accepted:
            for label, value in (("huge integer", 10**30), ("integer over 2**63", 2**63)):
                yield json_case(f"{name}: {label}", op, url, dump(set_at(base(), path, value)))
        if accepted is None or "string" in accepted:
            long_ok = unbounded(op.path, name) or accepted is None
            for label, value, refuse in (
                ("100,000 characters", LONG, not long_ok),
                ("NUL", NUL, True),
                ("lone surrogate", SURROGATE, True),
            ):
                text = dump(set_at(base(), path, value))
                yield json_case(f"{name}: {label}", op, url, text, must_refuse=refuse)
    if props:
        path = props[0][0]
        text = dump(set_at(base(), path, DEEP))
        yield json_case(f"{'.'.join(path)}: 10,000 nested arrays", op, url, text)


def check(client: httpx.Client, op: Operation, case: Case) -> str | None:
    """What is wrong with the answer to `case`, if anything."""
    started = time.monotonic()
    try:
        response = client.request(case.method, case.url, content=case.content, headers=case.headers)
    except httpx.TimeoutException:
        return f"no answer within {TIMEOUT} s"
    except httpx.TransportError as error:
        return f"no answer: {error!r}"
    elapsed = time.monotonic() - started
    status = response.status_code
    if 200 <= status < 300 and (op.method, op.path) in CREATES:
        ACCEPTED[CREATES[op.method, op.path]] += 1
    if status >= 500 or (case.must_refuse and not 400 <= status < 500):
        return f"{status} {response.text[:200]!r}"
    if elapsed > TIMEOUT:
        return f"answered in {elapsed:.1f} s"
    if status >= 400:
        try:
            body = response.json()
        except ValueError:
            return f"{status} not JSON: {response.text[:200]!r}"
        if not (
            isinstance(body, dict)
            and isinstance(body.get("code"), str)
            and isinstance(body.get("message"), str)
        ):
            return f"{status} not Logto's error body: {response.text[:200]!r}"
    return None


# ---- the server and its resources --------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("bad-input")
    srv = Server(data, HOOKLINE_MESSAGE_OUTBOX=str(data / "messages.jsonl")).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def admin(server: Server) -> Iterator[httpx.Client]:
    """Like `api`, but on the server's root, so that the document's paths are used as given."""
    headers = {"Authorization": f"Bearer {server.token()}"}
    with httpx.Client(base_url=server.base, headers=headers, timeout=TIMEOUT) as client:
        yield client


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[httpx.Client]:
    """An end user's client, holding an interaction cookie."""
    with httpx.Client(base_url=server.base, timeout=TIMEOUT) as client:
        started = client.put("/api/experience", json={"interactionEvent": "SignIn"})
        assert started.status_code == 204, started.text
        yield client


@pytest.fixture(scope="module")
def ids(server: Server) -> dict[str, str]:
    """One of each resource, so that routes with a real id get bad bodies, not just 404s."""
    with server.client() as api:
        return one_of_each(api)


def row_counts(server: Server) -> dict[str, int]:
    return {table: server.sql(f"SELECT COUNT(*) FROM {table}")[0][0] for table in TABLES}


@pytest.fixture(scope="module")
def baseline(server: Server, ids: dict[str, str]) -> dict[str, int]:
    """The rows once every resource is made, before the first bad request."""
    return row_counts(server)


def real_url(op: Operation, ids: dict[str, str], bad: tuple[str, str] | None = None) -> str:
    url = op.path
    segments = op.path.split("/")
    for name in op.path_params:
        template = "{" + name + "}"
        before = segments[segments.index(template) - 1]
        kind = PARAM_KINDS.get(name) or COLLECTION_KINDS[before]
        value = bad[1] if bad is not None and bad[0] == name else ids[kind]
        url = url.replace(template, value)
    return url


def sie_fields(admin: httpx.Client) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    """The sign-in experience's body is free-form in the document: its keys are those of
    the settings object, typed by their current values."""
    names = {bool: "boolean", str: "string", dict: "object", list: "array"}
    current = admin.get("/api/sign-in-exp").json()
    return [
        ((key,), {"type": names[type(value)]} if type(value) in names else {})
        for key, value in current.items()
        if key not in ("tenantId", "id")
    ]


# ---- the sweep ---------------------------------------------------------------------------------


def test_the_sweep_covers_the_served_document(admin: httpx.Client) -> None:
    served = admin.get("/api/swagger.json")
    assert served.status_code == 200, served.text
    assert served.json()["paths"] == DOCUMENT["paths"]


def test_every_body_has_a_valid_base() -> None:
    missing = [op.name for op in OPERATIONS if op.body and (op.method, op.path) not in BASES]
    assert missing == []


@pytest.mark.parametrize(("op", "sweep"), SWEEPS)
def test_bad_input_is_refused(
    op: Operation,
    sweep: str,
    admin: httpx.Client,
    browser: httpx.Client,
    ids: dict[str, str],
    baseline: dict[str, int],
) -> None:
    make = BASES.get((op.method, op.path), lambda ids: {})

    def base() -> Any:
        return make(ids)

    def with_base(label: str, url: str) -> Case:
        if op.body is None:
            return Case(label, op.method, url)
        return json_case(label, op, url, dump(base()))

    cases: list[Case] = []
    if sweep == "path":
        for name in op.path_params:
            for label, bad in BAD_IDS.items():
                case = with_base(f"{name}: {label}", real_url(op, ids, (name, bad)))
                case.must_refuse = op.name not in EMPTY_FOR_UNKNOWN
                cases.append(case)
    elif sweep == "query":
        url = real_url(op, ids)
        for name, schema in op.query.items():
            if name in INTEGER_QUERY:
                for label, value in BAD_INTEGERS.items():
                    if name.endswith("_time") and label in ("negative", "zero"):
                        continue  # instants before 1970 are instants all the same
                    cases.append(with_base(f"{name}={label}", f"{url}?{name}={value}"))
                continue
            enum = [v.get("enum") for v in variants(schema) if v.get("enum")]
            if enum:
                cases.append(with_base(f"{name}=not one of {enum[0]}", f"{url}?{name}=Nope"))
            for label, value in ODD_STRINGS.items():
                case = with_base(f"{name}={label}", f"{url}?{name}={value}")
                case.must_refuse = bool(enum)
                cases.append(case)
        for name, value, refuse in EXTRA_QUERIES.get(op.path, []) if op.method == "GET" else []:
            case = with_base(f"{name}={value[:40]}", f"{url}?{name}={value}")
            case.must_refuse = refuse
            cases.append(case)
    else:
        extra = sie_fields(admin) if op.path == "/api/sign-in-exp" else []
        cases.extend(body_cases(op, real_url(op, ids), base, extra))
        if op.public and op.path != "/api/experience":
            case = with_base("no interaction cookie", op.path)
            case.cookie = False
            cases.append(case)

    failures = []
    for case in cases:
        if op.public:
            client = browser
            if not case.cookie:
                client = httpx.Client(base_url=str(browser.base_url), timeout=TIMEOUT)
        else:
            client = admin
        problem = check(client, op, case)
        if client is not admin and client is not browser:
            client.close()
        if problem is not None:
            failures.append(f"{case.label}: {problem}")
    assert not failures, f"{op.name}: {len(failures)} of {len(cases)} refused badly:\n" + "\n".join(
        failures[:40]
    )


def test_refused_requests_changed_nothing(server: Server, baseline: dict[str, int]) -> None:
    """Runs after the sweep: only the requests answered 2xx added rows."""
    grown = {table: count - baseline[table] for table, count in row_counts(server).items()}
    assert grown == ACCEPTED
