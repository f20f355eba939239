# A LoRaWAN node activated by personalisation (ABP), unchanged from what runs on a LoPy4:
# no join exchange, it is on the network as soon as join() returns, and sends three
# readings on FPort 3.
from network import LoRa
import socket
import struct
import time
import ubinascii

lora = LoRa(mode=LoRa.LORAWAN, region=LoRa.EU868)

# the session keys, as Pycom's abp_node.py gives them
dev_addr = struct.unpack('>l', ubinascii.unhexlify('26011B2C'))[0]
nwk_swkey = ubinascii.unhexlify('2B7E151628AED2A6ABF7158809CF4F3C')
app_swkey = ubinascii.unhexlify('3C4FCF098815F7ABA6D2AE2816157E2B')

lora.join(activation=LoRa.ABP, auth=(dev_addr, nwk_swkey, app_swkey))
print('joined:', lora.has_joined(), 'DevAddr', hex(dev_addr & 0xFFFFFFFF))

s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
s.setsockopt(socket.SOL_LORA, socket.SO_DR, 5)
s.bind(3)
s.setblocking(True)
for n in range(3):
    payload = struct.pack('>BH', n, 400 + 25 * n)
    s.send(payload)
    st = lora.stats()
    print('uplink', n, ubinascii.hexlify(payload).decode(), 'fcnt', st.tx_counter,
          'on', st.tx_frequency, 'Hz,', st.tx_time_on_air, 'ms on air')
    time.sleep(30)
print('done at', time.ticks_ms() // 1000, 's')
