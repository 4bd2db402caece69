# Sends hand-made IPv4 fragments of UDP datagrams through a raw socket: a
# set sent out of order with a duplicate, a set with overlapping pieces, and
# an incomplete set.
import socket
import struct
import sys
import time

src, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def udp(sport, payload):
    header = struct.pack("!HHHH", sport, port, 8 + len(payload), 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, 8 + len(payload))
    csum = checksum(pseudo + header + payload) or 0xFFFF
    return header[:6] + struct.pack("!H", csum) + payload


def fragment(ident, offset, more, data):
    flags = (0x2000 if more else 0) | (offset >> 3)
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(data), ident, flags, 64, 17, 0,
                         socket.inet_aton(src), socket.inet_aton(dst))
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + data


sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
sets = {
    # out of order, with the middle piece twice
    0x1111: [(800, False), (0, True), (400, True), (400, True)],
    # the second piece overlaps the first
    0x2222: [(0, True), (392, True), (800, False)],
    # the last piece never comes
    0x3333: [(0, True), (400, True)],
}
for ident, pieces in sets.items():
    datagram = udp(41000 + (ident & 0xFF), bytes(range(256)) * 4)[:1000]
    for offset, more in pieces:
        end = len(datagram) if not more else offset + 400
        sock.sendto(fragment(ident, offset, more, datagram[offset:end]), (dst, 0))
        time.sleep(0.02)
