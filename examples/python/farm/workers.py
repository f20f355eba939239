# workers.py: two _thread workers sharing a lock; sleeps are emulator waits, so in virtual
# time the run takes no wall time and always interleaves the same way.
import _thread
import time

lock = _thread.allocate_lock()
log = []

def worker(name, period_s, count):
    for i in range(count):
        time.sleep(period_s)
        with lock:
            log.append((time.ticks_ms() // 1000, name, i))

_thread.start_new_thread(worker, ('fast', 3, 4))
_thread.start_new_thread(worker, ('slow', 5, 2))
time.sleep(20)
for entry in log:
    print(entry)
