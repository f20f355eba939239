# boot.py: runs first at every boot, deep-sleep wake-ups included.
import pycom

pycom.heartbeat(False)  # the LED is ours: rgbled() raises while the heartbeat runs
