# Answers every datagram with the same bytes, from the port it arrived on.
import socket
import sys

port = int(sys.argv[1])
dual_stack = sys.argv[2] == "6"
sock = socket.socket(socket.AF_INET6 if dual_stack else socket.AF_INET, socket.SOCK_DGRAM)
if dual_stack:
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
sock.bind(("::" if dual_stack else "0.0.0.0", port))
while True:
    data, peer = sock.recvfrom(65535)
    sock.sendto(data, peer)
