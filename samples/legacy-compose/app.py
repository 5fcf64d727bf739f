"""Legacy compose web service: GET / -> "hello from legacy-compose", GET /health -> "ok"."""

import os
from http.server import BaseHTTPRequestHandler, HTTPServer

PORT = int(os.environ.get("PORT", "8000"))
DATABASE_URL = os.environ.get("DATABASE_URL", "")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/":
            status, body = 200, b"hello from legacy-compose\n"
        elif self.path in ("/health", "/healthz"):
            status, body = 200, b"ok"
        else:
            status, body = 404, b"not found\n"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    print("listening on :%d (database %s)" % (PORT, "configured" if DATABASE_URL else "not configured"))
    HTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
