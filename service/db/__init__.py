"""The service's own database: API keys and the append-only audit trail."""
