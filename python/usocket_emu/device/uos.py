"""uos / os (Pycom moduos.c, firmware 1.20.2; MicroPython 1.11 extmod/vfs.c over Pycom's
LittleFS /flash, esp32/littlefs/vfs_littlefs.c).

The VFS root holds one mount, /flash, which is the device's flash folder on the host.
Errors are the device's: OSError(n) with newlib numbers. Paths outside any mount raise
ENODEV and operations on the root itself EPERM (vfs.c mp_vfs_proxy_call); inside /flash the
LittleFS errors map as vfs_littlefs.c littleFsErrorToErrno does. A path is resolved against
the device's cwd and normalised; whatever it resolves to on the host must stay inside the
flash folder (a symlink pointing out of it is ENOENT).

Not modelled: mount/umount/mkfat (no SD card or block device to mount), fsformat (it would
wipe the flash folder), file timestamps (stat times are 0), ENOSPC on a full /flash.
"""

import builtins
import codecs
import os
import types
import weakref

from .._errors import OSError
from ._args import attrtuple, check_at_most, check_int, read_buffer

# newlib sys/errno.h numbers (firmware 1.20 uses newlib's, spec §1.1)
EPERM, ENOENT, EIO, EBADF, EEXIST, ENODEV, ENOTDIR, EISDIR, EINVAL, ENOSPC, ENOTEMPTY = (
    1, 2, 5, 9, 17, 19, 20, 21, 22, 28, 90)
_HOST_ERRNO = {
    "ENOENT": ENOENT, "EEXIST": EEXIST, "EISDIR": EISDIR, "ENOTDIR": ENOTDIR,
    "ENOTEMPTY": ENOTEMPTY, "EACCES": 13, "ENOSPC": ENOSPC, "EINVAL": EINVAL, "EBADF": EBADF,
}

#: MicroPython py/mpconfig.h MP_S_IFDIR / MP_S_IFREG.
S_IFDIR, S_IFREG = 0x4000, 0x8000
FLASH = "/flash"

#: pycom_version.h SW_VERSION_NUMBER of the 1.20.2.r6 release, LORAWAN_VERSION_NUMBER,
#: SIGFOX_VERSION_NUMBER; MICROPY_HW_MCU_NAME (esp32/mpconfigport.h).
RELEASE = "1.20.2.r6"
LORAWAN_VERSION = "1.0.2"
SIGFOX_VERSION = "1.0.1"
MCU_NAME = "ESP32"
#: MICROPY_GIT_TAG " on " MICROPY_BUILD_DATE: the build's git tag and date (Oct 2021 for
#: v1.20.2.r6); the exact describe string of Pycom's build is not known, so a model value.
VERSION = "v1.20.2.r6 on 2021-10-28"

#: LittleFS geometry (esp32/mpconfigport.h MICROPY_PORT_SFLASH_BLOCK_COUNT_4MB/_8MB, blocks
#: of SPI_FLASH_SEC_SIZE 4096): LoPy and SiPy have 4 MB of flash, the others 8 MB.
BLOCK_SIZE = 4096
BLOCKS_4MB, BLOCKS_8MB = 127, 1024
FOUR_MB_BOARDS = ("LoPy", "SiPy")
#: littlefs LFS_NAME_MAX; esp32 MICROPY_ALLOC_PATH_MAX (statvfs('/') f_namemax).
LFS_NAME_MAX = 255
ALLOC_PATH_MAX = 128


def uname_for(board, lora, sigfox):
    """The uname() attrtuple of a board (moduos.c field order)."""
    fields = ["sysname", "nodename", "release", "version", "machine"]
    values = [board, board, RELEASE, VERSION, f"{board} with {MCU_NAME}"]
    if lora:
        fields.append("lorawan")
        values.append(LORAWAN_VERSION)
    if sigfox:
        fields.append("sigfox")
        values.append(SIGFOX_VERSION)
    return attrtuple("uname_result", fields, "uos")(values)


