"""Typed dependencies: a route's signature says what it needs (a session, a role, the model).

SessionDep      a SQLAlchemy session on the service database
ScorerKey       a verified API key with role scorer or above (401 / 403 otherwise)
SupervisorKey   ... supervisor or above
AdminKey        ... admin
ModelDep        the model in service at the time of the call (503 with the reason if none)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from service.audit import AuditContext, audit_context
from service.errors import ApiError
from service.model_store import ServedModel
from service.security import Principal, Role, verify_token
from service.settings import Settings
from service.state import ServiceState

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="`Authorization: Bearer sidak_...` (create one with `sidak keys create`).",
)


async def get_state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.sidak
    return state


StateDep = Annotated[ServiceState, Depends(get_state)]


async def get_settings(state: StateDep) -> Settings:
    return state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_db(state: StateDep) -> Iterator[Session]:
    with state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db)]


async def get_audit(request: Request) -> AuditContext:
    return audit_context(request.scope)


AuditDep = Annotated[AuditContext, Depends(get_audit)]

_UNAUTHORIZED_HEADERS = {"WWW-Authenticate": "Bearer"}


def authenticate(
    state: ServiceState, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    """The principal behind the bearer key, or a 401 that does not say which part failed."""
    if credentials is None or not credentials.credentials:
        raise ApiError(
            401,
            "An API key is required: send 'Authorization: Bearer <key>'.",
            headers=_UNAUTHORIZED_HEADERS,
        )
    token = credentials.credentials
    principal = state.keys.get(token)
    if principal is not None:
        return principal
    with state.sessions() as session:
        principal = verify_token(session, token)
    if principal is None:
        raise ApiError(401, "The API key is invalid or revoked.", headers=_UNAUTHORIZED_HEADERS)
    state.keys.put(token, principal)
    return principal


async def get_principal(
    state: StateDep,
    audit: AuditDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    # A key verified in the last few seconds is answered on the loop; else the database
    # look-up runs in a worker thread (``service.security.KeyCache``).
    token = credentials.credentials if credentials is not None else ""
    principal = state.keys.get(token) if token else None
    if principal is None:
        principal = await run_in_threadpool(authenticate, state, credentials)
    audit.principal = principal
    return principal


CurrentKey = Annotated[Principal, Depends(get_principal)]


def require(role: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting keys whose role includes ``role`` (admin ⊇ supervisor ⊇ scorer)."""

    async def check(principal: CurrentKey) -> Principal:
        if not principal.role.allows(role):
            raise ApiError(
                403,
                f"This route needs the '{role.value}' role or above; "
                f"the key has '{principal.role.value}'.",
            )
        return principal

    check.__name__ = f"require_{role.value}"
    return check


ScorerKey = Annotated[Principal, Depends(require(Role.scorer))]
SupervisorKey = Annotated[Principal, Depends(require(Role.supervisor))]
AdminKey = Annotated[Principal, Depends(require(Role.admin))]


async def get_model(state: StateDep, audit: AuditDep) -> ServedModel:
    """The model in service now; later swaps do not affect this request."""
    served = state.models.current
    if served is None:
        raise ApiError(
            503,
            f"No verified model in service: {state.models.reason}",
            code="model_unavailable",
            headers={"Retry-After": "30"},
        )
    audit.model_version = served.version
    return served


ModelDep = Annotated[ServedModel, Depends(get_model)]
