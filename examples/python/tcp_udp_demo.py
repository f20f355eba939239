"""Demo: run an unchanged Pycom device script against TCP and UDP echo servers.

The servers are ordinary host code (CPython's socket) on 127.0.0.1; the device script in
tcp_udp_device/main.py imports ``usocket`` and gets the emulated device's module.
"""

import pathlib
import runpy
import socket
import sys
import threading
import types

from usocket_emu import usocket


def tcp_echo_server(listener):
    conn, _ = listener.accept()
    with conn:
        while data := conn.recv(1024):
            conn.sendall(data)


def udp_echo_server(sock, count):
    for _ in range(count):
        data, peer = sock.recvfrom(1024)
        sock.sendto(data.upper(), peer)


def main():
    tcp = socket.create_server(("127.0.0.1", 0))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    servers = [
        threading.Thread(target=tcp_echo_server, args=(tcp,), daemon=True),
        threading.Thread(target=udp_echo_server, args=(udp, 3), daemon=True),
    ]
    for t in servers:
        t.start()

    config = types.ModuleType("server_config")
    config.HOST = "127.0.0.1"
    config.TCP_PORT = tcp.getsockname()[1]
    config.UDP_PORT = udp.getsockname()[1]
    # The device runtime (next release) gives every device its own module namespace;
    # until then the device's modules are put in place here.
    sys.modules["usocket"] = usocket
    sys.modules["server_config"] = config

    script = pathlib.Path(__file__).with_name("tcp_udp_device") / "main.py"
    print(f"--- running {script.relative_to(pathlib.Path.cwd()) if script.is_relative_to(pathlib.Path.cwd()) else script} on an emulated LoPy4")
    runpy.run_path(str(script), run_name="__main__")
    for t in servers:
        t.join(timeout=5)
    tcp.close()
    udp.close()
    print("--- done")


if __name__ == "__main__":
    main()
