# UDP datagrams carrying IPv6 extension headers (hop-by-hop and destination
# options, padding only), set on an ordinary socket.
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
PADN = bytes([1, 4, 0, 0, 0, 0])
sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
sock.settimeout(1)
# Next header and length are filled in by the kernel: two zero bytes, then options.
sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_HOPOPTS, bytes([0, 0]) + PADN)
sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, bytes([0, 0]) + PADN)
for i in range(2):
    sock.sendto(f"with options {i}".encode(), (host, port))
    sock.recvfrom(1500)
