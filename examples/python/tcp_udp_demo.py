"""Demo: run an unchanged Pycom device script against TCP and UDP echo servers.

The servers are ordinary host code (CPython's socket) on 127.0.0.1. The device folder
tcp_udp_device/ is the LoPy4's /flash; the demo adds a generated server_config.py to it, and
the script's ``import usocket`` gets the emulated device's own module.
"""

import pathlib
import socket
import sys
import threading

from usocket_emu import World


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
    config = (f"HOST = '127.0.0.1'\nTCP_PORT = {tcp.getsockname()[1]}\n"
              f"UDP_PORT = {udp.getsockname()[1]}\n")

    folder = pathlib.Path(__file__).with_name("tcp_udp_device")
    print(f"--- running {folder.name}/main.py on an emulated LoPy4 (real time)")
    with World(time="real", output=sys.stdout) as world:
        device = world.add_device("lopy4", folder, files={"server_config.py": config})
        world.run()
        failed = device.died
    for t in servers:
        t.join(timeout=5)
    tcp.close()
    udp.close()
    print("--- done" if not failed else "--- the device script failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
