# pong.py: raw LoRa ping-pong, the side that answers. Runs unchanged on a LoPy/LoPy4/FiPy.
# Answers every 'Ping <n>' it hears with 'Pong <n>', forever.
import socket
from network import LoRa

lora = LoRa(mode=LoRa.LORA, region=LoRa.EU868)  # the same channel, SF and IQ as ping
s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)  # blocking: recv waits for a frame

while True:
    frame = s.recv(64)
    if frame.startswith(b'Ping '):
        print('got', frame.decode(), 'rssi', lora.stats().rssi, 'dBm')
        s.send(b'Pong ' + frame[5:])
    else:
        print('ignored', frame)
