#!/usr/bin/python3
"""mailbox_cut_proxy.py LISTEN_PORT TARGET_PORT WORD N — a TCP proxy on
127.0.0.1 that forwards one connection at a time to 127.0.0.1:TARGET_PORT
and cuts it (closes both sides) as soon as the client sends its Nth command
containing WORD ("UID FETCH", "RETR"): a connection dropped mid-fetch.
Later connections are forwarded whole.  Runs until killed."""
import socket
import sys
import threading

lport, tport, word, n = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode(), int(sys.argv[4])
cut_done = False

def pump(src, dst, count):
    global cut_done
    seen = 0
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if count and not cut_done:
                seen += data.count(word)
                if seen >= n:
                    cut_done = True
                    break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()

ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", lport))
ls.listen(5)
while True:
    c, _ = ls.accept()
    t = socket.create_connection(("127.0.0.1", tport))
    threading.Thread(target=pump, args=(c, t, True), daemon=True).start()
    threading.Thread(target=pump, args=(t, c, False), daemon=True).start()
