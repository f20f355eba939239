# alarm_ticker.py: a periodic Timer.Alarm whose handler runs on the device's IRQ thread,
# while the main script sleeps.
import machine
import os
import time

ticks = []

def on_alarm(alarm):
    ticks.append(time.ticks_ms())
    if len(ticks) == 5:
        alarm.cancel()

print(os.uname().sysname, 'starts a 10 s alarm')
machine.Timer.Alarm(on_alarm, 10, periodic=True)
time.sleep(60)
print('alarm fired at', ticks, 'ms')
