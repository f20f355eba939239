# gateway.py: a raw LoRa "nano-gateway" in the Pycom style. Runs unchanged on a LoPy/LoPy4/FiPy.
# It listens with inverted IQ (rx_iq=True), so it hears the nodes (tx_iq=True), and answers
# with normal IQ (tx_iq=False), which is what the nodes listen for (rx_iq=False).
import socket
from network import LoRa

lora = LoRa(mode=LoRa.LORA, region=LoRa.EU868, rx_iq=True, tx_iq=False)
s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)  # blocking: recv waits for a frame
print('gateway listening on', lora.frequency(), 'Hz, SF', lora.sf())

heard = 0
while True:
    frame = s.recv(64)
    heard += 1
    stats = lora.stats()
    try:
        node, n, reading = frame.decode().split()
    except ValueError:
        print('frame', heard, 'not a reading:', frame)
        continue
    print('frame', heard, 'from node', node, '#' + n, reading, 'rssi', stats.rssi, 'dBm snr', stats.snr)
    s.send('ack %s %s' % (node, n))
