# A class C LoRaWAN actuator, unchanged from what runs on a LoPy4: it joins, announces
# itself with one uplink, and then only listens (class C: RX2 all the time). A command
# the network sends later arrives at once, with no uplink to open a receive window.
from network import LoRa
import socket
import time
import ubinascii

lora = LoRa(mode=LoRa.LORAWAN, region=LoRa.EU868, device_class=LoRa.CLASS_C)
app_eui = ubinascii.unhexlify('70B3D57ED0000001')
app_key = ubinascii.unhexlify('2B7E151628AED2A6ABF7158809CF4F3C')

lora.join(activation=LoRa.OTAA, auth=(app_eui, app_key), timeout=0)
while not lora.has_joined():
    time.sleep(1)
print('joined at', time.ticks_ms() // 1000, 's')

s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
s.setsockopt(socket.SOL_LORA, socket.SO_DR, 5)
s.setblocking(True)
s.send(b'\x01')                      # "actuator up", the only uplink
print('hello sent at', time.ticks_ms() // 1000, 's')

s.settimeout(60)
while True:
    try:
        data, port = s.recvfrom(64)  # class C: a downlink can come at any time
    except socket.timeout:
        continue                     # a quiet minute: keep listening
    print('command on port', port, ubinascii.hexlify(data).decode(), 'at',
          time.ticks_ms() // 1000, 's, RSSI', lora.stats().rssi)
    if data == b'\x00':
        print('valve closed, done')
        break
    print('valve open', data[0], '%')
