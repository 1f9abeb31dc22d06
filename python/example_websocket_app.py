"""The WebSocket Spaces guide's remote app, runnable from a checkout without installing anything:

    python3 python/example_websocket_app.py --host https://your-gateway --spaces MySpace

It is spaceport.remote_app (installed with the package as the `spaceport-remote-app` command).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spaceport.remote_app import WebSocketApp, main  # noqa: E402

__all__ = ["WebSocketApp", "main"]

if __name__ == "__main__":
    main()
