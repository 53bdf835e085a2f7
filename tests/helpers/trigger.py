#!/usr/bin/env python3
"""Produces exact, repeatable TCP socket lifecycles for the end-to-end tests.

  trigger.py connect HOST PORT [--name NAME] [--count N]
      connect, send a line, read the reply, close (N times), as a process
      whose kernel comm is NAME (set with prctl(PR_SET_NAME); NAME may hold
      any bytes, given as a Python string literal, e.g. 'a"b\\\\c\\n\\x01').
  trigger.py serve HOST PORT [--name NAME]
      accept connections forever; answer each line with "ok" and close.
      Prints "ready" once listening.
"""
import argparse
import ast
import ctypes
import socket
import sys

PR_SET_NAME = 15


def set_comm(name: bytes) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NAME, ctypes.c_char_p(name[:15]), 0, 0, 0) != 0:
        sys.exit(f"prctl(PR_SET_NAME) failed: errno {ctypes.get_errno()}")


def family_of(host: str) -> int:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def connect(host: str, port: int, count: int) -> None:
    for _ in range(count):
        with socket.socket(family_of(host), socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect((host, port))
            s.sendall(b"hello\n")
            s.recv(64)


def serve(host: str, port: int) -> None:
    with socket.socket(family_of(host), socket.SOCK_STREAM) as srv:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((host, port))
        srv.listen(64)
        print("ready", flush=True)
        while True:
            conn, _ = srv.accept()
            with conn:
                conn.settimeout(5)
                try:
                    conn.recv(64)
                    conn.sendall(b"ok\n")
                except OSError:
                    pass


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["connect", "serve"])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--name", help="comm to run as, a Python string literal")
    ap.add_argument("--count", type=int, default=1)
    a = ap.parse_args()
    if a.name is not None:
        set_comm(ast.literal_eval(a.name).encode("latin-1"))
    if a.mode == "connect":
        connect(a.host, a.port, a.count)
    else:
        serve(a.host, a.port)


if __name__ == "__main__":
    main()
