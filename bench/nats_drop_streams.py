#!/usr/bin/env python3
"""Deletes the JetStream streams whose names start with a prefix.

    bench/nats_drop_streams.py NATS_URL PREFIX

The benchmarks create streams per run (their own subject prefix); left
behind, they grow the server's memory run after run (100 runs: 800 MB) and
its CPU per message with it, so later runs would measure a heavier server.
Speaks the NATS text protocol directly (no client library needed): lists
the streams through `$JS.API.STREAM.NAMES` and deletes each through
`$JS.API.STREAM.DELETE.<name>`.
"""
import json
import socket
import sys
from urllib.parse import urlparse


class Nats:
    def __init__(self, url):
        parsed = urlparse(url)
        self.sock = socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 4222), timeout=10)
        self.buf = b""
        self.line()  # INFO
        self.sock.sendall(b'CONNECT {"verbose":false,"pedantic":false}\r\nSUB _drop.reply 1\r\n')

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise SystemExit("NATS closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def request(self, subject, payload):
        body = json.dumps(payload).encode()
        self.sock.sendall(b"PUB %s _drop.reply %d\r\n%s\r\n" % (subject.encode(), len(body), body))
        while True:
            line = self.line()
            if line.startswith(b"PING"):
                self.sock.sendall(b"PONG\r\n")
            elif line.startswith(b"MSG"):
                size = int(line.split()[-1])
                while len(self.buf) < size + 2:
                    self.buf += self.sock.recv(65536)
                data, self.buf = self.buf[:size], self.buf[size + 2:]
                return json.loads(data)
            elif line.startswith(b"-ERR"):
                raise SystemExit(line.decode())


def main():
    url, prefix = sys.argv[1], sys.argv[2].upper()
    nats = Nats(url)
    names, offset = [], 0
    while True:
        page = nats.request("$JS.API.STREAM.NAMES", {"offset": offset})
        found = page.get("streams") or []
        names += found
        offset += len(found)
        if not found or offset >= page.get("total", 0):
            break
    doomed = [n for n in names if n.startswith(prefix)]
    for name in doomed:
        answer = nats.request(f"$JS.API.STREAM.DELETE.{name}", {})
        if not answer.get("success"):
            raise SystemExit(f"deleting {name}: {answer}")
    print(f"deleted {len(doomed)} stream(s) starting with {prefix}")


if __name__ == "__main__":
    main()
