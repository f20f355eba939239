# A LoPy4 listening for raw LoRa frames (the other side of lopy4_lora_sigfox/main.py).
from network import LoRa
import socket

lora = LoRa(mode=LoRa.LORA, region=LoRa.EU868)
s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
s.setblocking(True)
for _ in range(2):
    print('heard', s.recv(64))
