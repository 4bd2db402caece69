# A minimal TFTP exchange: `server PORT` answers each read request from a
# fresh socket with one DATA block and waits for its ACK; `client HOST PORT
# NAME` sends a read request and acknowledges the block.
import socket
import struct
import sys

RRQ, DATA, ACK = 1, 3, 4


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


if sys.argv[1] == "server":
    port, bind = int(sys.argv[2]), sys.argv[3]
    listener = socket.socket(family(bind), socket.SOCK_DGRAM)
    listener.bind((bind, port))
    while True:
        request, peer = listener.recvfrom(1500)
        if struct.unpack("!H", request[:2])[0] != RRQ:
            continue
        transfer = socket.socket(family(bind), socket.SOCK_DGRAM)
        transfer.bind((bind, 0))
        transfer.settimeout(2)
        transfer.sendto(struct.pack("!HH", DATA, 1) + b"tftp payload\n" * 10, peer)
        try:
            transfer.recvfrom(1500)
        except socket.timeout:
            pass
        transfer.close()
else:
    host, port, name = sys.argv[2], int(sys.argv[3]), sys.argv[4]
    sock = socket.socket(family(host), socket.SOCK_DGRAM)
    sock.settimeout(2)
    sock.sendto(struct.pack("!H", RRQ) + name.encode() + b"\0octet\0", (host, port))
    data, server = sock.recvfrom(1500)
    sock.sendto(struct.pack("!HH", ACK, struct.unpack("!H", data[2:4])[0]), server)
