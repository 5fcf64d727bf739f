"""A stand-in for a database server: accepts TCP connections on $PORT (default 5432).

Each connection is greeted with one line, "fake-postgres ready user=<POSTGRES_USER>", then closed.
It never prints or sends POSTGRES_PASSWORD; the compose file is what leaks it.
"""

import os
import socketserver

PORT = int(os.environ.get("PORT", "5432"))
USER = os.environ.get("POSTGRES_USER", "postgres")


class Greeter(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(f"fake-postgres ready user={USER}\n".encode())


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    print(f"fake-postgres listening on :{PORT}", flush=True)
    with Server(("0.0.0.0", PORT), Greeter) as server:
        server.serve_forever()
