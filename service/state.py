"""Everything one app instance holds: settings, database, model store, metrics, audit."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from service.audit import AuditLog
from service.coalesce import Coalescer
from service.metrics import Metrics
from service.model_store import ModelStore
from service.security import KeyCache
from service.settings import Settings


@dataclass
class ServiceState:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    models: ModelStore
    metrics: Metrics
    audit: AuditLog
    coalescer: Coalescer
    keys: KeyCache
