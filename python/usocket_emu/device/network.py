"""network (Pycom modnetwork.c, modwlan.c, firmware 1.20.2): WLAN and Server.

The WLAN stands for the host's network. Connecting to any SSID succeeds at once (there is
no radio to scan or associate): the station then has an IP interface, as it would on
SYSTEM_EVENT_STA_GOT_IP, whose addresses are the host loopback's, so what a script reads
from ifconfig() can be bound to. The soft-AP has ESP-IDF's default 192.168.4.1; no station
ever joins it, so isconnected() stays False in AP mode, as on a device nobody joined.

AF_INET sockets need the WLAN NIC registered (modnetwork.c mod_network_find_nic): the
soft-AP registers it when it starts, the station when it gets its IP; deinit() and
disconnect() deregister it. ``dev.stack.ip_interface_up`` follows that registration.

network.LoRa (raw LoRa mode; _lora.py) exists on the LoRa boards, network.Sigfox (_sigfox.py)
on the Sigfox boards; LTE, Bluetooth, ETH, MDNS and Coap are not modelled.
"""

import hashlib
import types

from .._errors import OSError
from ._args import attrtuple, check_int, get_str
from ._lora import build_lora_class
from ._sigfox import build_sigfox_class

# modwlan.c class constants, with ESP-IDF 3.3's values (esp_wifi_types.h, antenna.h)
STA, AP, STA_AP = 1, 2, 3                      # wifi_mode_t
OPEN, WEP, WPA, WPA2, WPA2_ENT = 0, 1, 2, 3, 5  # wifi_auth_mode_t (WPA_PSK, WPA2_PSK, WPA2_ENTERPRISE)
INT_ANT, EXT_ANT, MAN_ANT = 0, 1, 2            # antenna.h ANTENNA_TYPE_*
HT20, HT40 = 1, 2                              # wifi_bandwidth_t
SCAN_ACTIVE, SCAN_PASSIVE = 0, 1               # wifi_scan_type_t
COUNTRY_POL_AUTO, COUNTRY_POL_MAN = 0, 1       # wifi_country_policy_t
SECONDARY_CHN_NONE, SECONDARY_CHN_ABOVE, SECONDARY_CHN_BELOW = 0, 1, 2  # wifi_second_chan_t

#: modwlan.c: MODWLAN_SSID_LEN_MAX, MAX_WIFI_CHANNELS; tcpip_adapter TCPIP_HOSTNAME_MAX_SIZE.
SSID_LEN_MAX = 32
MAX_WIFI_CHANNELS = 14
HOSTNAME_MAX = 32
#: esp32/mpconfigport.h DEFAULT_AP_PASSWORD, DEFAULT_AP_CHANNEL; the boards' mpconfigboard.h
#: DEFAULT_AP_SSID is "<board>-wlan", to which the boot adds "-xxxx" (the STA MAC's last bytes).
DEFAULT_AP_PASSWORD = "www.pycom.io"
DEFAULT_AP_CHANNEL = 6
#: First generation boards select the internal antenna by default (antenna pin 16,
#: MICROPY_FIRST_GEN_ANT_SELECT_PIN_NUM); the others default to MAN_ANT (modwlan.c init).
FIRST_GEN_BOARDS = ("LoPy", "SiPy")
#: ESP-IDF's soft-AP defaults (tcpip_adapter: 192.168.4.1/24, itself as gateway).
AP_IFCONFIG = ("192.168.4.1", "255.255.255.0", "192.168.4.1", "0.0.0.0")
#: The station's DHCP result: the host loopback the emulated IP stack runs on.
STA_IFCONFIG = ("127.0.0.1", "255.0.0.0", "127.0.0.1")
NO_IFCONFIG = ("0.0.0.0",) * 4
#: ESP-IDF 3.3 CONFIG_LWIP_LOCAL_HOSTNAME.
DEFAULT_HOSTNAME = "espressif"
#: The RSSI scan() reports for the emulated network (a model figure: a good link).
SCAN_RSSI = -45

