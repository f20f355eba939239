# main.py: counts its boots in NVS, shows them on the LED, and sleeps a minute between.
# Unchanged from the board: run it with `usocket-emu run --time virtual --until 600 .`
import machine
import pycom
import time

boots = pycom.nvs_get('boots', 0) + 1   # NVS survives deep sleep and resets
pycom.nvs_set('boots', boots)

woke = machine.reset_cause() == machine.DEEPSLEEP_RESET
print('boot', boots, 'woke from deep sleep' if woke else 'power on', 'rtc', time.time())

pycom.rgbled(0x000800 if woke else 0x080000)  # green after a sleep, red after power-on
machine.deepsleep(60 * 1000)                  # never returns: the device boots again
