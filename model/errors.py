"""User-facing errors: the CLI and the API turn these into clear messages, never a traceback."""


class SidakError(Exception):
    """An error a user can act on; its message says what went wrong and what to do."""


class ModelNotFoundError(SidakError):
    """No trained model matches the reference given (or none has been trained yet)."""


class ModelIntegrityError(SidakError):
    """A model file whose SHA-256 does not match the recorded one: refused, never loaded."""
