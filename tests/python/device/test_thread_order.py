"""Virtual time runs device threads one at a time, in the order they were woken, so the
output of a script whose callback and main thread wake at the same instant is the same on
every run (the world's "one ready thread at a time" rule, world.cpp)."""

from lora_support import run_one

# The LoRa task ends the transmission: it raises TX_PACKET_EVENT (the IRQ thread runs the
# callback) and releases the blocking send in the same instant. Both then print.
BODY = """
lora = LoRa(mode=LoRa.LORA, region=LoRa.EU868)
def on_tx(l):
    print('callback', l.events(), time.ticks_ms())
lora.callback(LoRa.TX_PACKET_EVENT, on_tx)
s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
for i in range(5):
    s.send(b'ping %d' % i)
    print('sent', i, time.ticks_ms())
    time.sleep(1)
"""


def test_callback_and_blocking_send_interleave_the_same_way_every_run():
    outputs = [run_one(BODY, until_s=20)[0].output for _ in range(8)]
    assert len(set(outputs)) == 1, outputs
    lines = outputs[0].splitlines()
    assert len(lines) == 10
    # The radio wakes the sender first, then posts the callback to the IRQ thread
    # (lora_radio.cpp raise_event_locked): the sender prints first, every time.
    assert [line.split()[0] for line in lines] == ["sent", "callback"] * 5
    # Both at the same emulated millisecond: the end of the frame.
    for cb, sent in zip(lines[0::2], lines[1::2]):
        assert cb.split()[-1] == sent.split()[-1]
