# An HTTP GET from a fixed local port, which may still be in TIME_WAIT.
# Usage: fixed-port-get.py SERVER PORT LOCAL_PORT
import socket
import sys

server, port, local_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.settimeout(5)
s.bind(("", local_port))
s.connect((server, port))
s.sendall(b"GET / HTTP/1.0\r\nHost: server\r\n\r\n")
while s.recv(65536):
    pass
s.close()
