class OperationFailedError(RuntimeError):
    """A step could not complete; the published dataset is unchanged. Reported as one line, exit code 1."""


class ConcurrentPublishError(OperationFailedError):
    pass


class SourceUnavailableError(OperationFailedError):
    pass


class RunStateError(OperationFailedError):
    pass
