"""`python3 -m spaceport.worker_cli` (or `spaceport-worker` once installed): a worker from the shell.

    SPACEPORT_TOKEN=spw_… python3 -m spaceport.worker_cli --host http://gateway:8000 --spaces ocr \\
        --handler my_model:handle

`--handler module:function` names the handler (`def handle(job, ctx)`, or `async def`); the module
is imported from the current directory or the Python path.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys

from .worker import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="spaceport-worker", description="Serve Spaceport spaces with a Python handler (the worker dials out to the gateway).")
    parser.add_argument("--host", required=True, help="the gateway, e.g. http://localhost:8000")
    parser.add_argument("--spaces", required=True, help="the spaces to serve, comma-separated")
    parser.add_argument("--handler", default="spaceport.examples:echo", help="module:function of the handler (default: spaceport.examples:echo)")
    parser.add_argument("--token", default=os.environ.get("SPACEPORT_TOKEN"), help="a worker token (prefer SPACEPORT_TOKEN: a command line is visible to every local user)")
    parser.add_argument("--slots", type=int, default=1, help="jobs at once")
    parser.add_argument("--name", default=None, help="the name admins see")
    parser.add_argument("--declare", default=None, help="a JSON file: per space, its output kind, options schema and examples")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("no token: set SPACEPORT_TOKEN or pass --token")
    module_name, _, function = args.handler.partition(":")
    if not function:
        parser.error("--handler must be module:function")
    sys.path.insert(0, os.getcwd())
    handler = getattr(importlib.import_module(module_name), function)
    declare = None
    if args.declare:
        with open(args.declare, encoding="utf-8") as f:
            declare = json.load(f)
    serve(args.host, [s for s in args.spaces.split(",") if s], args.token, handler, slots=args.slots, name=args.name,
          log=lambda line: print(line, flush=True), declare=declare)


if __name__ == "__main__":
    main()
