"""The chat-model seam: one method, ``generate``, and capabilities declared as attributes.

Modelled on simonw/llm's ``Model.execute``: a provider is one small class in
``rag/providers/``; it maps its SDK's exceptions onto ``rag.errors.BackendError``
subclasses by type, so callers never see vendor errors. ``rag.testing.FakeChatModel``
implements it for tests.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

Role = Literal["system", "user", "assistant"]
# How structured output is asked for, strongest first: a strict JSON schema, JSON mode, or
# JSON described in the prompt only (validated afterwards in every case).
OutputMode = Literal["json_schema", "json_object", "prompt"]
OUTPUT_MODES: tuple[OutputMode, ...] = ("json_schema", "json_object", "prompt")


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@runtime_checkable
class ChatModel(Protocol):
    """A chat model behind any API.

    ``output_modes``: the structured-output modes it may support, strongest first (the
    composer tries them in order and remembers the first that works).
    ``can_stream``: whether ``generate(stream=True)`` yields text as it is produced.
    """

    name: str
    output_modes: tuple[OutputMode, ...]
    can_stream: bool

    def generate(
        self,
        messages: Sequence[Message],
        *,
        schema: Mapping[str, Any] | None = None,
        mode: OutputMode = "prompt",
        stream: bool = False,
    ) -> Iterator[str]:
        """The reply's text, in pieces when streaming (one piece otherwise). Raises BackendError."""
        ...