#: serverstask.h: the telnet/FTP servers' default login and timeouts (ms).
SERVERS_DEF_USER, SERVERS_DEF_PASS = "micro", "python"
SERVERS_DEF_TIMEOUT_MS = 300_000
SERVERS_MIN_TIMEOUT_MS = 5_000

# mpexception.c messages
INVALID_ARGS = "invalid argument(s) value"
NOT_POSSIBLE = "the requested operation is not possible"
NOT_AVAILABLE = "resource not available"


ScanInfo = attrtuple("ScanInfo", ("ssid", "bssid", "sec", "channel", "rssi"), "network")
MacInfo = attrtuple("MacInfo", ("sta_mac", "ap_mac"), "network")


def _fixed(value, n):
    """mp_obj_get_array_fixed_n."""
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"object '{type(value).__name__}' is not a tuple or list")
    if len(value) != n:
        raise ValueError("tuple/list has wrong length")
    return value


def _ipv4(value):
    """netutils_parse_ipv4_addr: a dotted quad string."""
    text = get_str(value)
    parts = text.split(".")
    if len(parts) != 4 or not all(p.isdigit() and int(p) < 256 for p in parts):
        raise ValueError("invalid arguments")
    return ".".join(str(int(p)) for p in parts)


def _bssid_of(ssid):
    """A stable BSSID for the emulated access point of ``ssid`` (locally administered)."""
    digest = hashlib.sha256(f"usocket-emu/bssid/{ssid}".encode()).digest()
    return bytes([0x02]) + digest[:5]


