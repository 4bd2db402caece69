# An FTP session: anonymous login, a directory listing and a download, in
# passive (PASV or EPSV) or active (PORT or EPRT) mode; or (abandon) a PASV
# whose data connection never comes.
import ftplib
import sys

host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ftp = ftplib.FTP()
ftp.connect(host, port, timeout=5)
ftp.login()
ftp.set_pasv(mode in ("pasv", "epsv", "abandon"))
if mode == "epsv":
    # ftplib sends EPSV and EPRT itself only to IPv6 servers.
    ftp.makepasv = lambda: ftplib.parse229(ftp.sendcmd("EPSV"), ftp.sock.getpeername())
if mode == "eprt":
    ftp.makeport = lambda: eprt(ftp)


def eprt(ftp):
    import socket
    sock = socket.create_server((ftp.sock.getsockname()[0], 0), family=ftp.sock.family, backlog=1)
    addr, sport = sock.getsockname()[:2]
    proto = 2 if sock.family == socket.AF_INET6 else 1
    ftp.voidcmd(f"EPRT |{proto}|{addr}|{sport}|")
    sock.settimeout(5)
    return sock


if mode == "abandon":
    # A passive data connection announced and never opened.
    ftp.sendcmd("PASV")
else:
    ftp.retrlines("LIST", lambda line: None)
    ftp.retrbinary("RETR hello.txt", lambda data: None)
ftp.quit()
