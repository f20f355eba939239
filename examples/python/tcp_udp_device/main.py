# A Pycom device script, unchanged from what runs on a LoPy4: it greets a TCP echo
# server, reads the answer as a stream, pings a UDP echo server, and shows the device's
# own answers where CPython would behave differently.
import usocket

import server_config  # the device project's config: where the servers are

addr = usocket.getaddrinfo(server_config.HOST, server_config.TCP_PORT)[0][-1]
print("getaddrinfo ->", addr)

s = usocket.socket()
s.connect(addr)
s.send("hello from the device\n")  # a str is a buffer on MicroPython
print("TCP echo:", s.readline())

s.setblocking(False)
print("non-blocking recv with nothing there:", s.recv(64))  # b'', not an exception

f = s.makefile("rb")
print("makefile() is the socket itself:", f is s)
s.close()
try:
    s.send(b"late")
except OSError as e:
    print("send after close:", e)  # [Errno 9] EBADF

u = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
u.settimeout(2)
for i in range(3):
    u.sendto(b"ping %d" % i, (server_config.HOST, server_config.UDP_PORT))
    data, peer = u.recvfrom(64)
    print("UDP", data, "from", peer)

u.setblocking(False)
try:
    u.recvfrom(64)
except OSError as e:
    print("non-blocking recvfrom with nothing there:", e)  # [Errno 11] EAGAIN
u.close()

try:
    usocket.socket().connect(("localhost", server_config.TCP_PORT))
except ValueError as e:
    print("host names are not addresses on the device:", e)
