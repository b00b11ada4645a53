"""Who holds which roles: users hold roles of type `User`, machine-to-machine applications roles
of type `MachineToMachine`, each through a link table, listed, added, replaced and removed the
same way."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Column, ColumnElement, Connection, Row, Table, and_, delete, insert, select

from hookline.db.tables import applications_roles, roles, users_roles
from hookline.errors import ApiError, not_exists_with_id
from hookline.identity import rows


@dataclass(frozen=True)
class RoleHolders:
    link: Table
    holder: str  # the link table's column naming the holder
    role_type: str
    wrong_type: Callable[[], ApiError]

    @property
    def _holder(self) -> Column:
        return self.link.c[self.holder]

    def held(self, conn: Connection, holder_id: str) -> list[str]:
        query = select(self.link.c.role_id).where(self._holder == holder_id)
        return list(conn.execute(query.order_by(self.link.c.role_id)).scalars())

    def page(
        self,
        conn: Connection,
        holder_id: str,
        condition: ColumnElement[bool],
        number: int,
        size: int,
    ) -> tuple[Sequence[Row], int]:
        """One page of the roles held (of this type only, as Logto), newest first."""
        held = select(self.link.c.role_id).where(self._holder == holder_id)
        where = and_(roles.c.id.in_(held), roles.c.type == self.role_type, condition)
        query = select(roles).where(where).order_by(roles.c.created_at.desc(), roles.c.id)
        return rows.page(conn, query, (number, size))

    def add(self, conn: Connection, holder_id: str, role_ids: Sequence[str]) -> list[str]:
        """Assign roles; those already held are skipped. Returns the newly assigned ids."""
        held = set(self.held(conn, holder_id))
        added = [r for r in rows.unique(role_ids) if r not in held]
        self._assign(conn, holder_id, added)
        return added

    def replace(
        self, conn: Connection, holder_id: str, role_ids: Sequence[str]
    ) -> tuple[list[str], list[str]]:
        """Make the roles held exactly `role_ids`; returns (added, removed)."""
        held = self.held(conn, holder_id)
        wanted = rows.unique(role_ids)
        added = [r for r in wanted if r not in held]
        removed = [r for r in held if r not in wanted]
        self._assign(conn, holder_id, added)
        if removed:
            conn.execute(
                delete(self.link).where(self._holder == holder_id, self.link.c.role_id.in_(removed))
            )
        return added, removed

    def remove(self, conn: Connection, holder_id: str, role_id: str) -> None:
        gone = conn.execute(
            delete(self.link).where(self._holder == holder_id, self.link.c.role_id == role_id)
        )
        if gone.rowcount == 0:
            raise rows.relation_not_found()

    def _assign(self, conn: Connection, holder_id: str, role_ids: list[str]) -> None:
        """404 for an unknown role, 422 for one of the other type; then insert the links."""
        if not role_ids:
            return
        found = dict(
            conn.execute(select(roles.c.id, roles.c.type).where(roles.c.id.in_(role_ids))).all()
        )
        for role_id in role_ids:
            if role_id not in found:
                raise not_exists_with_id("role", role_id)
            if found[role_id] != self.role_type:
                raise self.wrong_type()
        conn.execute(insert(self.link), [{self.holder: holder_id, "role_id": r} for r in role_ids])


USERS = RoleHolders(
    users_roles,
    "user_id",
    "User",
    lambda: ApiError(
        422,
        "user.invalid_role_type",
        "Invalid role type, can not assign machine-to-machine role to user.",
    ),
)
APPLICATIONS = RoleHolders(
    applications_roles,
    "application_id",
    "MachineToMachine",
    lambda: ApiError(
        422,
        "application.invalid_role_type",
        "Can not assign user type role to machine to machine application.",
    ),
)
