"""Spaceport worker SDK for Python (standard library only). See docs/python.md."""

from .worker import Job, JobContext, JobFile, RegistrationRefused, Worker, serve
from .websocket import ConnectionClosed, HandshakeError, WebSocket

__all__ = ["Job", "JobContext", "JobFile", "RegistrationRefused", "Worker", "serve", "WebSocket", "ConnectionClosed", "HandshakeError"]
