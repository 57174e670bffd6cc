class SourceNotFoundError(Exception):
    """The source object does not exist (404, 403-for-missing, zero-byte placeholder, index without data)."""


class SourceReadError(Exception):
    """The source object exists but its content could not be read as requested (truncated, corrupt, wrong field)."""


class OperationFailedError(RuntimeError):
    """A step could not complete; the published dataset is unchanged. Reported as one line, exit code 1."""


class SourceUnavailableError(OperationFailedError):
    """A source could not be reached or kept failing after every retry (not a missing object)."""


class UserInputError(Exception):
    """Bad input from a person: reported as one line, exit code 2."""
