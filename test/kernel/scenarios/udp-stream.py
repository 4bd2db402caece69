# One UDP socket sending count datagrams interval seconds apart and reading
# each answer: a flow the kernel comes to treat as a stream.
import socket
import sys
import time

host, port, count, interval = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(1)
for i in range(count):
    sock.sendto(f"stream {i}".encode(), (host, port))
    sock.recvfrom(65535)
    time.sleep(interval)
