# SCTP over raw sockets, for kernels without the sctp module: `serve` answers
# as an SCTP endpoint on port 9999 would (INIT_ACK, COOKIE_ACK, SACK,
# HEARTBEAT_ACK, SHUTDOWN_ACK); `drive DST` plays associations and broken
# packets against it.
import socket
import struct
import sys
import time

IPPROTO_SCTP = 132
PORT = 9999

DATA, INIT, INIT_ACK, SACK, HEARTBEAT, HEARTBEAT_ACK, ABORT, SHUTDOWN, SHUTDOWN_ACK = 0, 1, 2, 3, 4, 5, 6, 7, 8
COOKIE_ECHO, COOKIE_ACK, SHUTDOWN_COMPLETE = 10, 11, 14

CRC_TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    CRC_TABLE.append(c)


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return ~crc & 0xFFFFFFFF


def chunk(kind, value=b"", flags=0):
    body = struct.pack("!BBH", kind, flags, 4 + len(value)) + value
    return body + b"\0" * (-len(body) % 4)


def packet(sport, dport, vtag, chunks, good_crc=True):
    head = struct.pack("!HHI", sport, dport, vtag)
    crc = crc32c(head + b"\0\0\0\0" + chunks)
    if not good_crc:
        crc ^= 1
    return head + struct.pack("<I", crc) + chunks


def init_value(tag):
    return struct.pack("!IIHHI", tag, 65536, 10, 10, tag)


def server_tag(port):
    return 0x51000000 + port


def serve():
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_SCTP)
    peers = {}
    while True:
        raw, (src, _) = sock.recvfrom(65535)
        sh = raw[(raw[0] & 15) * 4:]
        sport, dport, vtag = struct.unpack("!HHI", sh[:8])
        if dport != PORT or len(sh) < 16:
            continue
        kind = sh[12]
        if kind == INIT:
            peers[sport] = struct.unpack("!I", sh[16:20])[0]
            cookie = struct.pack("!HH", 7, 12) + b"cookie\0\0"
            answer = chunk(INIT_ACK, init_value(server_tag(sport)) + cookie)
        elif kind == COOKIE_ECHO:
            answer = chunk(COOKIE_ACK)
        elif kind == DATA:
            answer = chunk(SACK, struct.pack("!IIHH", struct.unpack("!I", sh[16:20])[0], 65536, 0, 0))
        elif kind == HEARTBEAT:
            answer = chunk(HEARTBEAT_ACK, sh[16:16 + struct.unpack("!H", sh[14:16])[0] - 4])
            peers.setdefault(sport, vtag)
        elif kind == SHUTDOWN:
            answer = chunk(SHUTDOWN_ACK)
        else:
            continue
        sock.sendto(packet(PORT, sport, peers.get(sport, 0), answer), (src, 0))


def drive(dst):
    # Held open so that this side answers nothing with ICMP.
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_SCTP)

    def send(sport, vtag, chunks, good_crc=True, dport=PORT):
        sock.sendto(packet(sport, dport, vtag, chunks, good_crc), (dst, 0))
        time.sleep(0.1)

    def associate(sport):
        send(sport, 0, chunk(INIT, init_value(0xC0000000 + sport)))
        send(sport, server_tag(sport), chunk(COOKIE_ECHO, b"cookie\0\0"))
        send(sport, server_tag(sport), chunk(DATA, struct.pack("!IHHI", 0xC0000000 + sport, 0, 0, 0) + b"hello", flags=3))

    # Established, with a heartbeat and a packet carrying the wrong tag.
    associate(40001)
    send(40001, server_tag(40001), chunk(HEARTBEAT, struct.pack("!HH", 1, 12) + b"beat\0\0\0\0"))
    send(40001, 0x12345678, chunk(DATA, struct.pack("!IHHI", 1, 0, 1, 0) + b"forged", flags=3))
    # Shut down: SHUTDOWN, SHUTDOWN_ACK, SHUTDOWN_COMPLETE.
    associate(40002)
    send(40002, server_tag(40002), chunk(SHUTDOWN, struct.pack("!I", 0)))
    send(40002, server_tag(40002), chunk(SHUTDOWN_COMPLETE))
    # An INIT nobody answers, sent again.
    send(40003, 0, chunk(INIT, init_value(0xC0040003)), dport=PORT - 1)
    send(40003, 0, chunk(INIT, init_value(0xC0040003)), dport=PORT - 1)
    # Nothing can start with DATA, a COOKIE_ACK or a tagged INIT.
    send(40004, 0x1234, chunk(DATA, struct.pack("!IHHI", 1, 0, 0, 0) + b"x", flags=3))
    send(40005, 0x1234, chunk(COOKIE_ACK))
    send(40006, 0x1234, chunk(INIT, init_value(0xC0000006)))
    # A bad CRC-32C.
    send(40007, 0, chunk(INIT, init_value(0xC0000007)), good_crc=False)
    # Aborted after the handshake.
    associate(40008)
    send(40008, server_tag(40008), chunk(ABORT))
    # A heartbeat first: a secondary path's entry, established by its answer.
    send(40009, 0xABCDEF01, chunk(HEARTBEAT, struct.pack("!HH", 1, 8) + b"path"))
    # INIT bundled with another chunk is refused.
    send(40010, 0, chunk(INIT, init_value(0xC000000A)) + chunk(DATA, struct.pack("!IHHI", 1, 0, 0, 0), flags=3))
    time.sleep(0.3)


if sys.argv[1] == "serve":
    serve()
else:
    drive(sys.argv[2])
