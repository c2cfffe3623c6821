"""Errors the engine raises; the CLI maps each to one line on stderr and an exit status."""


class ModeltrailError(Exception):
    """Base class. ``exit_status`` is what the command line exits with."""

    exit_status = 1


class Refused(ModeltrailError):
    """The operation was refused or failed; nothing was changed (exit 1)."""

    exit_status = 1


class UsageError(ModeltrailError):
    """Bad usage, unknown model or version, not a git repository (exit 2)."""

    exit_status = 2


class NotARepository(UsageError):
    pass


class UnknownModel(UsageError):
    pass


class UnknownVersion(UsageError):
    pass
