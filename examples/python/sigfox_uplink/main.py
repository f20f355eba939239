# A SiPy that reports a reading by Sigfox every 10 minutes, unchanged from the board:
# RCZ1 (Europe), 12-byte payloads, blocking sends that take as long as the three
# transmissions on the air, and a bit frame as a keep-alive.
from network import Sigfox
import socket
import struct
import time
import ubinascii

sigfox = Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1)
print('Sigfox ID', ubinascii.hexlify(sigfox.id()).decode(), 'uplink', sigfox.frequencies()[0], 'Hz')

s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
s.setblocking(True)
s.setsockopt(socket.SOL_SIGFOX, socket.SO_RX, False)
for n in range(3):
    start = time.ticks_ms()
    s.send(struct.pack('>HhHHHH', n, 2150 + 25 * n, 1013, 45, 0, 0))
    print('message', n, 'sent in', time.ticks_diff(time.ticks_ms(), start), 'ms')
    time.sleep(600)
try:
    s.send(bytes(13))
except OSError as e:
    print('13 bytes:', e)
s.setsockopt(socket.SOL_SIGFOX, socket.SO_BIT, True)
start = time.ticks_ms()
s.send(b'')  # an empty payload is a bit frame: the shortest Sigfox message
print('keep-alive bit sent in', time.ticks_diff(time.ticks_ms(), start), 'ms')
