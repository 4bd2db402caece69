# Sends hand-made TCP segments through a raw socket (the kernel adds the IP
# header): flag combinations conntrack calls invalid, a lone ACK it picks
# up, a segment with a bad checksum, and a SYN to a closed port.
import socket
import struct
import sys
import time

src, dst = sys.argv[1], sys.argv[2]
open_port, closed_port = int(sys.argv[3]), int(sys.argv[4])

FIN, SYN, RST, PSH, ACK, URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def segment(sport, dport, seq, ack, flags, payload=b"", corrupt=False):
    header = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 64240, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(header) + len(payload))
    csum = checksum(pseudo + header + payload)
    if corrupt:
        csum ^= 0x5555
    return header[:16] + struct.pack("!H", csum) + header[18:] + payload


sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
cases = [
    (40001, open_port, SYN | FIN, False),
    (40002, open_port, SYN | RST, False),
    (40003, closed_port, RST, False),
    (40004, closed_port, 0, False),
    (40005, closed_port, FIN | PSH | URG, False),
    (40006, closed_port, SYN | FIN | RST | PSH | ACK | URG, False),
    (40007, closed_port, ACK, False),
    (40008, closed_port, SYN, True),
    (40009, closed_port, SYN, False),
    (40010, closed_port, ACK | PSH, False),
]
for sport, dport, flags, corrupt in cases:
    payload = b"data" if flags & PSH else b""
    sock.sendto(segment(sport, dport, 1000 + sport, 5000, flags, payload, corrupt), (dst, 0))
    time.sleep(0.05)
