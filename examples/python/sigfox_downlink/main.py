# A LoPy4 asks the Sigfox backend for its configuration: an uplink with SO_RX set waits
# about 20 s, listens for the 8-byte downlink for up to 25 s, then acknowledges it with an
# out-of-band frame. The second request gets no answer (nothing queued): ENETDOWN.
from network import Sigfox
import socket
import time
import ubinascii

sigfox = Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1)
s = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
s.setblocking(True)
s.setsockopt(socket.SOL_SIGFOX, socket.SO_RX, True)
for attempt in range(2):
    start = time.ticks_ms()
    try:
        s.send(b'cfg?')
        data = s.recv(8)
        print('downlink', ubinascii.hexlify(data).decode(), 'after', time.ticks_diff(time.ticks_ms(), start), 'ms,',
              'RSSI', sigfox.rssi(), 'dBm')
        print('report every', data[0], 'min, threshold', data[1], 'C')
    except OSError as e:
        print('no downlink: errno', e.args[0], 'after', time.ticks_diff(time.ticks_ms(), start), 'ms')
    time.sleep(60)
