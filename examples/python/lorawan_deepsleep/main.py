# The LoRaWAN deep-sleep loop of Pycom's examples, unchanged from what runs on a LoPy4:
# every boot restores the session from NVRAM, joins only if there is none, sends one
# reading, saves the session (frame counters included) and sleeps for five minutes.
from network import LoRa
import machine
import socket
import struct
import time
import ubinascii

lora = LoRa(mode=LoRa.LORAWAN, region=LoRa.EU868)
lora.nvram_restore()

woke = machine.reset_cause() == machine.DEEPSLEEP_RESET
if not lora.has_joined():
    app_eui = ubinascii.unhexlify('70B3D57ED0000001')
    app_key = ubinascii.unhexlify('2B7E151628AED2A6ABF7158809CF4F3C')
    lora.join(activation=LoRa.OTAA, auth=(app_eui, app_key), timeout=0)
    while not lora.has_joined():
        time.sleep(2.5)
    print('joined by OTAA, rtc', time.time())
else:
    print('session restored after deep sleep' if woke else 'session restored')

s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
s.setsockopt(socket.SOL_LORA, socket.SO_DR, 5)
s.setblocking(True)
s.send(struct.pack('>H', 1234))
print('uplink fcnt', lora.stats().tx_counter, 'sent, rtc', time.time())

lora.nvram_save()
machine.deepsleep(5 * 60 * 1000)
