"""The HTTP API: routes, dependencies and schemas."""
