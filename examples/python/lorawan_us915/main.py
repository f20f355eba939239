# A LoRaWAN node in the US915 region, unchanged from what runs on a LoPy4: it joins by
# OTAA at the region's default join DR and sends four readings at the socket's default DR
# (US915: DR4, SF8 on a 500 kHz channel), showing the channel each went out on.
from network import LoRa
import socket
import time
import ubinascii

lora = LoRa(mode=LoRa.LORAWAN, region=LoRa.US915)
app_eui = ubinascii.unhexlify('70B3D57ED0000915')
app_key = ubinascii.unhexlify('2B7E151628AED2A6ABF7158809CF4F3C')

lora.join(activation=LoRa.OTAA, auth=(app_eui, app_key), timeout=0)
while not lora.has_joined():
    time.sleep(2.5)
    print('not joined yet')
print('joined')

s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)   # no SO_DR: the region's default
s.setblocking(True)
for n in range(4):
    s.send(bytes([n]) + b'us915')
    st = lora.stats()
    print('uplink', st.tx_counter, 'DR', st.sftx, 'on', st.tx_frequency, 'Hz,', st.tx_time_on_air, 'ms')
    time.sleep(60)
