# ping.py: raw LoRa ping-pong, the side that asks. Runs unchanged on a LoPy/LoPy4/FiPy.
# Sends 'Ping <n>' five times and waits up to a second for 'Pong <n>' each time.
# Run: usocket-emu run examples/python/lora_pingpong/ping.py examples/python/lora_pingpong/pong.py
import socket
import time
from network import LoRa

ROUNDS = 5

lora = LoRa(mode=LoRa.LORA, region=LoRa.EU868)  # 868 MHz, SF7, 125 kHz, 14 dBm
s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
s.settimeout(1)  # recv gives up after a second; send still waits for the frame to go out

answered = 0
for n in range(1, ROUNDS + 1):
    time.sleep_ms(100)  # a pause between rounds (the first one lets pong boot)
    ping = 'Ping %d' % n
    start = time.ticks_ms()
    s.send(ping)
    try:
        answer = s.recv(64)
    except socket.timeout:
        print(ping, '-> no answer')
        continue
    rtt = time.ticks_diff(time.ticks_ms(), start)
    print(ping, '->', answer.decode(), 'rssi', lora.stats().rssi, 'dBm', 'after', rtt, 'ms')
    if answer.decode() == 'Pong %d' % n:
        answered += 1
print('%d of %d pings answered' % (answered, ROUNDS))
