# Sends, on the link, to groups the peer has joined and to groups it has not:
# IPv4 all-hosts, another link-local group and the limited broadcast; IPv6
# all-nodes, the solicited-node group of the peer's address (given), another
# group, a router solicitation to all-routers, and an MLD report to the
# MLDv2 routers (joining a group sends one).
import socket
import struct
import sys
import time

iface, solicited = sys.argv[1], sys.argv[2]
index = socket.if_nametoindex(iface)

v4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
v4.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
v4.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
for group in ["224.0.0.1", "224.0.0.5", "255.255.255.255"]:
    v4.sendto(b"to " + group.encode(), (group, 9))
    time.sleep(0.05)

v6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
for group in ["ff02::1", solicited, "ff02::1234"]:
    v6.sendto(b"to " + group.encode(), (group, 9, 0, index))
    time.sleep(0.05)

icmp6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
icmp6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
# Type 133, code 0, checksum filled in by the kernel, reserved.
icmp6.sendto(struct.pack("!BBHI", 133, 0, 0, 0), ("ff02::2", 0, 0, index))
time.sleep(0.05)

listener = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, socket.inet_pton(socket.AF_INET6, "ff02::4242") + struct.pack("@I", index))
time.sleep(0.3)
