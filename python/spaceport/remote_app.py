"""A remote app for Spaceport's WebSocket Spaces dialect (docs/dialects/websocket-spaces.md).

Run it on the machine that has the model; it dials out to the gateway, so no port needs opening:

    spaceport-remote-app --host https://your-gateway --spaces MySpace     # after pip install ./python
    python3 python/example_websocket_app.py --host https://your-gateway --spaces MySpace   # from a checkout

It registers into the space by name, receives `inference_request`s, answers each with an
`inference_result` (or `inference_error`), and works through them one at a time in arrival order.
The work is `simulate_inference` below (real but small text statistics): replace it with your
model. From your own code:

    app = WebSocketApp(host="https://your-gateway", space_name="MySpace")
    app.connect()  # serves until stopped

With python-socketio installed (`pip install python-socketio python-engineio requests`, or Debian's
python3-socketio) it connects over Socket.IO, as the guide describes; without it, over the plain
WebSocket at /websocket-spaces with the standard library only. The gateway treats both the same.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import queue
import re
import sys
import threading
import time

from .websocket import ConnectionClosed, HandshakeError, WebSocket

try:
    import socketio  # python-socketio, what the WebSocket Spaces guide installs
except ImportError:  # the standard library is enough: the plain WebSocket below
    socketio = None

PLAIN_PATH = "/websocket-spaces"


def log(level: str, text: str) -> None:
    print(f"[{level}] {text}", flush=True)


class WebSocketApp:
    """One connection to one space: register, then answer requests sequentially."""

    def __init__(self, host: str, space_name: str, token: str | None = None, transport: str = "auto") -> None:
        self.host = host.rstrip("/")
        self.space_name = space_name
        self.token = token
        #: "auto" (Socket.IO when python-socketio is installed), "socketio" or "websocket".
        self.transport = transport
        self.requests: queue.Queue[dict] = queue.Queue()
        self.cancelled: set[str] = set()
        self.refused = False

    def simulate_inference(self, request_data: dict) -> dict:
        """The inference step: replace the body with your model, e.g.

            output = model.generate(prompt)

        and return the `inference_result` message. Raising sends an `inference_error` instead.
        """
        started = time.monotonic()
        prompt = request_data.get("payload", {}).get("prompt", "")
        words = re.findall(r"[\w']+", prompt.lower())
        common = collections.Counter(words).most_common(3)
        summary = f"{len(words)} words, {len(prompt)} characters"
        if common:
            summary += "; most frequent: " + ", ".join(f"{w} ({n})" for w, n in common)
        return {
            "type": "inference_result",
            "request_id": request_data["request_id"],
            "username": request_data.get("username"),
            "status": "completed",
            "result": {
                "text_output": summary,
                "word_count": len(words),
                "top_words": [w for w, _ in common],
                "processing_time": round(time.monotonic() - started, 3),
            },
        }

    def connect(self) -> bool:
        """Connects, registers and serves until stopped; returns False when the registration is refused."""
        log("INFO", "Initializing connection...")
        log("INFO", f"Host: {self.host}")
        log("INFO", f"Space name: {self.space_name}")
        use_socketio = self.transport == "socketio" or (self.transport == "auto" and socketio is not None)
        if use_socketio and socketio is None:
            raise RuntimeError("python-socketio is not installed (pip install python-socketio)")
        return self._serve_socketio() if use_socketio else asyncio.run(self._serve_websocket())

    # ---- what both transports share ---------------------------------------------------------

    def _registration(self) -> dict:
        message = {"type": "register", "space_name": self.space_name}
        if self.token:
            message["token"] = self.token
        return message

    def _on_message(self, msg: dict) -> bool:
        """Handles one message from the gateway; False once the registration was refused."""
        kind = msg.get("type")
        if kind == "registered":
            log("SUCCESS", "Registration successful!")
            log("INFO", f"Connection ID: {msg['connection_id']}")
            log("INFO", f"Space ID: {msg['space_id']}")
            log("INFO", f'Successfully connected to space "{msg["space_name"]}"')
            log("INFO", "Request processor started")
        elif kind == "registration_failed":
            log("ERROR", f"Registration failed: {msg.get('error')}")
            self.refused = True
            return False
        elif kind == "inference_request":
            log("INFO", f"Request {msg['request_id']} from {msg.get('username')} queued ({self.requests.qsize() + 1} waiting)")
            self.requests.put(msg)
        elif kind == "inference_cancelled":
            self.cancelled.add(msg["request_id"])
            log("INFO", f"Request {msg['request_id']} was cancelled ({msg.get('reason')})")
        elif kind == "error":
            log("ERROR", f"{msg.get('code')}: {msg.get('message') or msg.get('error')}")
        return True

    def _answer(self, request: dict) -> dict | None:
        """Runs one request; the reply to send, or None when it was cancelled meanwhile."""
        request_id = request["request_id"]
        if request_id in self.cancelled:
            return None
        try:
            reply = self.simulate_inference(request)
            log("SUCCESS", f"Request {request_id} completed")
        except Exception as err:  # the user's model failed: tell the gateway, keep serving
            reply = {"type": "inference_error", "request_id": request_id, "status": "failed", "error": str(err)}
            log("ERROR", f"Request {request_id} failed: {err}")
        return None if request_id in self.cancelled else reply

    def _next_request(self) -> dict | None:
        # Waits briefly, not forever: a thread blocked on the queue would hold up the app's exit.
        try:
            return self.requests.get(timeout=0.5)
        except queue.Empty:
            return None

    def _forget_requests(self) -> None:
        # Requests still queued here are requeued by the gateway when the connection drops.
        self.requests = queue.Queue()

    # ---- Socket.IO ----------------------------------------------------------------------------

    def _serve_socketio(self) -> bool:
        sio = socketio.Client(reconnection=True, reconnection_delay=1, reconnection_delay_max=30)
        stop = threading.Event()
        emit = lambda message: sio.emit(message["type"], message)  # noqa: E731

        @sio.event
        def connect() -> None:
            log("SUCCESS", "Socket.IO connection established")
            emit(self._registration())
            log("INFO", f"Sent registration for space: {self.space_name}")

        @sio.event
        def disconnect() -> None:
            log("WARN", "Connection lost; reconnecting")
            self._forget_requests()

        for kind in ("registered", "registration_failed", "inference_request", "inference_cancelled", "error"):
            sio.on(kind, lambda msg, kind=kind: self._on_message({**msg, "type": kind}) or stop.set())

        def process() -> None:
            while not stop.is_set():
                request = self._next_request()
                if request is None:
                    continue
                reply = self._answer(request)
                if reply is not None:
                    emit(reply)

        threading.Thread(target=process, daemon=True).start()
        delay = 1.0
        while not stop.is_set():
            try:
                log("INFO", f"Connecting to {self.host}...")
                sio.connect(self.host, transports=["websocket", "polling"], wait_timeout=10)
                break
            except socketio.exceptions.ConnectionError as err:
                log("WARN", f"Could not connect ({err}); retrying in {delay:.0f} s")
                time.sleep(delay)
                delay = min(delay * 2, 30.0)
        try:
            stop.wait()
        finally:
            sio.disconnect()
        return not self.refused

    # ---- the plain WebSocket (standard library only) -----------------------------------------

    async def _serve_websocket(self) -> bool:
        base = "ws" + self.host[4:] if self.host.startswith("http") else self.host
        url = base + PLAIN_PATH
        delay = 1.0
        while True:
            try:
                log("INFO", f"Connecting to {url}...")
                ws = await WebSocket.connect(url)
                log("SUCCESS", "WebSocket connection established")
                delay = 1.0
                if not await self._serve_plain(ws):
                    return False
            except (ConnectionClosed, HandshakeError, OSError) as err:
                log("WARN", f"Connection lost ({err}); reconnecting in {delay:.0f} s")
            self._forget_requests()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)

    async def _serve_plain(self, ws: WebSocket) -> bool:
        await ws.send_text(json.dumps(self._registration()))
        log("INFO", f"Sent registration for space: {self.space_name}")

        async def process() -> None:
            while True:
                request = await asyncio.to_thread(self._next_request)
                if request is None:
                    continue
                reply = await asyncio.to_thread(self._answer, request)
                if reply is not None:
                    await ws.send_text(json.dumps(reply))

        processor = asyncio.create_task(process())
        try:
            while True:
                if not self._on_message(json.loads((await ws.recv()).text or "{}")):
                    return False
        finally:
            processor.cancel()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve a Spaceport space from this machine (WebSocket Spaces dialect).")
    parser.add_argument("--host", required=True, help="the gateway, e.g. https://your-gateway")
    parser.add_argument("--spaces", required=True, help="space name (comma-separated for several)")
    parser.add_argument("--token", default=os.environ.get("SPACEPORT_TOKEN"), help="worker token, if the space requires one")
    parser.add_argument("--transport", choices=["auto", "socketio", "websocket"], default="auto", help="auto: Socket.IO when python-socketio is installed")
    args = parser.parse_args()
    names = [n.strip() for n in args.spaces.split(",") if n.strip()]
    print("=" * 60)
    print("WebSocket Inference App")
    print("=" * 60)
    print(f"Host: {args.host}")
    print(f"Space: {', '.join(names)}")
    print("=" * 60, flush=True)

    apps = [WebSocketApp(args.host, name, args.token, args.transport) for name in names]
    results: list[bool] = []
    threads = [threading.Thread(target=lambda a=app: results.append(a.connect()), daemon=True) for app in apps]
    for t in threads:
        t.start()
    try:
        for t in threads:
            t.join()
    except KeyboardInterrupt:
        log("INFO", "Stopped")
        return
    sys.exit(0 if all(results) else 1)  # serving only ends when the gateway refused a registration


if __name__ == "__main__":
    main()
