"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions protocol.

It lets tests (and demos without a key) exercise the LLM backend end to end through
the real openai and langchain clients: no patching of SDK internals. Replies are
scripted with :meth:`FakeOpenAI.enqueue`; by default it answers like a careful model,
citing the first valid passage label of the prompt with a verbatim quote.

    with FakeOpenAI() as server:
        server.enqueue(status=429)            # next request: rate limited
        server.enqueue(content='{"supported": false, ...}')
        settings = settings.with_(openai_base_url=server.url, openai_api_key="test")
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[dict[str, Any]], str]


@dataclass
class Reply:
    """One scripted reply: its HTTP status, content or raw body, delay, error message and where to cut a stream."""

    status: int = 200
    content: str | None = None  # the assistant message content (JSON text for our schema)
    delay: float = 0.0  # seconds before answering
    cut_stream_after: int | None = None  # close a streamed reply after this many chunks
    raw_body: str | None = None  # send this body as-is (malformed JSON tests)
    error: str | None = None  # the error message of a non-200 reply


@dataclass
class _State:
    queue: deque[Reply] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def prompt_text(request: dict[str, Any]) -> str:
    """The content of every message of a chat request, one after another."""
    return "\n".join(str(m.get("content", "")) for m in request.get("messages", []))


def careful_reply(request: dict[str, Any]) -> str:
    """A valid answer that cites the first passage with a verbatim quote from it."""
    text = prompt_text(request)
    labels = re.search(r"Valid labels: (.*)", text)
    first = labels.group(1).split(",")[0].strip() if labels else ""
    passage = re.search(rf'<passage label="{re.escape(first)}"[^>]*>\n(.*?)\n</passage>', text, re.S)
    words = passage.group(1).split()[:12] if passage else []
    quote = " ".join(words)
    claim = {"text": "The retrieved passage addresses the question directly.", "labels": [first], "quote": quote}
    conditions = []
    for cond, rating in re.findall(r"(domain_separability|mutual_vulnerability|verification_feasibility): (\w+)", text):
        conditions.append({"condition": cond, "rating": rating, "claims": [claim]})
        if len(conditions) == 3:
            break
    return json.dumps({"supported": bool(first), "summary": [claim], "conditions": conditions, "left_out": []})


class FakeOpenAI:
    """Start with ``with FakeOpenAI() as server`` (or start()/stop())."""

    def __init__(self, responder: Responder = careful_reply, model: str = "fake-model") -> None:  # noqa: C901 - the HTTP handler is defined inline; its branches are the scripted replies
        self.responder = responder
        self.model = model
        self._state = _State()
        state, outer = self._state, self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with state.lock:
                    state.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    reply = state.queue.popleft() if state.queue else Reply()
                if reply.delay:
                    time.sleep(reply.delay)
                if not self.path.rstrip("/").endswith("chat/completions"):
                    return self._send(404, {"error": {"message": "not found"}})
                if reply.status != 200:
                    message = reply.error or f"scripted {reply.status}"
                    return self._send(
                        reply.status, {"error": {"message": message, "type": "scripted", "code": reply.status}}
                    )
                if reply.raw_body is not None:
                    return self._send(200, None, raw=reply.raw_body)
                content = reply.content if reply.content is not None else outer.responder(body)
                if body.get("stream"):
                    return self._stream(content, reply.cut_stream_after)
                return self._send(
                    200,
                    {
                        "id": "chatcmpl-fake",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": outer.model,
                        "choices": [
                            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}
                        ],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    },
                )

            def _send(self, status: int, payload: Any, raw: str | None = None) -> None:
                data = (raw if raw is not None else json.dumps(payload)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, content: str, cut_after: int | None) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                pieces = [content[i : i + 24] for i in range(0, len(content), 24)]
                for n, piece in enumerate(pieces):
                    if cut_after is not None and n >= cut_after:
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    chunk = {
                        "id": "chatcmpl-fake",
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": outer.model,
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": None,
                                "delta": {"content": piece, **({"role": "assistant"} if n == 0 else {})},
                            }
                        ],
                    }
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                done = {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": outer.model,
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                }
                self.wfile.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
                self.wfile.flush()
                self.close_connection = True

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL to give an OpenAI client (``http://127.0.0.1:PORT/v1``)."""
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/v1"

    @property
    def requests(self) -> list[dict[str, Any]]:
        """A copy of the requests received so far: path, headers and JSON body of each."""
        return list(self._state.requests)

    def enqueue(self, **reply: Any) -> None:
        """Script the next reply: status, content, delay, cut_stream_after, raw_body, error."""
        self._state.queue.append(Reply(**reply))

    def start(self) -> FakeOpenAI:
        """Serve on a background thread; returns the server."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
