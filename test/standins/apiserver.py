#!/usr/bin/env python3
"""STAND-IN for kube-apiserver, for the lab only: the real one cannot run here (no images can be pulled).

Answers GET /healthz with "ok" over TLS on the API port, and names the host that answered in the
X-Standin-Host header, so tests can see which master the balancer reached. Nothing else of the API exists.
Usage: apiserver.py PORT CERT KEY
"""
import http.server
import socket
import ssl
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok" if self.path.startswith(("/healthz", "/livez", "/readyz")) else b"stand-in: not implemented"
        self.send_response(200 if body == b"ok" else 404)
        self.send_header("Content-Type", "text/plain")
        self.send_header("X-Standin-Host", socket.gethostname())
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    server = http.server.ThreadingHTTPServer(("0.0.0.0", port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
