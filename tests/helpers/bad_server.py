#!/usr/bin/python3
"""A misbehaving server for mailcast's bad-input tests.

  bad_server.py --port P --mode silent|garbage|longline|close|tls

silent    accepts and never says a word (as an implicit-TLS port does to a
          plain client, or a black hole)
garbage   answers like an HTTP server
longline  sends a 10 MB line without a line end
close     closes the connection at once
Serves connections one after another until killed; each connection is
handled in its own thread and closed after 30 s at the latest.
"""
import argparse
import socket
import threading
import time


def serve(conn, mode):
    try:
        if mode == 'garbage':
            conn.sendall(b'HTTP/1.1 400 Bad Request\r\nServer: x\r\n\r\n')
            time.sleep(2)
        elif mode == 'longline':
            chunk = b'A' * 65536
            for _ in range(160):
                conn.sendall(chunk)
            time.sleep(2)
        elif mode == 'silent':
            conn.settimeout(30)
            try:
                while conn.recv(4096):
                    pass
            except OSError:
                pass
    except OSError:
        pass
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--mode', required=True,
                    choices=['silent', 'garbage', 'longline', 'close'])
    a = ap.parse_args()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', a.port))
    s.listen(16)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn, a.mode),
                         daemon=True).start()


if __name__ == '__main__':
    main()
