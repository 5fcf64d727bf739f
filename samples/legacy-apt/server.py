"""Legacy sample service: GET / -> "hello from legacy-apt", GET /health -> "ok"."""

import os
import ssl
from http.server import BaseHTTPRequestHandler, HTTPServer

PORT = int(os.environ.get("PORT", "8000"))


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/":
            status, body = 200, b"hello from legacy-apt\n"
        elif self.path in ("/health", "/healthz"):
            status, body = 200, b"ok"
        elif self.path == "/tls":
            # Why the image installs ca-certificates and openssl.
            paths = ssl.get_default_verify_paths()
            status, body = 200, ("%s %s\n" % (ssl.OPENSSL_VERSION, paths.openssl_cafile)).encode()
        else:
            status, body = 404, b"not found\n"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    print("listening on :%d" % PORT)
    HTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
