# A LoPy4 uses its one SX1276 radio for raw LoRa and Sigfox in turn: whichever was
# initialised last owns the chip, so the script re-initialises LoRa after each Sigfox send.
from network import LoRa, Sigfox
import socket
import time

lora = LoRa(mode=LoRa.LORA, region=LoRa.EU868)
ls = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
ls.setblocking(True)
for n in range(2):
    ls.send('lora %d' % n)
    print('LoRa frame', n, 'sent')

    sigfox = Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1)  # takes the radio
    ss = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
    ss.setblocking(True)
    start = time.ticks_ms()
    ss.send(bytes([n, 0xAA]))
    print('Sigfox message', n, 'sent in', time.ticks_diff(time.ticks_ms(), start), 'ms')
    ss.close()

    lora.init(mode=LoRa.LORA, region=LoRa.EU868)  # LoRa gets the radio back
    time.sleep(30)
print('done')
