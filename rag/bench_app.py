"""App load: a classroom of concurrent sessions on one real `streamlit run app.py` server.

Each session is a real Streamlit AppSession, driven over HTTP through Streamlit's agent API
(`POST /_stcore/agent/interact`, switched on with `--server.enableAgentApi`): the same rerun
path a browser's chat input takes, with every session sharing the server's one cached
Service. Measured:

- per-answer latency (p50, p95) and the server's answers per second while ``sessions``
  sessions each ask ``questions_each`` questions at once: as deployed (the service's answer
  cache on, so a question another student asked is a lookup) and with the cache off (every
  answer retrieved and composed);
- the CPU time of answer 1 and answer 10 (the same question) of one conversation asked alone:
  the app's script runs (the rerun cost, which must not grow with the conversation) and the
  whole server's (which also holds the agent API's JSON snapshot of the whole page, a cost of
  this harness that grows with the page: a browser receives only the new elements);
- the server's resident memory after the classroom's answers.

The server answers offline from its own data folder, so the figures are the app's, not an
LLM's. CPU time is read from /proc (Linux); elsewhere those figures are null.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from rag.config import Settings

__all__ = ["CLASSROOM_QUESTIONS", "CONVERSATION", "AgentSession", "AppServer", "app_load", "nodes", "text_of"]

APP = Path(__file__).resolve().parent.parent / "app.py"
CALL_TIMEOUT_S = 600
# A class's mix: feasibility, comparison, a case, a follow-up and an off-topic question.
CLASSROOM_QUESTIONS = (
    "could rivals cooperate on compute controls?",
    "Is incident reporting between rival states feasible?",
    "What does the DeepSeek case show?",
    "How does military AI compare with technical standards?",
    "and who is left out?",
    "What's the weather in Paris tomorrow?",
)
# Ten questions asked in a row by one session; the tenth repeats the first, so that answer 1 and
# answer 10 cost the engine the same and differ only by what the page around them costs.
CONVERSATION = (
    "could rivals cooperate on compute controls?",
    "Is incident reporting between rival states feasible?",
    "How does military AI compare with technical standards?",
    "What does the DeepSeek case show?",
    "Could rivals agree on technical standards?",
    "Is feasible cooperation always fair?",
    "What does verification feasibility mean?",
    "Could rivals cooperate on extreme risk prevention?",
    "What historical precedents exist for cooperation between rivals?",
    "could rivals cooperate on compute controls?",
)

Log = Callable[[str], None]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AppServer:
    """`streamlit run app.py` on 127.0.0.1 with its own data folder, offline, agent API on.

    Start with ``start()`` (or ``with``), read ``url``, stop with ``stop()``; its output goes to ``log_path``.
    """

    def __init__(
        self,
        data_dir: Path,
        log_path: Path,
        extra_args: Sequence[str] = (),
        *,
        knowledge_dir: Path | None = None,
        agent_api: bool = False,
        env: dict[str, str] | None = None,
    ) -> None:
        """``env``: more environment variables for the server (settings such as ``RAG_ANSWER_CACHE``)."""
        self.data_dir = data_dir
        self.env = dict(env or {})
        self.log_path = log_path
        self.knowledge_dir = knowledge_dir
        self.extra_args = list(extra_args)
        if agent_api:
            self.extra_args += ["--server.enableAgentApi", "true", "--server.agentWaitTimeout", str(CALL_TIMEOUT_S)]
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    def start(self, timeout: float = 300.0) -> AppServer:
        """Launch the server and wait until its health check answers (stopping it if it never does)."""
        env = {
            **os.environ,
            "RAG_DATA_DIR": str(self.data_dir),
            "RAG_BACKEND": "offline",
            "ANONYMIZED_TELEMETRY": "False",
        }
        for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CHROMA_HOST", "RAG_KNOWLEDGE_DIR"):
            env.pop(name, None)
        if self.knowledge_dir is not None:
            env["RAG_KNOWLEDGE_DIR"] = str(self.knowledge_dir)
        env.update(self.env)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(APP),
                "--server.headless",
                "true",
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
                "--server.fileWatcherType",
                "none",
                *self.extra_args,
            ],
            cwd=APP.parent,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()  # the child holds its own descriptor
        try:
            self._wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_healthy(self, timeout: float) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise TimeoutError(f"streamlit did not become healthy in {timeout:.0f} s; see {self.log_path}")

    def cpu_s(self) -> float | None:
        """CPU seconds (user + system) the server has used so far, finished threads included."""
        if self.proc is None:
            return None
        return _ticks(Path(f"/proc/{self.proc.pid}/stat"))

    def thread_cpu_s(self) -> dict[str, float]:
        """CPU seconds of each live thread of the server, by thread id."""
        out: dict[str, float] = {}
        if self.proc is None:
            return out
        try:
            tids = [p.name for p in Path(f"/proc/{self.proc.pid}/task").iterdir()]
        except OSError:
            return out
        for tid in tids:
            value = _ticks(Path(f"/proc/{self.proc.pid}/task/{tid}/stat"))
            if value is not None:
                out[tid] = value
        return out

    def rss_mb(self) -> tuple[float, float] | None:
        """(current, peak) resident memory of the server in MB."""
        if self.proc is None:
            return None
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return None
        values = {
            k: int(v.split()[0]) / 1024
            for k, v in (line.split(":", 1) for line in status.splitlines())
            if k in ("VmRSS", "VmHWM")
        }
        return round(values.get("VmRSS", 0.0), 1), round(values.get("VmHWM", 0.0), 1)

    def stop(self) -> None:
        """Terminate the server if it is running (killed when it has not exited after 20 s)."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def __enter__(self) -> AppServer:
        return self.start() if self.proc is None else self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def _ticks(stat: Path) -> float | None:
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """Server CPU over one interaction, split into the app's script runs and everything else.

    Streamlit runs each script or fragment run on a new thread, while the threads that serve
    HTTP and build the agent API's snapshots live on. So the CPU of threads alive at both ends
    is the serving cost, and the rest of the process's CPU is the reruns' own.
    """

    def __init__(self, server: AppServer) -> None:
        self.server = server
        self.total = server.cpu_s()
        self.threads = server.thread_cpu_s()

    def stop(self) -> tuple[float, float] | None:
        """(all CPU ms, rerun CPU ms) since the meter was made; None where /proc is missing."""
        total, threads = self.server.cpu_s(), self.server.thread_cpu_s()
        if total is None or self.total is None:
            return None
        serving = sum(v - self.threads[t] for t, v in threads.items() if t in self.threads)
        spent = total - self.total
        return round(spent * 1000, 1), round(max(0.0, spent - serving) * 1000, 1)


