"""``python -m services.api [--host H] [--port P]``: the gateway under uvicorn (one worker)."""

from __future__ import annotations

import argparse
import sys

import uvicorn

from shared.settings import entry_point_settings
from services.api.app import create_app
from services.api.settings import ApiSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.api", description=__doc__.splitlines()[0])
    parser.add_argument("--host", help="address to listen on (default: MUSICREC_API_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: MUSICREC_API_PORT, 8000)")
    args = parser.parse_args(argv)
    settings = entry_point_settings(ApiSettings, "musicrec api")
    uvicorn.run(
        create_app(settings),
        host=args.host or settings.api_host,
        port=args.port or settings.api_port,
        loop="uvloop",
        http="httptools",
        access_log=False,  # the app writes its own access line, with the request id
        log_config=None,
        server_header=False,
        proxy_headers=False,  # nothing reads the client address; the job URLs are relative
        timeout_graceful_shutdown=10,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
