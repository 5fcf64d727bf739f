"""A small HTTP service built on the standard library only.

GET /        -> "hello from python"
GET /health  -> "ok"
GET /private -> "secret area" when called with "Authorization: Bearer $API_TOKEN"

Configuration comes from the environment, twelve-factor style:
PORT (default 8000), DATABASE_URL (optional) and API_TOKEN (optional).
"""

from __future__ import annotations

import hmac
import logging
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

LOG = logging.getLogger("python-app")

PORT = int(os.environ.get("PORT", "8000"))
DATABASE_URL = os.getenv("DATABASE_URL")
API_TOKEN = os.environ.get("API_TOKEN", "")


class Handler(BaseHTTPRequestHandler):
    server_version = "python-app/0.1"

    def _send(self, status: int, body: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/":
            self._send(200, "hello from python\n")
        elif path in ("/health", "/healthz"):
            self._send(200, "ok")
        elif path == "/private":
            supplied = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if API_TOKEN and hmac.compare_digest(supplied, API_TOKEN):
                self._send(200, "secret area\n")
            else:
                self._send(401, "unauthorized\n")
        else:
            self._send(404, "not found\n")

    do_HEAD = do_GET

    def log_message(self, format: str, *args: object) -> None:
        LOG.info("%s %s", self.address_string(), format % args)


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(message)s")
    server = ThreadingHTTPServer(("0.0.0.0", PORT), Handler)
    # Exit cleanly on `docker stop` (SIGTERM), not only on Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    LOG.info(
        "listening on :%d (database %s, api token %s)",
        PORT,
        "configured" if DATABASE_URL else "not configured",
        "set" if API_TOKEN else "not set",
    )
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