class AgentSession:
    """One app session, driven through the agent API; ``snapshot`` is the app as last rendered."""

    def __init__(self, url: str) -> None:
        self.endpoint = f"{url}/_stcore/agent/interact"
        self.snapshot = self._call({})
        self.id = self.snapshot["session_id"]

    def ask(self, question: str) -> dict[str, Any]:
        """Submit the chat input and wait for the run to finish."""
        return self.act({"key": "chat_input", "value": question})

    def act(self, trigger: dict[str, Any] | None = None) -> dict[str, Any]:
        """Trigger a widget (``{"key": ..., "value": ...}``), or rerun the page when ``trigger`` is None."""
        body: dict[str, Any] = {"session_id": self.id}
        if trigger is not None:
            body["trigger"] = trigger
        self.snapshot = self._call(body)
        return self.snapshot

    def _call(self, body: dict[str, Any]) -> dict[str, Any]:
        deadline = time.monotonic() + CALL_TIMEOUT_S
        while True:
            request = urllib.request.Request(
                self.endpoint, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
            )
            try:
                with urllib.request.urlopen(request, timeout=CALL_TIMEOUT_S) as r:
                    reply = json.load(r)
                    if r.status != 202:  # 202 is `wait_timed_out`: the run goes on, collect it
                        return dict(reply)
            except urllib.error.HTTPError as e:
                raise RuntimeError(f"agent API answered {e.code}: {e.read()[:500]!r}") from None
            if time.monotonic() > deadline:
                raise TimeoutError("the run did not finish")
            body = {"session_id": reply.get("session_id", body.get("session_id"))}


def nodes(tree: Any) -> Iterator[dict[str, Any]]:
    """Every node of an agent snapshot's tree, depth first."""
    if isinstance(tree, dict):
        yield tree
        for child in tree.get("children", ()):
            yield from nodes(child)


def text_of(node: dict[str, Any]) -> str:
    """The Markdown shown in a node, with the app's escaping of user and document text undone."""
    import re

    bodies = (str((n.get("props") or {}).get("body", "")) for n in nodes(node))
    return re.sub(r"\\(.)", r"\1", "\n".join(bodies))


def chat(snapshot: dict[str, Any], role: str) -> list[dict[str, Any]]:
    """The chat messages of one role ("user" or "assistant") in a snapshot, in order."""
    return [
        n
        for n in nodes(snapshot["tree"])
        if n.get("type") == "chat_message" and (n.get("props") or {}).get("name") == role
    ]


