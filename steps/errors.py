from datasets.common.errors import OperationFailedError, SourceUnavailableError

__all__ = ["ConcurrentPublishError", "OperationFailedError", "RunStateError", "SourceUnavailableError"]


class ConcurrentPublishError(OperationFailedError):
    pass


class RunStateError(OperationFailedError):
    pass
