"""The Spaceport worker protocol (/v1/worker) for Python: the same abilities as the TypeScript SDK.

    from spaceport import serve

    def handler(job, ctx):
        for word in job.prompt.split():
            if ctx.cancelled:
                break
            ctx.token(word + " ")
        return {"words": len(job.prompt.split())}

    serve("http://localhost:8000", ["my-space"], token="spw_...", handler=handler)

A handler may be a plain function (run in a thread, so a blocking model call does not stall the
connection) or an `async def`. Its return value is the result's data; raising fails the job with
the message. `ctx.cancelled` turns true when the job is cancelled or the connection is lost.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import random
import signal
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Union

from .frames import decode_frame, encode_frame
from .websocket import ConnectionClosed, HandshakeError, WebSocket


@dataclass
class JobFile:
    name: str
    mime: str
    size: int
    input: str
    data: bytes = b""


@dataclass
class Job:
    id: str
    space: str
    attempt: int
    user: str
    prompt: str | None
    options: dict[str, Any]
    deadline: str
    files: list[JobFile] = field(default_factory=list)
    #: W3C trace context (the gateway's span of the submit): a parent for the worker's own spans.
    traceparent: str | None = None


class JobContext:
    """What a handler can do while it runs. Safe to call from the handler's thread."""

    def __init__(self, job_id: str, emit: Callable[..., None]) -> None:
        self.job_id = job_id
        self._emit = emit
        self._cancelled = threading.Event()
        self.files: list[tuple[str, str, bytes]] = []

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def cancel(self) -> None:
        self._cancelled.set()

    def progress(self, fraction: float, message: str | None = None) -> None:
        if not self.cancelled:
            self._emit({"type": "progress", "job": self.job_id, "progress": fraction, **({"message": message} if message is not None else {})})

    def token(self, text: str) -> None:
        if not self.cancelled:
            self._emit({"type": "token", "job": self.job_id, "text": text})

    def partial(self, data: Any, files: list[tuple[str, str, bytes]] | None = None) -> None:
        """A partial result; `files` (name, mime, bytes) are live media, relayed as binary frames and not stored."""
        if self.cancelled:
            return
        message: dict[str, Any] = {"type": "partial", "job": self.job_id, "data": data}
        if not files:
            return self._emit(message)
        message["files"] = [{"name": n, "mime": m, "binary": True} for n, m, _ in files]
        self._emit(message, [encode_frame({"ref": self.job_id, "index": i}, payload) for i, (_, _, payload) in enumerate(files)])

    def attach(self, name: str, mime: str, data: bytes) -> None:
        """Adds a file to the result (sent as a binary frame, not base64)."""
        self.files.append((name, mime, data))


Handler = Callable[[Job, JobContext], Union[Any, Awaitable[Any]]]
Log = Callable[[str], None]


# The gateway's close code for a connection whose credential was revoked (docs/errors.md).
CREDENTIAL_REVOKED = 4003


class RetryableError(Exception):
    """Raise it from a handler when trying again may succeed (a busy or flaky dependency): the
    gateway queues the job again after the space's backoff, up to its attempts, instead of failing
    it (docs/queue.md). Any other exception fails the job at once."""


class RegistrationRefused(Exception):
    pass


class _Forget:
    """An outbox item that sends nothing: once the send loop reaches it, the job's last messages are
    written; once the gateway answers a ping written after them, they have arrived (a connection can
    die with them in it: until then the job stays known, for a re-attach to send them again)."""

    def __init__(self, worker: "Worker", job_id: str) -> None:
        self.worker = worker
        self.job_id = job_id


# A job's latest numbered messages kept to send again after a re-attach, in bytes: those written
# into a connection that was already dead never arrived. Older ones go; needing one of them, the
# gateway requeues the attempt instead.
KEPT_BYTES = 4 * 1024 * 1024


class _Part:
    """An outbox item that is (part of) a numbered message: kept in its job's _Sent too."""

    def __init__(self, data: str | bytes) -> None:
        self.data = data


class _Sent:
    """A running job's numbered messages (`n`: 1, 2, … over the attempt) and the latest of them, kept."""

    def __init__(self) -> None:
        self.count = 0
        self.kept: deque[tuple[int, list[str | bytes], int]] = deque()
        self.kept_bytes = 0

    def number(self, message: dict[str, Any], frames: list[bytes]) -> list[str | bytes]:
        self.count += 1
        parts: list[str | bytes] = [json.dumps({**message, "n": self.count}), *frames]
        size = sum(len(p) for p in parts)
        self.kept.append((self.count, parts, size))
        self.kept_bytes += size
        while self.kept_bytes > KEPT_BYTES and len(self.kept) > 1:
            self.kept_bytes -= self.kept.popleft()[2]
        return parts

    def after(self, received: int) -> list[str | bytes]:
        return [part for n, parts, _ in self.kept if n > received for part in parts]


