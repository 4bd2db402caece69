# Sends one datagram from a fresh socket and, if asked, prints the answer;
# exits 1 when an expected answer does not come.
import socket
import sys

host, port, payload, wait_seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
sock.sendto(payload.encode(), (host, port))
if wait_seconds > 0:
    sock.settimeout(wait_seconds)
    try:
        data, _ = sock.recvfrom(65535)
    except socket.timeout:
        sys.exit(f"no answer from {host}:{port} within {wait_seconds} s")
    sys.stdout.write(data.decode(errors="replace"))
