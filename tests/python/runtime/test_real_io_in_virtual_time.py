# test_real_io_in_virtual_time.py: devices talking real TCP/UDP to each other in virtual time.
"""While a device thread blocks on real I/O, virtual time runs at the wall clock's pace
instead of stopping: a server device in accept() must not stop its client device, which may
sleep before it connects. (Sleeps here are short: at that pace they take wall time.)"""

import textwrap

from support import free_port
from usocket_emu import World

SERVER = """
    import usocket, time
    from cfg import PORT
    s = usocket.socket()
    s.bind(('127.0.0.1', PORT))
    s.listen(1)
    print('listening', time.ticks_ms())
    c, addr = s.accept()
    print('got', c.recv(64), time.ticks_ms())
    c.send(b'pong')
    c.close()
    s.close()
"""

CLIENT = """
    import usocket, time
    from cfg import PORT
    time.sleep_ms(200)
    s = usocket.socket()
    s.connect(('127.0.0.1', PORT))
    s.send(b'ping')
    print('reply', s.recv(64), time.ticks_ms())
    s.close()
"""


def test_a_server_device_in_accept_does_not_stop_its_client_device():
    cfg = {"cfg.py": f"PORT = {free_port()}\n"}
    with World(time="virtual", seed=1) as world:
        server = world.add_device("server", script=textwrap.dedent(SERVER), files=cfg)
        client = world.add_device("client", script=textwrap.dedent(CLIENT), files=cfg)
        assert world.run(until_s=60) == "idle"
        assert server.output == "listening 0\ngot b'ping' 200\n"
        assert client.output == "reply b'pong' 200\n"
        assert world.now_us == 200_000  # only the sleep's event moved the clock


def test_a_thread_can_serve_the_main_thread_of_its_own_device():
    script = """
        import usocket, _thread, time
        from cfg import PORT
        s = usocket.socket()
        s.bind(('127.0.0.1', PORT))
        s.listen(1)
        def serve():
            c, _ = s.accept()
            c.send(c.recv(16).upper())
            c.close()
        _thread.start_new_thread(serve, ())
        time.sleep_ms(100)
        k = usocket.socket()
        k.connect(('127.0.0.1', PORT))
        k.send(b'echo')
        print(k.recv(16), time.ticks_ms())
        k.close()
        s.close()
    """
    with World(time="virtual", seed=1) as world:
        dev = world.add_device("d", script=textwrap.dedent(script), files={"cfg.py": f"PORT = {free_port()}\n"})
        assert world.run(until_s=60) == "idle"
        assert dev.output == "b'ECHO' 100\n"


def test_until_is_reached_while_a_thread_waits_on_real_io():
    script = """
        import usocket, _thread, time
        u = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
        u.bind(('127.0.0.1', 0))
        _thread.start_new_thread(u.recv, (16,))   # waits for a datagram that never comes
        while True:
            time.sleep_ms(50)
            print(time.ticks_ms())
    """
    with World(time="virtual", seed=1) as world:
        dev = world.add_device("d", script=textwrap.dedent(script))
        assert world.run(until_s=0.2) == "until_reached"
        assert dev.output == "50\n100\n150\n200\n"
        assert world.now_us == 200_000
