# node.py: a raw LoRa sensor node for gateway.py. Runs unchanged on a LoPy/LoPy4/FiPy.
# It sends with inverted IQ (tx_iq=True): only a gateway listening with rx_iq=True hears it,
# never another node. It listens with normal IQ for the gateway's answers, which go to
# every node: each keeps those addressed to it.
import socket
import time
import ubinascii
from network import LoRa

READINGS = 3
PERIOD_MS = 5000
ANSWER_WAIT_MS = 1000

lora = LoRa(mode=LoRa.LORA, region=LoRa.EU868, tx_iq=True, rx_iq=False)
s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
me = ubinascii.hexlify(lora.mac()).decode()[-4:]  # the last two bytes of the LPWAN MAC
time.sleep_ms(int(me, 16) % 5 * 1000)  # nodes start a second apart: no collisions

acks = from_gateway = from_nodes = 0
for n in range(1, READINGS + 1):
    start = time.ticks_ms()
    reading = 't=%d.%dC' % (18 + (n + int(me, 16)) % 5, n * 3 % 10)  # a made-up temperature
    s.send('%s %d %s' % (me, n, reading))
    answer = None
    while answer is None:
        left = ANSWER_WAIT_MS - time.ticks_diff(time.ticks_ms(), start)
        if left <= 0:
            break
        s.settimeout(left / 1000)
        try:
            frame = s.recv(64)
        except socket.timeout:
            break
        if not frame.startswith(b'ack '):
            from_nodes += 1  # another node's reading: never happens, their IQ differs
            continue
        from_gateway += 1
        if frame.split()[1].decode() == me:  # an answer to another node is not for us
            answer = frame.decode()
    if answer is None:
        print(me, 'reading', n, reading, '-> no answer')
    else:
        acks += 1
        print(me, 'reading', n, reading, '->', answer, 'rssi', lora.stats().rssi, 'dBm')
    time.sleep_ms(max(0, PERIOD_MS - time.ticks_diff(time.ticks_ms(), start)))
print(me, 'done:', acks, 'of', READINGS, 'answered; heard', from_gateway, 'gateway answers and',
      from_nodes, 'node readings')
