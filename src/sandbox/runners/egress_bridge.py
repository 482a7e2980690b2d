# scriptbox egress bridge: the prefix of a sandbox granted network, run inside it as
#   python3 -I -S egress_bridge.py <port> <unix-socket> -- <command ...>
# The sandbox has its own network namespace with only loopback; the host's egress proxy (which decides
# everything: this relay is untrusted) is reached through <unix-socket>, bound into the sandbox. This
# listens on 127.0.0.1:<port> (and exits with a message if it cannot), double-forks the relay, and execs
# <command> with every fd it was given untouched (the runners' fd protocol: 0-2, 3 status, 6 go, ...).
# The relay is one process that holds nothing but its sockets (stdin/out/err are /dev/null) and copies
# bytes both ways between each TCP connection and a new connection to the Unix socket, in a single-threaded
# selectors loop. It lives as long as the sandbox's pid namespace.
import os
import selectors
import signal
import socket
import sys

CHUNK = 65536
CONNECT_TIMEOUT_S = 10


def fail(message, status=125):
    os.write(2, ("scriptbox egress bridge: %s\n" % message).encode("utf-8", "replace"))
    os._exit(status)


class End:
    """One side of a relayed connection: its socket, what waits to be written to it, whether it ended."""

    def __init__(self, sock):
        self.sock = sock
        self.out = bytearray()
        self.eof = False  # it sent EOF (nothing more to read)
        self.shut = False  # we shut down its write side (its peer sent EOF and everything was written)
        self.peer = None
        self.events = 0  # what the selector watches it for


class Relay:
    def __init__(self, listener, path, command):
        self.listener = listener
        self.path = path
        self.selector = selectors.DefaultSelector()
        self.selector.register(listener, selectors.EVENT_READ, "accept")
        if command is not None:
            self.selector.register(command, selectors.EVENT_READ, "exit")

    def serve(self):
        while True:
            for key, mask in self.selector.select():
                if key.data == "accept":
                    self.accept()
                elif key.data == "exit":  # the command is gone: so is the relay's reason to be
                    os._exit(0)
                else:
                    self.service(key.data, mask)

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # out of fds and the like: drop this one, keep serving
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                upstream.settimeout(CONNECT_TIMEOUT_S)
                upstream.connect(self.path)
            except OSError:
                upstream.close()
                client.close()
                continue
            client.setblocking(False)
            upstream.setblocking(False)
            a, b = End(client), End(upstream)
            a.peer, b.peer = b, a
            self.watch(a)
            self.watch(b)

    def service(self, end, mask):
        try:
            if mask & selectors.EVENT_READ and not end.eof and not end.peer.out:
                data = end.sock.recv(CHUNK)
                if data:
                    end.peer.out += data
                else:
                    end.eof = True
            if mask & selectors.EVENT_WRITE and end.out:
                del end.out[: end.sock.send(end.out)]
            for side in (end, end.peer):
                if side.peer.eof and not side.out and not side.shut:
                    side.sock.shutdown(socket.SHUT_WR)
                    side.shut = True
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:  # reset or broken: the whole connection goes
            self.close(end)
            return
        if end.shut and end.peer.shut:
            self.close(end)
            return
        for side in (end, end.peer):
            self.watch(side)

    def watch(self, end):
        """Waits for what `end` can do next: read (while its peer has nothing pending), write (while it
        has); neither: not watched at all, so a fast sender waits for a slow receiver."""
        events = 0
        if not end.eof and not end.peer.out:
            events |= selectors.EVENT_READ
        if end.out:
            events |= selectors.EVENT_WRITE
        if events == end.events:
            return
        if end.events == 0:
            self.selector.register(end.sock, events, end)
        elif events == 0:
            self.selector.unregister(end.sock)
        else:
            self.selector.modify(end.sock, events, end)
        end.events = events

    def close(self, end):
        for side in (end, end.peer):
            if side.events != 0:
                self.selector.unregister(side.sock)
                side.events = 0
            side.sock.close()


def drop_capabilities():
    """A session's supervisor keeps capabilities in the sandbox's user namespace; the relay has no use for
    them (runs never see it: they are in a pid namespace of their own), so it drops them all."""
    with open("/proc/self/status") as status:
        held = [line.split()[1] for line in status if line.startswith(("CapPrm:", "CapAmb:"))]
    if all(int(mask, 16) == 0 for mask in held):
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(47, 4, 0, 0, 0)  # PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    data = (ctypes.c_uint32 * 6)()  # _LINUX_CAPABILITY_VERSION_3: two zeroed data structs
    if libc.capset(ctypes.byref(Header(0x20080522, 0)), ctypes.byref(data)) != 0:
        fail("cannot drop capabilities: %s" % os.strerror(ctypes.get_errno()))


def become_relay(listener, path, command):
    """In the grandchild: no capabilities, nothing but the listener (and a pidfd of the command), then relay
    until the command ends (in a sandbox its pid namespace ends with it anyway)."""
    drop_capabilities()
    keep = {listener.fileno()} | ({command} if command is not None else set())
    for fd in range(max(keep) + 1):
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass
    os.closerange(max(keep) + 1, os.sysconf("SC_OPEN_MAX"))
    null = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        if fd != null:
            os.dup2(null, fd)
    if null > 2:
        os.close(null)
    os.chdir("/")
    listener.setblocking(False)
    Relay(listener, path, command).serve()


def main(argv):
    if "--" not in argv or argv.index("--") != 2 or len(argv) < 4:
        fail("usage: egress_bridge.py <port> <unix-socket> -- <command ...>", 2)
    port, path, command = argv[0], argv[1], argv[3:]
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", int(port)))
        listener.listen(128)
    except (OSError, ValueError) as err:
        fail("cannot listen on 127.0.0.1:%s for the egress proxy: %s" % (port, err))
    if not os.path.exists(path):
        fail("the egress proxy socket %s is missing" % path)
    try:
        command_fd = os.pidfd_open(os.getpid())  # this process, the command once exec'd (close-on-exec)
    except (AttributeError, OSError):
        command_fd = None
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                become_relay(listener, path, command_fd)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    listener.close()
    if command_fd is not None:
        os.close(command_fd)
    # Python ignores these; an exec'd program must start with the usual dispositions.
    for name in ("SIGPIPE", "SIGXFSZ"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    try:
        os.execv(command[0], command)
    except OSError as err:
        fail("cannot start %s: %s" % (command[0], err.strerror), 127)


if __name__ == "__main__":
    main(sys.argv[1:])