def problems(snapshot: dict[str, Any], asked: Sequence[str]) -> list[str]:
    """What is wrong with a session's page after it asked ``asked`` (empty when nothing is)."""
    out = []
    if snapshot.get("status") != "ready":
        out.append(f"status {snapshot.get('status')}")
    if any(n.get("type") == "exception" for n in nodes(snapshot.get("tree"))):
        out.append("an exception is shown")
    shown = [text_of(m).strip() for m in chat(snapshot, "user")]
    if shown != list(asked):
        out.append(f"questions shown {shown!r}, asked {list(asked)!r}")
    replies = chat(snapshot, "assistant")
    if len(replies) != len(asked) or (replies and not text_of(replies[-1]).strip()):
        out.append(f"{len(replies)} answers shown for {len(asked)} questions")
    return out


def _pct(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def classroom(url: str, sessions: int, questions_each: int) -> tuple[list[float], list[str], float]:
    """``sessions`` sessions at once, each asking ``questions_each`` questions in turn.

    Returns the per-answer latencies (s), the errors, and the wall time (s).
    """
    conversations = [
        [CLASSROOM_QUESTIONS[(n + i) % len(CLASSROOM_QUESTIONS)] for i in range(questions_each)]
        for n in range(sessions)
    ]
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(sessions)

    def session(n: int) -> None:
        try:
            s = AgentSession(url)
            start.wait(60)  # every session open before the first question: they arrive together
            asked: list[str] = []
            for question in conversations[n]:
                t0 = time.perf_counter()
                snapshot = s.ask(question)
                elapsed = time.perf_counter() - t0
                asked.append(question)
                wrong = problems(snapshot, asked)
                with lock:
                    latencies.append(elapsed)
                    errors.extend(f"session {n}, answer {len(asked)}: {w}" for w in wrong)
        except Exception as e:  # counted as an error, the run goes on
            with lock:
                errors.append(f"session {n}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=session, args=(n,), daemon=True) for n in range(sessions)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(CALL_TIMEOUT_S)
    return latencies, errors, time.perf_counter() - started


def conversation_cpu(server: AppServer, questions: Sequence[str], rounds: int) -> dict[str, Any]:
    """One session asking ``questions`` in a row, alone, ``rounds`` times: the median server CPU ms of
    each answer (all of it, and the reruns' own), and of a plain full rerun of the page after it."""
    spent: list[list[float]] = [[] for _ in questions]
    reruns: list[list[float]] = [[] for _ in questions]
    page: list[list[float]] = [[] for _ in questions]
    errors: list[str] = []
    for _ in range(rounds):
        s = AgentSession(server.url)
        for i, q in enumerate(questions):
            meter = CpuMeter(server)
            snapshot = s.ask(q)
            measured = meter.stop()
            errors += problems(snapshot, questions[: i + 1])
            s.act()  # one plain rerun first, so that what the answer left behind (toasts, state) settles
            meter = CpuMeter(server)
            s.act()
            rerun = meter.stop()
            if measured and rerun:
                spent[i].append(measured[0])
                reruns[i].append(measured[1])
                page[i].append(rerun[1])

    def medians(values: list[list[float]]) -> list[float | None]:
        return [round(statistics.median(v), 1) if v else None for v in values]

    return {
        "server_cpu_ms": medians(spent),
        "script_cpu_ms": medians(reruns),
        "page_rerun_cpu_ms": medians(page),
        "errors": errors,
    }


def server_env(settings: Settings, env: dict[str, str]) -> dict[str, str]:
    """A bench server's settings: ``env``, over the cache of ``settings``. The server has a data
    folder of its own, and so would have a cache of its own: on a fresh machine its first visitor
    would wait for both routers to be trained again (about eleven minutes on two cores, past the
    agent API's wait), where the bench has just trained or loaded them into this cache."""
    return {"RAG_CACHE_DIR": str(settings.cache_folder), **env}


def _serve_class(
    settings: Settings,
    folder: Path,
    env: dict[str, str],
    *,
    label: str,
    sessions: int,
    questions_each: int,
    rounds: int,
    log: Log,
) -> dict[str, Any]:
    """One server on ``folder`` with ``env``: warmed by a first visitor, then the classroom, then
    (when ``rounds``) the CPU of one conversation; its latencies, errors and memory."""
    server = AppServer(
        folder / "data", folder / f"streamlit-{label.replace(' ', '-')}.log", knowledge_dir=settings.knowledge_dir,
        agent_api=True, env=server_env(settings, env),
    )  # fmt: skip
    with server:
        t0 = time.perf_counter()
        warm = AgentSession(server.url)  # the first visitor builds the server's index and cached Service
        warm.ask(CLASSROOM_QUESTIONS[0])
        ready_s = time.perf_counter() - t0
        warm_memory = server.rss_mb()
        log(f"app load ({label}): server ready in {ready_s:.1f} s; {sessions} sessions x {questions_each} questions")
        latencies, errors, wall = classroom(server.url, sessions, questions_each)
        memory = server.rss_mb()
        p50, p95 = _pct(latencies, 50), _pct(latencies, 95)
        log(
            f"app load ({label}): {len(latencies)} answers in {wall:.1f} s, {len(errors)} errors, "
            f"p50 {p50 and round(p50, 3)} s, p95 {p95 and round(p95, 3)} s"
        )
        cpu = conversation_cpu(server, CONVERSATION, rounds) if rounds else None
    return {
        "classroom": {
            "answers": len(latencies),
            "p50_s": round(p50, 3) if p50 is not None else None,
            "p95_s": round(p95, 3) if p95 is not None else None,
            "max_s": round(max(latencies), 3) if latencies else None,
            "wall_s": round(wall, 2),
            "answers_per_s": round(len(latencies) / wall, 2) if wall else None,
        },
        "errors": errors + (cpu["errors"] if cpu else []),
        "cpu": cpu,
        "memory": memory,
        "warm_memory": warm_memory,
        "ready_s": round(ready_s, 1),
    }


def app_load(
    settings: Settings,
    folder: Path,
    *,
    sessions: int = 20,
    questions_each: int = 3,
    rounds: int = 3,
    log: Log = lambda _m: None,
) -> dict[str, Any]:
    """The classroom on a server as deployed (its answer cache on), then on a second server over
    the same index with the cache off: the classroom again, where every answer is computed, and
    the CPU of one conversation (so answer 10, a repeat of answer 1, is not a cache hit)."""
    on = _serve_class(
        settings, folder, {}, label="cache on", sessions=sessions, questions_each=questions_each, rounds=0, log=log
    )  # fmt: skip
    off = _serve_class(
        settings, folder, {"RAG_ANSWER_CACHE": "0"}, label="cache off", sessions=sessions,
        questions_each=questions_each, rounds=rounds, log=log,
    )  # fmt: skip
    cpu = off["cpu"]
    errors = on["errors"] + off["errors"]
    rerun_ms, server_ms = cpu["script_cpu_ms"], cpu["server_cpu_ms"]
    memory, warm_memory = on["memory"], on["warm_memory"]
    result = {
        "sessions": sessions,
        "questions_each": questions_each,
        **on["classroom"],
        "errors": len(errors),
        "error_samples": errors[:5],
        # The same classroom with the answer cache off: every answer retrieved and composed.
        "uncached": off["classroom"],
        # Answer 1 and answer 10 (the same question) of one conversation asked alone, cache off:
        # the CPU of the app's script runs (the reruns: page, slot and answer fragments, the
        # engine's Python), and all the server's CPU (also the engine's native threads and the
        # agent API's snapshot of the whole page, which a browser does not ask for).
        "rerun_cpu_ms_first": rerun_ms[0],
        "rerun_cpu_ms_tenth": rerun_ms[9] if len(rerun_ms) >= 10 else None,
        "server_cpu_ms_first": server_ms[0],
        "server_cpu_ms_tenth": server_ms[9] if len(server_ms) >= 10 else None,
        "rerun_cpu_ms": rerun_ms,
        "server_cpu_ms": server_ms,
        "page_rerun_cpu_ms": cpu["page_rerun_cpu_ms"],
        "rss_mb": memory[0] if memory else None,
        "rss_mb_before_class": warm_memory[0] if warm_memory else None,
        "peak_rss_mb": memory[1] if memory else None,
        "server_ready_s": on["ready_s"],
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    log(
        f"app load: per answer p50 {result['p50_s']} s, p95 {result['p95_s']} s (cache off: "
        f"{off['classroom']['p50_s']} s, {off['classroom']['p95_s']} s); rerun CPU answer 1 "
        f"{result['rerun_cpu_ms_first']} ms, answer 10 {result['rerun_cpu_ms_tenth']} ms"
    )
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rag.bench_app [SESSIONS] [QUESTIONS_EACH]``: the app-load part alone, as JSON."""
    import tempfile

    args = list(sys.argv[1:] if argv is None else argv)
    sessions = int(args[0]) if args else 20
    each = int(args[1]) if len(args) > 1 else 3
    with tempfile.TemporaryDirectory(prefix="rag-bench-app-") as tmp:
        result = app_load(
            Settings.from_env(),
            Path(tmp),
            sessions=sessions,
            questions_each=each,
            log=lambda m: print(m, file=sys.stderr, flush=True),
        )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
