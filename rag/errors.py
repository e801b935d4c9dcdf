"""The one exception tree of the project.

    RagError                      anything the CLI or the app shows as a clear message
    ├── ConfigError               a setting is missing or malformed
    ├── KnowledgeError            knowledge/ is invalid (unknown source, bad rating, ...)
    ├── EmbeddingError            the embedding model cannot be loaded or run
    ├── RagIndexError               the index is missing, busy, corrupt or unreachable
    │   ├── IndexBusyError        another writer holds the lock
    │   └── StoreUnavailableError the Chroma server cannot be reached
    ├── IngestError               a user document cannot be read (per file)
    ├── FeedbackError             the feedback store cannot be written
    ├── BackendError              the LLM endpoint failed (the engine falls back)
    │   ├── BackendAuthError      the key was rejected (401)
    │   │   └── BackendForbiddenError  the key has no access to the model or endpoint (403)
    │   ├── BackendRateLimitError the endpoint is rate limiting (429)
    │   ├── BackendTimeoutError   no answer in time
    │   ├── BackendUnreachableError  no connection
    │   ├── BackendStatusError    any other HTTP error status
    │   ├── OutputModeError       the endpoint does not support the structured-output mode asked for
    │   ├── MalformedReplyError   the reply is not the JSON asked for
    │   └── CompositionError      nothing in the reply survived validation (rag.answer.compose)
    └── UsageError                bad command-line or API usage

Everything raised on purpose derives from ``RagError``; the CLI and the app turn it
into one line for the user and never show a traceback for it.
"""

from __future__ import annotations


class RagError(Exception):
    """Root of every error this project raises on purpose."""


class ConfigError(RagError):
    """A setting is missing or malformed."""


class KnowledgeError(RagError):
    """The knowledge base does not follow docs/knowledge-format.md."""


class EmbeddingError(RagError):
    """The embedding model cannot be loaded or run."""


class RagIndexError(RagError):
    """The index is missing, corrupt or unreachable."""


class IndexBusyError(RagIndexError):
    """Another process is writing the index."""


class StoreUnavailableError(RagIndexError):
    """The Chroma server cannot be reached."""


class IngestError(RagError):
    """A user document cannot be read."""


class FeedbackError(RagError):
    """The feedback store cannot be written."""


class BackendError(RagError):
    """The LLM endpoint failed; the engine falls back to the offline analyst."""

    reason = "the model call failed"


class BackendAuthError(BackendError):
    """The endpoint rejected the API key (401)."""

    reason = "the API key was rejected (401)"


class BackendForbiddenError(BackendAuthError):
    """The key was accepted but may not use this model or endpoint (403)."""

    reason = "the API key may not use this model or endpoint (403)"


class BackendRateLimitError(BackendError):
    """The endpoint is rate limiting requests (429)."""

    reason = "the endpoint is rate limiting requests (429)"


class BackendTimeoutError(BackendError):
    """The endpoint did not answer in time."""

    reason = "the endpoint did not answer in time"


class BackendUnreachableError(BackendError):
    """The endpoint could not be reached (no connection)."""

    reason = "the endpoint could not be reached"


class BackendStatusError(BackendError):
    """Any other HTTP error status from the endpoint."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message or f"HTTP {status}")
        self.status = status
        self.reason = f"the endpoint returned an error ({status})"


class OutputModeError(BackendError):
    """The endpoint rejected the structured-output mode asked for (the composer tries the next one)."""

    reason = "the endpoint does not support this structured-output mode"


class MalformedReplyError(BackendError):
    """The model's reply is not the JSON asked for."""

    reason = "the model's reply was malformed"


class UsageError(RagError):
    """The command line or the API was used wrongly."""
