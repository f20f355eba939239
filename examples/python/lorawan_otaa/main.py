# A LoRaWAN sensor, unchanged from what runs on a LoPy4: joins by OTAA, sends a reading
# every `interval_s`, and acts on downlinks: port 10 sets the interval (one byte, seconds).
from network import LoRa
import socket
import struct
import time
import ubinascii

lora = LoRa(mode=LoRa.LORAWAN, region=LoRa.EU868)
app_eui = ubinascii.unhexlify('70B3D57ED0000001')
app_key = ubinascii.unhexlify('2B7E151628AED2A6ABF7158809CF4F3C')

print('DevEUI', ubinascii.hexlify(lora.mac()).decode())
lora.join(activation=LoRa.OTAA, auth=(app_eui, app_key), timeout=0)
while not lora.has_joined():
    time.sleep(2.5)
    print('not joined yet')
print('joined')

s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
s.setsockopt(socket.SOL_LORA, socket.SO_DR, 5)
interval_s = 60
temperature = 21.0
for n in range(8):
    temperature += 0.25
    s.setblocking(True)
    s.send(struct.pack('>Bh', n, int(temperature * 100)))
    s.setblocking(False)
    data, port = s.recvfrom(64)
    if data:
        print('downlink on port', port, ubinascii.hexlify(data).decode())
        if port == 10 and len(data) == 1:
            interval_s = data[0]
            print('new interval', interval_s, 's')
    print('reading', n, 'sent:', temperature, 'C, RSSI', lora.stats().rssi)
    time.sleep(interval_s)
