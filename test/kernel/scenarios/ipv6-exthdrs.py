# Sends UDP over IPv6 with extension headers the kernel adds itself:
# hop-by-hop options, destination options, and both.
import socket
import sys
import time

dst = sys.argv[1]
# Next header (the kernel fills it in), length 0 (8 bytes), a PadN option of 4.
OPTS = bytes([0, 0, 1, 4, 0, 0, 0, 0])

s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
for headers in ([socket.IPV6_HOPOPTS], [socket.IPV6_DSTOPTS], [socket.IPV6_HOPOPTS, socket.IPV6_DSTOPTS], []):
    ancillary = [(socket.IPPROTO_IPV6, h, OPTS) for h in headers]
    s.sendmsg([b"extension headers"], ancillary, 0, (dst, 7001))
    time.sleep(0.05)
