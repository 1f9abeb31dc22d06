"""Helpers for jobs that came through the gateway's OpenAI API (docs/openai.md): the client's
request rides in the job's options, and the result's data says how the completion finished.

    from spaceport.openai import chat_request, result

    def handle(job, ctx):
        request = chat_request(job)              # None for a job submitted otherwise
        for piece in my_model.stream(request["messages"]):
            ctx.token(piece)
        return result(finish_reason="stop", prompt_tokens=12, completion_tokens=30)
"""

from __future__ import annotations

from typing import Any, Optional


def chat_request(job: Any) -> Optional[dict]:
    """The OpenAI request the job carries (`job.options["openai"]`): model, messages (or prompt),
    tools, sampling — as the client sent it. None for a job that did not come through that API."""
    request = (job.options or {}).get("openai")
    return request if isinstance(request, dict) else None


def result(finish_reason: Optional[str] = None, prompt_tokens: Optional[int] = None, completion_tokens: Optional[int] = None, tool_calls: Optional[list] = None) -> dict:
    """The result data the gateway turns into OpenAI's answer: `finish_reason` ("stop", "length",
    "tool_calls"), `usage` from the token counts, and `tool_calls` as OpenAI shapes them
    ({"id", "type": "function", "function": {"name", "arguments"}}). Return it from the handler."""
    data: dict = {}
    if finish_reason:
        data["finish_reason"] = finish_reason
    if prompt_tokens is not None and completion_tokens is not None:
        data["usage"] = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens}
    if tool_calls:
        data["tool_calls"] = tool_calls
    return data
