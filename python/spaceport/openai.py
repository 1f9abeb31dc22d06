"""Helpers for jobs that came through the gateway's OpenAI API (docs/openai.md): the client's
request rides in the job's options, and the result's data says how the completion finished.

    from spaceport.openai import chat_request, result, tool_call_piece

    def handle(job, ctx):
        request = chat_request(job)              # None for a job submitted otherwise
        for piece in my_model.stream(request["messages"]):
            ctx.token(piece)
        return result(finish_reason="stop", prompt_tokens=12, completion_tokens=30)

A tool call can stream too: `ctx.partial(tool_call_piece(0, id="call_1", name="lookup"))`, then
`ctx.partial(tool_call_piece(0, arguments='{"q":'))` and so on; return the whole calls in the result.
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


def tool_call_piece(index: int, id: Optional[str] = None, name: Optional[str] = None, arguments: Optional[str] = None) -> dict:
    """A piece of a tool call as it is generated, for `ctx.partial(...)`: a streaming OpenAI client
    gets it as it is (OpenAI's delta shape). The first piece of a call gives its `id` and `name`,
    the next ones parts of its `arguments`; `index` tells calls apart."""
    function: dict = {}
    if name is not None:
        function["name"] = name
    if arguments is not None:
        function["arguments"] = arguments
    call: dict = {"index": index}
    if id is not None:
        call["id"] = id
        call["type"] = "function"
    call["function"] = function
    return {"tool_calls": [call]}
