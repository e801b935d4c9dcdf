"""Any OpenAI-compatible chat endpoint (OpenAI, vLLM, llama.cpp's server, Ollama...) behind ``ChatModel``.

The only module that imports the ``openai`` SDK for chat. Its exceptions are mapped onto
``rag.errors`` by type; a 400 that names the structured-output parameter becomes
``OutputModeError`` so the composer can try a weaker mode.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from rag.chat import OUTPUT_MODES, Message, OutputMode
from rag.config import Settings
from rag.errors import (
    BackendAuthError,
    BackendError,
    BackendForbiddenError,
    BackendRateLimitError,
    BackendStatusError,
    BackendTimeoutError,
    BackendUnreachableError,
    OutputModeError,
)

_FORMAT_WORDS = ("response_format", "json_schema", "json_object", "structured output")


def map_error(error: Exception) -> BackendError:
    """The project's error for an SDK exception (by type, never by name)."""
    import openai

    if isinstance(error, openai.PermissionDeniedError):
        return BackendForbiddenError(str(error))
    if isinstance(error, openai.AuthenticationError):
        return BackendAuthError(str(error))
    if isinstance(error, openai.RateLimitError):
        return BackendRateLimitError(str(error))
    if isinstance(error, openai.APITimeoutError):
        return BackendTimeoutError(str(error))
    if isinstance(error, openai.APIConnectionError):
        return BackendUnreachableError(str(error))
    if isinstance(error, openai.BadRequestError | openai.UnprocessableEntityError):
        if any(w in str(error).lower() for w in _FORMAT_WORDS):
            return OutputModeError(str(error))
        return BackendStatusError(error.status_code, str(error))
    if isinstance(error, openai.APIStatusError):
        return BackendStatusError(error.status_code, str(error))
    if isinstance(error, openai.OpenAIError):
        return BackendError(f"{type(error).__name__}: {error}")
    raise error


class OpenAIChatModel:
    """Chat completions over the OpenAI protocol, with JSON-schema, JSON-mode or prompt-only output."""

    output_modes: tuple[OutputMode, ...] = OUTPUT_MODES
    can_stream = True

    def __init__(self, settings: Settings, *, client: Any = None) -> None:
        self.settings = settings
        self.name = f"openai:{settings.chat_model}"
        self._client = client

    def __repr__(self) -> str:  # never shows the key
        return f"OpenAIChatModel({self.settings.chat_model!r}, base_url={self.settings.openai_base_url!r})"

    def client(self) -> Any:
        if self._client is None:
            import openai

            self._client = openai.OpenAI(
                api_key=self.settings.openai_api_key or "not-needed",
                base_url=self.settings.openai_base_url,
                timeout=self.settings.llm_timeout_s,
                max_retries=0,
            )
        return self._client

    @staticmethod
    def response_format(schema: Mapping[str, Any] | None, mode: OutputMode) -> dict[str, Any] | None:
        if mode == "json_schema" and schema is not None:
            return {"type": "json_schema", "json_schema": {"name": "answer", "strict": True, "schema": dict(schema)}}
        if mode == "json_object":
            return {"type": "json_object"}
        return None

    def generate(
        self,
        messages: Sequence[Message],
        *,
        schema: Mapping[str, Any] | None = None,
        mode: OutputMode = "prompt",
        stream: bool = False,
    ) -> Iterator[str]:
        kwargs: dict[str, Any] = {
            "model": self.settings.chat_model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "temperature": 0,
        }
        fmt = self.response_format(schema, mode)
        if fmt is not None:
            kwargs["response_format"] = fmt
        try:
            if not stream:
                reply = self.client().chat.completions.create(**kwargs)
                yield reply.choices[0].message.content or ""
                return
            for chunk in self.client().chat.completions.create(stream=True, **kwargs):
                if chunk.choices and chunk.choices[0].delta and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except BackendError:
            raise
        except Exception as e:  # the SDK's own errors, mapped by type; anything else is a bug and re-raised
            raise map_error(e) from e
