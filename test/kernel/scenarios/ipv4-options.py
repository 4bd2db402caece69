# Sends UDP datagrams whose IPv4 headers carry options set on the socket:
# record route, a router alert, a loose source route through the receiver,
# and none.
import socket
import sys
import time

dst = sys.argv[1]
hop = socket.inet_aton(dst)
OPTIONS = [
    bytes([7, 7, 4, 0, 0, 0, 0, 0]),
    bytes([148, 4, 0, 0]),
    bytes([131, 7, 4]) + hop + bytes([0]),
    b"",
]

for opts in OPTIONS:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if opts:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, opts)
    s.sendto(b"options", (dst, 7002))
    s.close()
    time.sleep(0.05)
