# Sends datagrams of protocols conntrack tracks without ports or with its
# own trackers: GRE (version 0), UDP-Lite, and an unassigned protocol (253).
import socket
import struct
import sys
import time

dst = sys.argv[1]

gre = socket.socket(socket.AF_INET, socket.SOCK_RAW, 47)
for _ in range(2):
    # No flags, version 0, carrying IPv4; then a few bytes of "inner" packet.
    gre.sendto(struct.pack("!HH", 0, 0x0800) + b"\x45" + b"\0" * 19, (dst, 0))
    time.sleep(0.05)

lite = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, 136)
for _ in range(2):
    lite.sendto(b"udp-lite datagram", (dst, 7000))
    time.sleep(0.05)

other = socket.socket(socket.AF_INET, socket.SOCK_RAW, 253)
other.sendto(b"experimental protocol payload", (dst, 0))