class Worker:
    def __init__(self, host: str, spaces: list[str], token: str, handler: Handler, slots: int = 1, name: str | None = None,
                 log: Log = print, drain_timeout: float = 30.0, declare: dict[str, dict[str, Any]] | None = None) -> None:
        base = host.rstrip("/")
        self.url = ("ws" + base[4:] if base.startswith("http") else base) + "/v1/worker"
        self.spaces = spaces
        self.token = token
        self.handler = handler
        self.slots = slots
        self.name = name or f"{socket.gethostname()}:python"
        self.log = log
        self.drain_timeout = drain_timeout
        # Per space: its output kind, options schema and examples, told at every registration.
        self.declare = declare
        self.running: dict[str, JobContext] = {}
        self._attempts: dict[str, int] = {}
        self._sent: dict[str, _Sent] = {}
        # Jobs whose handler has ended, kept until their last messages are known to have arrived.
        self._ended: set[str] = set()
        self._stopping = False
        self._draining = False
        self._ws: WebSocket | None = None
        # One queue for the worker's whole life: what running jobs emit while the connection is
        # down waits in it, each item with its job, for the re-attach.
        self._outbox: asyncio.Queue[tuple[str | None, Any]] = asyncio.Queue()
        self._worker_id: str | None = None
        self._lease_s = 30.0
        self._give_up: asyncio.Task[None] | None = None
        self.registered = asyncio.Event()

    async def run(self) -> None:
        """Connects, serves, and reconnects with backoff until stopped or refused."""
        delay = 0.25
        while not self._stopping:
            try:
                self.log(f"connecting to {self.url}")
                await self._session()
                delay = 0.25
            except RegistrationRefused:
                raise
            except (ConnectionClosed, HandshakeError, OSError) as err:
                if self._stopping:
                    break
                if isinstance(err, ConnectionClosed) and err.code == CREDENTIAL_REVOKED:
                    # The token was revoked: reconnecting with it cannot succeed.
                    raise RegistrationRefused(f"credential revoked ({err.code})") from err
                # Holding running jobs, it tries at least every second (a tenth of the lease if
                # shorter): the gateway keeps them only a grace after a cut, or a lease after a
                # restart, and a doubling delay would step over that window.
                cap = min(1.0, self._lease_s / 10) if self.running else 10.0
                wait = min(cap, delay) * random.uniform(0.8, 1.2)
                self.log(f"connection lost ({err}); reconnecting in {wait:.1f} s")
                await asyncio.sleep(wait)
                delay *= 2

    async def _session(self) -> None:
        ws = await WebSocket.connect(self.url)
        self._ws = ws
        outbox = self._outbox
        sender: asyncio.Task[None] | None = None
        heartbeat: asyncio.Task[None] | None = None
        waiting: dict[str, tuple[Job, int]] = {}  # jobs whose files are still arriving
        registration: dict[str, Any] = {"type": "register", "token": self.token, "spaces": self.spaces, "slots": self.slots, "name": self.name}
        if self.declare:
            registration["declare"] = self.declare
        if self._worker_id and self.running:
            # Jobs still running from before the connection dropped: asked back, as the worker it was.
            registration["reattach"] = {"worker": self._worker_id, "jobs": [{"job": j, "attempt": self._attempts[j]} for j in self.running]}
        await ws.send_text(json.dumps(registration))
        try:
            while True:
                message = await ws.recv()
                if message.data is not None:
                    decoded = decode_frame(message.data)
                    entry = decoded and waiting.get(str(decoded[0]["ref"]))
                    if not decoded or not entry:
                        continue
                    job, missing = entry
                    job.files[decoded[0]["index"]].data = decoded[1]
                    if missing == 1:
                        del waiting[job.id]
                        self._start(job, outbox)
                    else:
                        waiting[job.id] = (job, missing - 1)
                    continue
                msg = json.loads(message.text or "{}")
                kind = msg.get("type")
                if kind == "registered":
                    names = ", ".join(f"{s['name']} ({s['id']})" for s in msg["spaces"])
                    self.log(f"registered as {msg['worker']} with {msg['slots']} slot(s): {names}")
                    self._worker_id = msg["worker"]
                    self._lease_s = msg["lease_ms"] / 1000
                    if self._give_up:
                        self._give_up.cancel()
                        self._give_up = None
                    self._keep(set(msg.get("reattached") or []), msg.get("received") or {})
                    sender = asyncio.create_task(self._send_loop(ws, outbox))
                    heartbeat = asyncio.create_task(self._heartbeat(outbox, msg["heartbeat_ms"] / 1000))
                    if self._draining:
                        outbox.put_nowait((None, json.dumps({"type": "drain", "draining": True})))
                    self.registered.set()
                elif kind == "job":
                    files = [JobFile(f["name"], f["mime"], f["size"], f["input"]) for f in msg.get("files", [])]
                    job = Job(msg["job"], msg["space"], msg["attempt"], msg["user"], msg.get("prompt"), msg.get("options") or {}, msg["deadline"], files, msg.get("traceparent"))
                    if files:
                        waiting[job.id] = (job, len(files))
                    else:
                        self._start(job, outbox)
                elif kind == "cancel":
                    ctx = self.running.get(msg["job"])
                    if ctx:
                        ctx.cancel()
                    else:
                        outbox.put_nowait((None, json.dumps({"type": "cancelled", "job": msg["job"]})))
                elif kind == "error":
                    self.log(f"error: {msg.get('code')}: {msg.get('message')}")
                    if msg.get("code") in ("unauthorized", "unknown_space", "forbidden"):
                        self._stopping = True
                        raise RegistrationRefused(f"{msg['code']}: {msg.get('message')}")
        finally:
            if heartbeat:
                heartbeat.cancel()
            if sender:
                sender.cancel()
            await ws.close()
            if self._stopping:
                self._drop_all()
            elif self.running and not self._give_up:
                # They go on; a connection must take them back within the lease, or they are given up.
                self._give_up = asyncio.create_task(self._give_up_after(self._lease_s))

    def _keep(self, kept: set[str], received: dict[str, int] | None = None) -> None:
        """After a re-registration: the jobs not given back stop, and what they left waiting goes.
        Of those given back, the gateway says how many numbered messages it has (`received`): the
        rest go again first (some were written into the dead connection), then what waited."""
        received = received or {}
        for job_id in list(self.running):
            if job_id not in kept:
                self.running.pop(job_id).cancel()
                self._sent.pop(job_id, None)
                self._ended.discard(job_id)
        waiting = []
        while not self._outbox.empty():
            waiting.append(self._outbox.get_nowait())
        for job_id, count in received.items():
            sent = self._sent.get(job_id)
            for part in sent.after(count) if sent and job_id in kept else []:
                self._outbox.put_nowait((job_id, _Part(part)))
        for job_id, item in waiting:
            if job_id is None or (job_id in kept and not (isinstance(item, _Part) and job_id in received)):
                self._outbox.put_nowait((job_id, item))
        # Jobs that had ended before the connection died: forgotten once what went again has arrived.
        for job_id in self._ended & kept:
            if not any(isinstance(item, _Forget) and item.job_id == job_id for _, item in waiting):
                self._outbox.put_nowait((None, _Forget(self, job_id)))

    def _forget(self, job_id: str) -> None:
        self.running.pop(job_id, None)
        self._attempts.pop(job_id, None)
        self._sent.pop(job_id, None)
        self._ended.discard(job_id)

    def _drop_all(self) -> None:
        for ctx in self.running.values():
            ctx.cancel()  # the gateway requeues them; their results would be stale
        self.running.clear()
        self._sent.clear()
        self._ended.clear()
        self._keep(set())

    async def _give_up_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self._give_up = None
        self.log(f"the gateway did not take back {len(self.running)} running job(s) in time: stopping them")
        self._drop_all()

    async def _send_loop(self, ws: WebSocket, outbox: asyncio.Queue[tuple[str | None, Any]]) -> None:
        while True:
            job_id, item = await outbox.get()
            if isinstance(item, _Forget):
                answered = await ws.ping()
                answered.add_done_callback(lambda _, item=item: item.worker._forget(item.job_id))
                continue
            if job_id is not None and job_id not in self.running:
                continue  # a job given up (or given to another worker) meanwhile
            if isinstance(item, _Part):
                item = item.data
            if isinstance(item, bytes):
                await ws.send_binary(item)
            else:
                await ws.send_text(item)

    async def _heartbeat(self, outbox: asyncio.Queue[tuple[str | None, Any]], every: float) -> None:
        while True:
            await asyncio.sleep(every)
            outbox.put_nowait((None, '{"type":"heartbeat"}'))

    def _numbered(self, job_id: str, message: dict[str, Any], frames: list[bytes] | None = None) -> None:
        """On the loop: a running job's event, numbered and kept (to send again after a re-attach), into the outbox."""
        sent = self._sent.get(job_id)
        if sent is None:
            return
        for part in sent.number(message, frames or []):
            self._outbox.put_nowait((job_id, _Part(part)))

    def _start(self, job: Job, outbox: asyncio.Queue[tuple[str | None, Any]]) -> None:
        loop = asyncio.get_running_loop()

        def emit(message: dict[str, Any], frames: list[bytes] | None = None) -> None:
            # From the handler's thread or the loop itself; either way in order, numbered on the loop.
            def put() -> None:
                self._numbered(job.id, message, frames)

            try:
                on_loop = asyncio.get_running_loop() is loop
            except RuntimeError:
                on_loop = False
            if on_loop:
                put()
            else:
                loop.call_soon_threadsafe(put)

        ctx = JobContext(job.id, emit)
        self.running[job.id] = ctx
        self._attempts[job.id] = job.attempt
        self._sent[job.id] = _Sent()
        self.log(f"job {job.id} received (space {job.space}, attempt {job.attempt})")
        self._numbered(job.id, {"type": "started", "job": job.id})
        asyncio.create_task(self._run_job(job, ctx, outbox))

    async def _run_job(self, job: Job, ctx: JobContext, outbox: asyncio.Queue[tuple[str | None, Any]]) -> None:
        began = time.monotonic()
        outcome = "finished"
        try:
            if inspect.iscoroutinefunction(self.handler):
                data = await self.handler(job, ctx)
            else:
                data = await asyncio.to_thread(self.handler, job, ctx)
            if self.running.get(job.id) is not ctx:
                return  # given up, or given to another worker: its result would be stale
            if ctx.cancelled:
                outcome = "cancelled"
                outbox.put_nowait((job.id, json.dumps({"type": "cancelled", "job": job.id})))
            else:
                message: dict[str, Any] = {"type": "result", "job": job.id}
                if data is not None:
                    message["data"] = data
                if ctx.files:
                    message["files"] = [{"name": n, "mime": m, "binary": True} for n, m, _ in ctx.files]
                self._numbered(job.id, message, [encode_frame({"ref": job.id, "index": index}, payload) for index, (_, _, payload) in enumerate(ctx.files)])
        except Exception as err:  # the handler's failure is the job's failure, not the worker's
            if self.running.get(job.id) is not ctx:
                return
            if ctx.cancelled:
                outcome = "cancelled"
                outbox.put_nowait((job.id, json.dumps({"type": "cancelled", "job": job.id})))
            else:
                outcome = f"failed: {err}"
                failure = {"type": "error", "job": job.id, "message": str(err) or type(err).__name__}
                if isinstance(err, RetryableError):
                    failure["retryable"] = True
                self._numbered(job.id, failure)
        finally:
            # Known until its last messages have arrived (they may wait for a re-attach), then forgotten.
            if self.running.get(job.id) is ctx:
                self._ended.add(job.id)
                outbox.put_nowait((None, _Forget(self, job.id)))
            self.log(f"job {job.id} {outcome} in {time.monotonic() - began:.2f} s")

    async def drain(self, timeout: float | None = None) -> None:
        """Takes no new jobs, lets running ones finish (at most `timeout` seconds), then disconnects."""
        self._draining = True
        self.log(f"draining: finishing {len(self.running)} running job(s), taking no new ones")
        self._outbox.put_nowait((None, json.dumps({"type": "drain", "draining": True})))
        deadline = time.monotonic() + (self.drain_timeout if timeout is None else timeout)
        while self.running and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self.stop()

    def stop(self) -> None:
        self._stopping = True
        if self._ws is not None:
            asyncio.ensure_future(self._ws.close())


def serve(host: str, spaces: list[str], token: str, handler: Handler, slots: int = 1, name: str | None = None, log: Log = print,
          declare: dict[str, dict[str, Any]] | None = None) -> None:
    """Runs a worker until SIGTERM/SIGINT, which drain it (running jobs finish) before exiting.

    ``declare`` maps a space name to how it presents itself: ``output`` (text, image, boxes, video,
    audio, 3d, table, json), ``options_schema`` (a JSON Schema object of its options) and
    ``examples`` (docs/spaces.md#presentation)."""

    async def main() -> None:
        worker = Worker(host, spaces, token, handler, slots=slots, name=name, log=log, declare=declare)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(worker.drain()))
        await worker.run()

    asyncio.run(main())
