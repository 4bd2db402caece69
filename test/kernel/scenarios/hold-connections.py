# Opens count TCP connections to host:port and holds them open together for
# a moment, then makes one request on each and closes it. Pauses keep each
# step in a jiffy of its own, where the kernel's connection counting looks
# again at the connections it counted.
import socket
import sys
import time

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
conns = []
for _ in range(count):
    conns.append(socket.create_connection((host, port), timeout=5))
    time.sleep(0.05)
time.sleep(0.3)
for conn in conns:
    time.sleep(0.05)
    conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
    while conn.recv(65536):
        pass
    conn.close()