def _path_str(path):
    """mp_obj_str_get_str; bytes give bytes results where the firmware does."""
    if isinstance(path, str):
        return path, False
    if isinstance(path, (bytes, bytearray)):
        return bytes(path).decode("utf-8", "surrogateescape"), True
    raise TypeError(f"can't convert '{type(path).__name__}' object to str implicitly")


def _device_error(exc):
    """A host OSError as the device's OSError(n)."""
    import errno as host_errno
    name = host_errno.errorcode.get(exc.errno or 0, "")
    return OSError(_HOST_ERRNO.get(name, EIO))


class _File:
    """A /flash file (vfs_littlefs file.c): read, readinto, readline, readlines, write,
    flush, seek, tell, close, with, iteration."""

    _text = False

    def __init__(self, fd, readable, writable, append):
        self._fd = fd
        self._readable = readable
        self._writable = writable
        self._append = append
        self._finalizer = weakref.finalize(self, os.close, fd)  # a dropped file is closed

    def __repr__(self):
        return f"<io.{type(self).__name__} {id(self):x}>"

    # --- the stream --------------------------------------------------------------------

    def _check(self, readable=False, writable=False):
        if not self._finalizer.alive:
            raise OSError(EBADF)
        if (readable and not self._readable) or (writable and not self._writable):
            raise OSError(EBADF)  # LFS_ERR_BADF: the file was not opened for that

    def _read_bytes(self, size):
        self._check(readable=True)
        if size is None or size < 0:
            chunks = []
            while True:
                chunk = os.read(self._fd, 65536)
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
        return os.read(self._fd, size)

    def _read_chars(self, count):
        """read(n) of a text file reads n characters (MicroPython's stream reads whole
        UTF-8 sequences)."""
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        out = []
        got = 0
        while got < count:
            chunk = self._read_bytes(count - got)
            if not chunk:
                break
            text = decoder.decode(chunk)
            while True:
                more = decoder.getstate()[0]
                if not more:
                    break
                extra = self._read_bytes(1)
                if not extra:
                    break
                text += decoder.decode(extra)
            out.append(text)
            got += len(text)
        out.append(decoder.decode(b"", final=True))
        return "".join(out)

    def _result(self, data):
        return data.decode("utf-8", "replace") if self._text else data

    def read(self, size=-1):
        size = -1 if size is None else check_int(size)
        if self._text and size >= 0:
            return self._read_chars(size)
        return self._result(self._read_bytes(size))

    def readinto(self, buf, nbytes=None):
        view = memoryview(buf).cast("B")
        n = len(view) if nbytes is None else min(check_int(nbytes), len(view))
        data = self._read_bytes(n)
        view[:len(data)] = data
        return len(data)

    def readline(self, size=-1):
        size = -1 if size is None else check_int(size)
        line = bytearray()
        while size < 0 or len(line) < size:
            ch = self._read_bytes(1)
            if not ch:
                break
            line += ch
            if ch == b"\n":
                break
        return self._result(bytes(line))

    def readlines(self):
        lines = []
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)

    def write(self, data):
        self._check(writable=True)
        payload = read_buffer(data)
        if self._append:
            os.lseek(self._fd, 0, os.SEEK_END)  # LFS_O_APPEND: every write goes to the end
        written = 0
        while written < len(payload):
            written += os.write(self._fd, payload[written:])
        return written

    def flush(self):
        self._check()

    def seek(self, offset, whence=0):
        self._check()
        offset, whence = check_int(offset), check_int(whence)
        if whence not in (0, 1, 2):
            raise OSError(EINVAL)
        try:
            return os.lseek(self._fd, offset, whence)
        except builtins.OSError as exc:
            raise _device_error(exc) from None

    def tell(self):
        self._check()
        return os.lseek(self._fd, 0, os.SEEK_CUR)

    def close(self):
        self._finalizer()  # closing twice is fine, as on the device

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line


class FileIO(_File):
    """A file opened in binary mode."""


class TextIOWrapper(_File):
    """A file opened in text mode (reads give str; no newline translation)."""

    _text = True


for _cls in (_File, FileIO, TextIOWrapper):
    _cls.__module__ = "io"
    for _name, _function in list(vars(_cls).items()):
        if callable(_function) and not _name.startswith("__"):
            _function.__module__ = "io"


