"""Sidak's scoring service: the FastAPI app, its storage, keys, audit trail and CLI verbs."""