def build(dev):
    module = types.ModuleType("network", "Pycom network: WLAN and Server.")
    from . import pycom as pycom_settings

    sta_mac = bytes(dev.config.wifi_mac)
    # ESP-IDF derives the soft-AP MAC from the base (station) MAC: last byte + 1.
    ap_mac = sta_mac[:5] + bytes([(sta_mac[5] + 1) & 0xFF])
    servers = {"running": False, "user": SERVERS_DEF_USER, "password": SERVERS_DEF_PASS,
               "timeout_ms": SERVERS_DEF_TIMEOUT_MS}

    class WLAN:
        """WLAN(id=0, *, mode=WLAN.STA, ssid=None, auth=None, channel=1, antenna=None, ...).

        The one WLAN of the device: WLAN() with no keyword returns it unchanged while it runs."""

        STA, AP, STA_AP = STA, AP, STA_AP
        WEP, WPA, WPA2, WPA2_ENT = WEP, WPA, WPA2, WPA2_ENT
        INT_ANT, EXT_ANT, MAN_ANT = INT_ANT, EXT_ANT, MAN_ANT
        HT20, HT40 = HT20, HT40
        SCAN_PASSIVE, SCAN_ACTIVE = SCAN_PASSIVE, SCAN_ACTIVE
        COUNTRY_POL_AUTO, COUNTRY_POL_MAN = COUNTRY_POL_AUTO, COUNTRY_POL_MAN
        SECONDARY_CHN_ABOVE, SECONDARY_CHN_BELOW, SECONDARY_CHN_NONE = (
            SECONDARY_CHN_ABOVE, SECONDARY_CHN_BELOW, SECONDARY_CHN_NONE)

        def __new__(cls, id=0, **kwargs):  # noqa: A002 - the firmware's argument name
            if kwargs or not wlan._started:
                if check_int(id) != 0:
                    raise OSError(NOT_AVAILABLE)
                wlan.init(**kwargs)
            return wlan

        def __init__(self, *args, **kwargs):
            pass  # __new__ did the work

        def __repr__(self):
            return "<WLAN>"

        # --- state --------------------------------------------------------------------

        def _reset_state(self):
            self._started = False
            self._nic = False            # registered in modnetwork's NIC list
            self._mode = STA
            self._ap_ssid = ""
            self._auth = OPEN
            self._key = ""
            self._channel = 1
            self._antenna = INT_ANT if dev.board in FIRST_GEN_BOARDS else MAN_ANT
            self._bandwidth = HT40
            self._hostname = DEFAULT_HOSTNAME
            self._connected_ssid = None  # the station's AP, while connected
            self._bssid = bytes(6)
            self._static = {0: None, 1: None}  # ifconfig(config=...) per interface
            self._promiscuous = False
            self._known_ssids = []       # what scan() can see: the networks joined this boot

        def _set_nic(self, registered):
            self._nic = bool(registered)
            dev.stack.ip_interface_up = self._nic
            # modnetwork.c network_select_nic: the servers follow the WLAN NIC
            servers["running"] = self._nic

        def _setup_ap(self, ssid, auth, key, channel, add_mac):
            if add_mac:
                ssid = f"{ssid}-{sta_mac[4]:02x}{sta_mac[5]:02x}"
            self._ap_ssid = ssid
            self._auth = auth
            self._key = key or ""
            self._channel = channel
            self._set_nic(True)

        def _sta_connect(self, ssid, auth, key, bssid=None):
            self._connected_ssid = ssid
            self._auth = auth if auth is not None else (OPEN if not key else WPA2)
            if key:
                self._key = key
            self._bssid = bytes(bssid[:6]).ljust(6, b"\0") if bssid else _bssid_of(ssid)
            if ssid not in self._known_ssids:
                self._known_ssids.append(ssid)
            self._set_nic(True)
            dev.log("wlan_connect", ssid=ssid)

        def boot_setup(self):
            """What the firmware's boot (mptask_config_wifi) does with the settings."""
            mode = pycom_settings.setting(dev, "wifi_mode_on_boot")
            if mode not in (STA, AP, STA_AP):
                return
            self._mode = mode
            self._started = True
            if mode in (AP, STA_AP):
                ssid = pycom_settings.setting(dev, "wifi_ssid_ap")
                pwd = pycom_settings.setting(dev, "wifi_pwd_ap")
                add_mac = ssid is None
                self._setup_ap(ssid if ssid is not None else f"{dev.board.lower()}-wlan",
                               WPA2, pwd if pwd is not None else DEFAULT_AP_PASSWORD, DEFAULT_AP_CHANNEL, add_mac)
            if mode in (STA, STA_AP):
                ssid = pycom_settings.setting(dev, "wifi_ssid_sta")
                if ssid is not None:
                    pwd = pycom_settings.setting(dev, "wifi_pwd_sta")
                    self._sta_connect(ssid, WPA2 if pwd else OPEN, pwd)

        # --- the firmware's methods -------------------------------------------------------

        def init(self, *, mode=STA, ssid=None, auth=None, channel=1, antenna=_NOT_GIVEN,
                 power_save=False, hidden=False, bandwidth=HT40, max_tx_pwr=0, country=None):
            """init(*, mode, ssid, auth, channel, antenna, power_save, hidden, bandwidth, ...)."""
            mode = check_int(mode)
            if not STA <= mode <= STA_AP:
                raise ValueError(INVALID_ARGS)
            if ssid is not None:
                ssid = get_str(ssid)
                if len(ssid.encode()) > SSID_LEN_MAX:
                    raise ValueError(INVALID_ARGS)
            sec, key = OPEN, None
            if auth is not None:
                sec, key = _fixed(auth, 2)
                sec, key = check_int(sec), get_str(key)
                if not 8 <= len(key.encode()) <= 32:
                    raise ValueError("invalid key length")
            channel = check_int(channel)
            if not 1 <= channel <= MAX_WIFI_CHANNELS:
                raise ValueError(INVALID_ARGS)
            if antenna is _NOT_GIVEN:
                antenna = INT_ANT if dev.board in FIRST_GEN_BOARDS else MAN_ANT
            elif antenna is None:
                antenna = MAN_ANT
            else:
                antenna = check_int(antenna)
                if not INT_ANT <= antenna <= MAN_ANT:
                    raise ValueError(INVALID_ARGS)
            if mode != STA:
                if ssid is None:
                    raise ValueError("AP SSID not given")
                if sec == WPA2_ENT:
                    raise ValueError("WPA2_ENT not supported in AP mode")
            bandwidth = check_int(bandwidth)
            if not HT20 <= bandwidth <= HT40:
                raise ValueError(INVALID_ARGS)
            check_int(max_tx_pwr)
            if country is not None and not isinstance(country, tuple):
                raise TypeError("invalid argument(s) num/type")
            self._mode = mode
            self._antenna = antenna
            self._bandwidth = bandwidth
            self._started = True
            if mode == AP:
                self._connected_ssid = None  # the station stops
            if mode in (AP, STA_AP):
                self._setup_ap(ssid, sec, key, channel, add_mac=False)
            if mode in (STA, STA_AP) and ssid is not None:
                self._sta_connect(ssid, sec, key)
            dev.log("wlan_init", mode=mode)

        def deinit(self):
            """Stops the Wi-Fi: AF_INET sockets then have no network card."""
            if self._started:
                self._started = False
                self._connected_ssid = None
                self._set_nic(False)
                dev.log("wlan_deinit")

        def connect(self, ssid, auth=None, *, bssid=None, timeout=None, ca_certs=None, keyfile=None,
                    certfile=None, identity=None, hostname=None, channel=None):
            """connect(ssid, auth=None, *, bssid, timeout, ca_certs, keyfile, certfile, identity,
            hostname, channel): joins the emulated network at once."""
            if self._mode == AP:
                raise OSError(NOT_POSSIBLE)
            ssid = get_str(ssid)
            if len(ssid.encode()) > SSID_LEN_MAX:
                raise ValueError(INVALID_ARGS)
            sec, key, user = None, None, None
            if auth is not None:
                if not isinstance(auth, (tuple, list)):
                    raise TypeError(f"object '{type(auth).__name__}' is not a tuple or list")
                if len(auth) == 1:
                    sec = check_int(auth[0])
                    if sec != WPA2_ENT:
                        raise ValueError("invalid authentication tuple")
                elif len(auth) == 2:
                    if auth[0] is not None:
                        sec = check_int(auth[0])
                        if sec == WPA2_ENT:
                            raise ValueError("invalid authentication tuple")
                    key = get_str(auth[1])
                elif len(auth) == 3:
                    sec = check_int(auth[0])
                    if sec != WPA2_ENT:
                        raise ValueError("invalid authentication tuple")
                    user = None if auth[1] is None else get_str(auth[1])
                    key = None if auth[2] is None else get_str(auth[2])
                else:
                    raise ValueError("invalid authentication tuple")
            if bssid is not None:
                bssid = bytes(bssid, "utf-8") if isinstance(bssid, str) else bytes(bssid)
            if timeout is not None:
                check_int(timeout)
            for path in (ca_certs, keyfile, certfile, identity):
                if path is not None:
                    get_str(path)
            if hostname is not None:
                hostname = get_str(hostname)
                if not 0 < len(hostname.encode()) <= HOSTNAME_MAX:
                    raise ValueError(INVALID_ARGS)
            if sec == WPA2_ENT:
                if ((keyfile is None or certfile is None) and user is None) or (
                        keyfile is not None and certfile is not None and user is not None):
                    raise ValueError("invalid WAP2_ENT credentials")
                if identity is None:
                    raise ValueError("indentiy required for WPA2_ENT authentication")
            if channel is not None:
                check_int(channel)
            if hostname is not None:
                self._hostname = hostname
            self._sta_connect(ssid, sec, key, bssid)

        def disconnect(self):
            if self._mode == AP:
                raise OSError(NOT_POSSIBLE)
            if self._connected_ssid is not None:
                self._connected_ssid = None
                self._set_nic(False)  # WIFI_REASON_ASSOC_LEAVE deregisters the NIC
                dev.log("wlan_disconnect")

        def isconnected(self):
            """True while the station has its IP (no station ever joins the soft-AP)."""
            return self._started and self._connected_ssid is not None

        def ifconfig(self, id=0, config=None):  # noqa: A002
            """ifconfig(id=0, config=None): id 0 the station, 1 the soft-AP; config a 4-tuple
            (static) or 'dhcp'."""
            interface = check_int(id)
            if interface > 1:
                raise OSError(NOT_AVAILABLE)
            interface = 1 if interface == 1 else 0
            if config is None:
                static = self._static[interface]
                if static is not None:
                    return static
                if interface == 1:
                    return AP_IFCONFIG if self._started and self._mode in (AP, STA_AP) else NO_IFCONFIG
                if self.isconnected():
                    return STA_IFCONFIG + (dev.stack.dns_servers()[0],)
                return NO_IFCONFIG
            if isinstance(config, tuple):
                self._static[interface] = tuple(_ipv4(v) for v in _fixed(config, 4))
                return None
            if get_str(config) not in ("dhcp", "auto"):
                raise ValueError(INVALID_ARGS)
            self._static[interface] = None
            return None

        def mode(self, mode=None):
            if mode is None:
                return self._mode
            mode = check_int(mode)
            if not STA <= mode <= STA_AP:
                raise ValueError(INVALID_ARGS)
            self._mode = mode
            if mode == AP:
                self._connected_ssid = None
            return None

        def bandwidth(self, bandwidth=None):
            if bandwidth is None:
                return self._bandwidth
            bandwidth = check_int(bandwidth)
            if not HT20 <= bandwidth <= HT40:
                raise ValueError(INVALID_ARGS)
            self._bandwidth = bandwidth
            return True

        def ssid(self, ssid=None):
            """ssid(): the joined network (STA), the AP's name (AP), both (STA_AP); ssid(s)
            renames the soft-AP."""
            if ssid is None:
                ap_up = self._started and self._mode in (AP, STA_AP)
                if self._mode == STA:
                    return self._connected_ssid
                if self._mode == AP:
                    return self._ap_ssid if ap_up else None
                return (self._connected_ssid, self._ap_ssid if ap_up else None)
            ssid = get_str(ssid)
            if len(ssid.encode()) > SSID_LEN_MAX:
                raise ValueError(INVALID_ARGS)
            self._ap_ssid = ssid
            return None

        def bssid(self):
            return self._bssid

        def auth(self, auth=_NOT_GIVEN):
            if auth is _NOT_GIVEN:
                return None if self._auth == OPEN else (self._auth, self._key)
            if auth is None:
                self._auth, self._key = OPEN, ""
            else:
                sec, key = _fixed(auth, 2)
                self._auth, self._key = check_int(sec), get_str(key)
            return None

        def hostname(self, hostname=None):
            if hostname is None:
                return self._hostname
            hostname = get_str(hostname)
            if not 0 < len(hostname.encode()) <= HOSTNAME_MAX:
                raise ValueError(INVALID_ARGS)
            self._hostname = hostname
            return True

        def channel(self, channel=None, sec_channel=None):
            if channel is None:
                return self._channel
            if self._mode == STA and not self._promiscuous:
                raise OSError("Wifi is not in promiscuous mode!")
            channel = check_int(channel)
            if not 1 <= channel <= MAX_WIFI_CHANNELS:
                raise ValueError(INVALID_ARGS)
            if self._mode == AP:
                self._channel = channel
            return None

        def antenna(self, antenna=None):
            if antenna is None:
                return self._antenna
            antenna = check_int(antenna)
            if not INT_ANT <= antenna <= MAN_ANT:
                raise ValueError(INVALID_ARGS)
            self._antenna = antenna
            return None

        def mac(self, *args):
            """mac() -> (sta_mac, ap_mac); mac(bytearray, WLAN.STA or WLAN.AP) sets one."""
            nonlocal sta_mac, ap_mac
            if not args:
                return MacInfo((sta_mac, ap_mac))
            if len(args) != 2:
                raise TypeError("invalid argument(s) num/type")
            value, interface = args
            interface = check_int(interface)
            if interface not in (STA, AP):
                raise OSError(NOT_POSSIBLE)
            if not isinstance(value, bytearray):
                raise TypeError("invalid argument(s) num/type")
            if len(value) != 6:
                raise ValueError(INVALID_ARGS)
            if bytes(value) == (ap_mac if interface == STA else sta_mac):
                raise ValueError("Station and AP cannot have the same Mac address!")
            if value[0] & 1:
                raise ValueError("Bit 0 of First Byte in Mac addr cannot be 1")
            if interface == STA:
                sta_mac = bytes(value)
            else:
                ap_mac = bytes(value)
            return None

        def promiscuous(self, enable=None):
            if enable is None:
                return self._promiscuous
            self._promiscuous = bool(enable)
            return None

        def scan(self, *, ssid=None, bssid=None, channel=None, show_hidden=None, type=None,  # noqa: A002
                 scantime=None):
            """The networks in range: the ones this device joined this boot, or the one its
            boot settings name (pycom.wifi_ssid_sta); none otherwise."""
            if bssid is not None and not isinstance(bssid, bytes):
                raise ValueError("invalid bssid")
            if self._mode == AP:
                raise OSError(NOT_POSSIBLE)
            if not self._started:
                raise OSError("Scan operation Failed!")
            names = list(self._known_ssids)
            boot_ssid = pycom_settings.setting(dev, "wifi_ssid_sta")
            if boot_ssid is not None and boot_ssid not in names:
                names.append(boot_ssid)
            found = []
            for name in names:
                if ssid is not None and get_str(ssid) != name:
                    continue
                sec = self._auth if name == self._connected_ssid else WPA2
                found.append(ScanInfo((name, _bssid_of(name), sec, DEFAULT_AP_CHANNEL, SCAN_RSSI)))
            return found

    for name, function in list(vars(WLAN).items()):
        if callable(function) and not name.startswith("__"):
            function.__module__ = "network"
    WLAN.__module__ = "network"

    wlan = object.__new__(WLAN)
    wlan._reset_state()
    if dev.stack.ip_interface_up:
        # The Device brought the IP interface up from pycom.wifi_on_boot(): the boot's
        # Wi-Fi configuration is what the firmware's mptask did with the settings.
        wlan.boot_setup()
        dev.stack.ip_interface_up = wlan._nic
        servers["running"] = wlan._nic

    class Server:
        """Server(id=0, *, login=('micro', 'python'), timeout=300): the telnet and FTP
        servers' state (no server listens in the emulator)."""

        def __new__(cls, id=None, *, login=None, timeout=None):  # noqa: A002
            if id is not None and check_int(id) != 0:
                raise OSError(NOT_AVAILABLE)
            server.init(login=login, timeout=timeout)
            return server

        def __init__(self, *args, **kwargs):
            pass

        def init(self, *, login=None, timeout=None):
            user, password = SERVERS_DEF_USER, SERVERS_DEF_PASS
            if login is not None:
                user, password = (get_str(v) for v in _fixed(login, 2))
            timeout_s = SERVERS_DEF_TIMEOUT_MS // 1000 if timeout is None else check_int(timeout)
            _set_timeout(timeout_s)
            servers.update(user=user, password=password, running=True)

        def deinit(self):
            servers["running"] = False

        def isrunning(self):
            return servers["running"]

        def timeout(self, timeout=None):
            """timeout([seconds]): the servers' inactivity timeout."""
            if timeout is None:
                return servers["timeout_ms"] // 1000
            _set_timeout(check_int(timeout))
            return None

    def _set_timeout(timeout_s):
        if timeout_s * 1000 < SERVERS_MIN_TIMEOUT_MS:
            raise ValueError(INVALID_ARGS)
        servers["timeout_ms"] = timeout_s * 1000

    for name, function in list(vars(Server).items()):
        if callable(function) and not name.startswith("__"):
            function.__module__ = "network"
    Server.__module__ = "network"
    server = object.__new__(Server)

    module.WLAN = WLAN
    module.Server = Server
    module._wlan = wlan  # for pycom.wifi_on_boot(on, True)
    if "AF_LORA" in dev.board_profile:
        module.LoRa = build_lora_class(dev)
    if "AF_SIGFOX" in dev.board_profile:  # SiPy, LoPy4, FiPy
        module.Sigfox = build_sigfox_class(dev)
    return module


class _NotGiven:
    __slots__ = ()

    def __repr__(self):
        return "<not given>"


_NOT_GIVEN = _NotGiven()
