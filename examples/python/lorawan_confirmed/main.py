# Confirmed LoRaWAN uplinks, unchanged from what runs on a LoPy4: each send() blocks until
# the network acknowledges it or the retries run out, and a callback reports which.
# The same script runs on a node near the gateway and on one 3 km away, out of range.
from network import LoRa
import socket
import struct
import time
import ubinascii

lora = LoRa(mode=LoRa.LORAWAN, region=LoRa.EU868, tx_retries=2)

def lora_cb(lora):
    events = lora.events()
    if events & LoRa.TX_PACKET_EVENT:
        print('callback: TX_PACKET_EVENT (acknowledged)')
    if events & LoRa.TX_FAILED_EVENT:
        print('callback: TX_FAILED_EVENT (no ack)')

lora.callback(trigger=(LoRa.TX_PACKET_EVENT | LoRa.TX_FAILED_EVENT), handler=lora_cb)

# ABP: a node out of range could never join by OTAA
dev_addr = struct.unpack('>l', lora.mac()[4:])[0]
nwk_swkey = ubinascii.unhexlify('2B7E151628AED2A6ABF7158809CF4F3C')
app_swkey = ubinascii.unhexlify('3C4FCF098815F7ABA6D2AE2816157E2B')
lora.join(activation=LoRa.ABP, auth=(dev_addr, nwk_swkey, app_swkey))

s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
s.setsockopt(socket.SOL_LORA, socket.SO_DR, 5)
s.setsockopt(socket.SOL_LORA, socket.SO_CONFIRMED, True)
s.setblocking(True)
for n in range(2):
    start = time.ticks_ms()
    try:
        s.send(bytes([n, 0x2a]))
        result = 'acknowledged'
    except OSError as e:
        result = 'failed: ' + str(e)
    took_ms = time.ticks_diff(time.ticks_ms(), start)
    time.sleep_ms(100)  # the callback runs on the IRQ thread: let it report first
    print('uplink', n, result, 'after', lora.stats().tx_trials, 'transmissions,', took_ms, 'ms')
    time.sleep(20)
