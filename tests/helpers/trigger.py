#!/usr/bin/env python3
"""Produces exact, repeatable TCP socket lifecycles for the end-to-end tests.

  trigger.py connect HOST PORT [--name NAME] [--count N] [--reset | --send BYTES]
      connect, send "hello\\n", read the "ok" reply and close first (N times),
      as a process whose kernel comm is NAME (set with prctl(PR_SET_NAME);
      NAME may hold any bytes, given as a Python string literal, e.g.
      'a"b\\\\c\\n\\x01'). --reset: close with SO_LINGER 0, which sends RST.
      --send BYTES: send that many bytes instead, half-close, read to EOF.
      --timeout S: give up connecting after S seconds (default 5).
      --pause S: wait S seconds between connecting and sending.
      --wait-for PATH: then wait until PATH exists (a test's go signal).
  trigger.py serve HOST PORT [--name NAME] [--fork [--worker-name NAME]]
      accept connections one at a time, forever; answer each chunk that ends
      in a newline with "ok\\n"; close once the peer has closed. Prints
      "ready" once listening. --fork: listen, then leave accepting to a
      forked worker (as pre-forking servers do) and print "worker PID";
      --worker-name: the worker's comm.
  trigger.py hold HOST PORT --count N --wait-for PATH
      listen on PORT, open N connections to it and accept them all, so that
      2N + 1 sockets are open at once; print "held", wait until PATH exists,
      then close each orderly (the client first) and the listener.
  trigger.py listeners HOST PORT --count N
      listen on N ports (PORT 0: ports the kernel picks) and print "ports
      P1,P2,...", connect once to each, accept each after all have
      connected, close each orderly (the client first) and the listeners.
  trigger.py scan HOST PORT --count N
      connect once to each of ports PORT..PORT+N-1, as a port scan does;
      print "refused R", the number of them that refused.
"""
import argparse
import ast
import ctypes
import errno
import os
import socket
import struct
import sys
import time

PR_SET_NAME = 15


def set_comm(name: bytes) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NAME, ctypes.c_char_p(name[:15]), 0, 0, 0) != 0:
        sys.exit(f"prctl(PR_SET_NAME) failed: errno {ctypes.get_errno()}")


def family_of(host: str) -> int:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def connect(host: str, port: int, count: int, reset: bool, send: int, timeout: float,
            pause: float, wait_for: str | None) -> None:
    for _ in range(count):
        with socket.socket(family_of(host), socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            try:
                s.connect((host, port))
            except OSError as e:
                print(f"connect: {e}", file=sys.stderr)
                sys.exit(1)
            time.sleep(pause)
            while wait_for is not None and not os.path.exists(wait_for):
                time.sleep(0.05)
            if send:
                s.sendall(bytes(send))
                s.shutdown(socket.SHUT_WR)
                while s.recv(65536):
                    pass
                continue
            s.sendall(b"hello\n")
            s.recv(64)
            if reset:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def serve(host: str, port: int, fork: bool, worker_name: bytes | None) -> None:
    with socket.socket(family_of(host), socket.SOCK_STREAM) as srv:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((host, port))
        srv.listen(64)
        print("ready", flush=True)
        if fork:
            worker = os.fork()
            if worker:
                print(f"worker {worker}", flush=True)
                os.waitpid(worker, 0)
                return
            if worker_name is not None:
                set_comm(worker_name)
        while True:
            conn, _ = srv.accept()
            with conn:
                conn.settimeout(30)
                try:
                    while True:
                        data = conn.recv(65536)
                        if not data:
                            break
                        if data.endswith(b"\n"):
                            conn.sendall(b"ok\n")
                except OSError:
                    pass


def close_pairs(pairs: list[tuple[socket.socket, socket.socket]]) -> None:
    for client, server in pairs:
        client.close()
        server.recv(1)  # the client's FIN
        server.close()


def hold(host: str, port: int, count: int, wait_for: str) -> None:
    with socket.socket(family_of(host), socket.SOCK_STREAM) as srv:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((host, port))
        srv.listen(count)
        pairs = []
        for _ in range(count):
            client = socket.create_connection((host, port))
            server, _ = srv.accept()
            pairs.append((client, server))
        print("held", flush=True)
        while not os.path.exists(wait_for):
            time.sleep(0.05)
        close_pairs(pairs)


def listeners(host: str, port: int, count: int) -> None:
    ls = []
    for i in range(count):
        s = socket.socket(family_of(host), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port + i if port else 0))
        s.listen(1)
        ls.append(s)
    ports = [s.getsockname()[1] for s in ls]
    print("ports " + ",".join(map(str, ports)), flush=True)
    clients = [socket.create_connection((host, p)) for p in ports]
    close_pairs([(c, l.accept()[0]) for c, l in zip(clients, ls)])
    for s in ls:
        s.close()


def scan(host: str, port: int, count: int) -> None:
    refused = 0
    for p in range(port, port + count):
        with socket.socket(family_of(host), socket.SOCK_STREAM) as s:
            s.settimeout(2)
            if s.connect_ex((host, p)) == errno.ECONNREFUSED:
                refused += 1
    print(f"refused {refused}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["connect", "serve", "hold", "listeners", "scan"])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--name", help="comm to run as, a Python string literal")
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--reset", action="store_true")
    ap.add_argument("--send", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=5)
    ap.add_argument("--pause", type=float, default=0)
    ap.add_argument("--wait-for")
    ap.add_argument("--fork", action="store_true")
    ap.add_argument("--worker-name", help="the forked worker's comm, a Python string literal")
    a = ap.parse_args()
    if a.name is not None:
        set_comm(ast.literal_eval(a.name).encode("latin-1"))
    if a.mode == "hold":
        hold(a.host, a.port, a.count, a.wait_for)
    elif a.mode == "listeners":
        listeners(a.host, a.port, a.count)
    elif a.mode == "scan":
        scan(a.host, a.port, a.count)
    elif a.mode == "connect":
        connect(a.host, a.port, a.count, a.reset, a.send, a.timeout, a.pause, a.wait_for)
    else:
        worker_name = None
        if a.worker_name is not None:
            worker_name = ast.literal_eval(a.worker_name).encode("latin-1")
        serve(a.host, a.port, a.fork, worker_name)


if __name__ == "__main__":
    main()