def build(dev):
    module = types.ModuleType("uos", "Pycom uos: the VFS (/flash), urandom and uname.")
    flash_real = os.path.realpath(dev.flash_dir)
    lora = "AF_LORA" in dev.board_profile
    sigfox = "AF_SIGFOX" in dev.board_profile
    uname_result = uname_for(dev.board, lora, sigfox)
    block_count = BLOCKS_4MB if dev.board in FOUR_MB_BOARDS else BLOCKS_8MB
    term = [None]

    def locate(path):
        """(device path, host path or None for the root); ENODEV outside the mounts."""
        text, _ = _path_str(path)
        device = dev.resolve_path(text)
        if device == "/":
            return device, None
        host = dev.host_path(device)
        if host is None:
            raise OSError(ENODEV)  # vfs.c: mount point not found
        real = os.path.realpath(host)
        if real != flash_real and not real.startswith(flash_real + os.sep):
            raise OSError(ENOENT)  # never out of the flash folder
        return device, host

    def mounted(path):
        """The host path of ``path`` inside /flash; EPERM on the root itself."""
        _, host = locate(path)
        if host is None:
            raise OSError(EPERM)  # vfs.c: can't do operation on root dir
        return host

    def entries(host):
        if not os.path.exists(host):
            raise OSError(ENOENT)
        if not os.path.isdir(host):
            raise OSError(ENOTDIR)
        return sorted(os.listdir(host))

    def ilistdir(path=""):
        """ilistdir([dir]): (name, type, inode, size) per entry."""
        is_bytes = _path_str(path)[1]
        device, host = locate(path)

        def name_of(n):
            return n.encode("utf-8", "surrogateescape") if is_bytes else n
        if host is None:
            return iter([(name_of(FLASH[1:]), S_IFDIR, 0)])
        result = []
        for name in entries(host):
            full = os.path.join(host, name)
            if os.path.islink(full):
                continue  # not something the device's LittleFS can hold
            if os.path.isdir(full):
                result.append((name_of(name), S_IFDIR, 0, 0))
            else:
                result.append((name_of(name), S_IFREG, 0, os.path.getsize(full)))
        return iter(result)

    def listdir(path=""):
        return [entry[0] for entry in ilistdir(path)]

    def mkdir(path):
        host = mounted(path)
        if os.path.lexists(host):
            raise OSError(EEXIST)
        try:
            os.mkdir(host)
        except builtins.OSError as exc:
            raise _device_error(exc) from None

    def remove(path):
        """remove(path) / unlink / rmdir: lfs_remove, which takes files and empty folders."""
        host = mounted(path)
        if not os.path.lexists(host):
            raise OSError(ENOENT)
        if os.path.isdir(host):
            if os.listdir(host):
                raise OSError(ENOTEMPTY)
            os.rmdir(host)
        else:
            os.remove(host)

    def rmdir(path):
        remove(path)

    def unlink(path):
        remove(path)

    def rename(old, new):
        old_device, old_host = locate(old)
        new_device, new_host = locate(new)
        if old_host is None or new_host is None:
            raise OSError(EPERM)
        if not os.path.lexists(old_host):
            raise OSError(ENOENT)
        if os.path.lexists(new_host) and old_host != new_host:
            if os.path.isdir(new_host):
                if not os.path.isdir(old_host):
                    raise OSError(EISDIR)
                if os.listdir(new_host):
                    raise OSError(ENOTEMPTY)
            elif os.path.isdir(old_host):
                raise OSError(ENOTDIR)
        if os.path.isdir(old_host) and (new_device + "/").startswith(old_device + "/") and new_device != old_device:
            raise OSError(EINVAL)  # into itself
        try:
            os.replace(old_host, new_host)
        except builtins.OSError as exc:
            raise _device_error(exc) from None

    def stat(path):
        """stat(path): (mode, ino, dev, nlink, uid, gid, size, atime, mtime, ctime)."""
        _, host = locate(path)
        if host is None:
            return (S_IFDIR, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        if not os.path.lexists(host):
            raise OSError(ENOENT)
        if os.path.isdir(host):
            return (S_IFDIR, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        return (S_IFREG, 0, 0, 0, 0, 0, os.path.getsize(host), 0, 0, 0)

    def _blocks_used():
        used = 2  # the root's metadata pair
        for root, dirs, files in os.walk(dev.flash_dir):
            used += 2 * len(dirs)
            for name in files:
                size = os.path.getsize(os.path.join(root, name))
                used += max(1, -(-size // BLOCK_SIZE))
        return min(used, block_count)

    def statvfs(path):
        """statvfs(path): LittleFS's (bsize, frsize, blocks, bfree, bavail, 0, 0, 0, 0, namemax)."""
        _, host = locate(path)
        if host is None:
            return (0,) * 9 + (ALLOC_PATH_MAX,)  # nothing is mounted at /
        free = block_count - _blocks_used()
        return (BLOCK_SIZE, BLOCK_SIZE, block_count, free, free, 0, 0, 0, 0, LFS_NAME_MAX)

    def getfree(path):
        """getfree(path): free kilobytes of the filesystem."""
        mounted(path)
        return (block_count - _blocks_used()) * BLOCK_SIZE // 1024

    def getcwd():
        return dev.cwd

    def chdir(path):
        device, host = locate(path)
        if host is not None:
            if not os.path.exists(host):
                raise OSError(ENOENT)
            if not os.path.isdir(host):
                raise OSError(ENOTDIR)
        dev.cwd = device

    def sync():
        return None

    def urandom(n):
        """urandom(n): n bytes from the device's seeded generator."""
        n = check_int(n)
        if n < 0:
            raise MemoryError
        return dev.rng.randbytes(n)

    def uname():
        return uname_result

    def dupterm(*args):
        """dupterm([stream]): the stream the REPL is duplicated on (state only)."""
        check_at_most(args, 1)
        if not args:
            return term[0]
        stream = args[0]
        if stream is not None and type(stream).__name__ != "UART":
            getattr(stream, "read")  # mp_load_method: AttributeError without read/write
            getattr(stream, "write")
        term[0] = stream
        return None

    def _open(file, mode="r", buffering=-1, encoding=None):  # noqa: ARG001
        """open(file, mode='r', buffering=-1, encoding=None): a /flash file."""
        mode_s, _ = _path_str(mode)
        readable = writable = append = False
        flags = 0
        text = True
        for ch in mode_s:  # vfs file_open: unknown letters are ignored
            if ch == "r":
                readable = True
            elif ch == "w":
                writable = True
                flags |= os.O_CREAT | os.O_TRUNC
            elif ch == "x":
                writable = True
                flags |= os.O_CREAT | os.O_EXCL
            elif ch == "a":
                writable = append = True
                flags |= os.O_CREAT
            elif ch == "+":
                readable = writable = True
            elif ch == "b":
                text = False
            elif ch == "t":
                text = True
        if not readable and not writable:
            readable = True
        host = mounted(file)
        if os.path.isdir(host):
            raise OSError(EISDIR)
        if flags & os.O_EXCL and os.path.lexists(host):
            raise OSError(EEXIST)
        if not flags & os.O_CREAT and not os.path.exists(host):
            raise OSError(ENOENT)
        parent = os.path.dirname(host)
        if not os.path.isdir(parent):
            raise OSError(ENOENT if not os.path.exists(parent) else ENOTDIR)
        access = os.O_RDWR if readable and writable else (os.O_WRONLY if writable else os.O_RDONLY)
        try:
            fd = os.open(host, access | flags | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0), 0o644)
        except builtins.OSError as exc:
            raise _device_error(exc) from None
        cls = TextIOWrapper if text else FileIO
        return cls(fd, readable, writable, append)

    functions = (ilistdir, listdir, mkdir, remove, rmdir, unlink, rename, stat, statvfs, getfree,
                 getcwd, chdir, sync, urandom, uname, dupterm, _open)
    for function in functions:
        function.__module__ = "uos"
        setattr(module, function.__name__, function)
    return module
