"""Spaceport for Python, standard library only (docs/python.md): the worker SDK (`serve`), a
client for the HTTP API (`Client`), and the WebSocket Spaces remote app (`spaceport.remote_app`)."""

from .client import Client, SpaceportError
from .websocket import ConnectionClosed, HandshakeError, WebSocket
from .worker import Job, JobContext, JobFile, RegistrationRefused, RetryableError, Worker, serve

__all__ = ["Client", "SpaceportError", "Job", "JobContext", "JobFile", "RegistrationRefused", "RetryableError", "Worker", "serve", "WebSocket", "ConnectionClosed", "HandshakeError"]
