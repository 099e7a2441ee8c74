# The sandbox's spawner: its first process under tini, so every command the agent runs is a child
# of the sandbox's own process tree. gVisor restores only that tree after a checkpoint (processes
# of `runsc exec` sessions are not restorable), so a paused sandbox resumes with the processes its
# commands left running. The command server (exec-server.py) asks for each command on the abstract
# unix socket "\0sbx-spawner", one connection per command: one JSON line {"argv","env","cwd"} sent
# with three file descriptors (stdin, stdout, stderr); the answer is {"pid":N} or {"error":M}, then
# {"code":N} or {"signal":N} when the command ends. Each command leads its own session.
# It starts as root under tini with CAP_SETUID, CAP_SETGID and CAP_SETPCAP only, and stays as a
# keeper the sandbox's user cannot signal; the spawner itself runs as that user with no capability
# left, not even in its bounding set, and if the user kills it (say `kill -9 -1`), the keeper
# starts it again, so the sandbox and its init live on. The keeper binds the socket itself and
# keeps it across restarts: the name is never free, so the user cannot claim it while the spawner
# is down and answer the command server in its place (the socket's backlog waits for the next one).
import ctypes, errno, fcntl, json, os, selectors, signal, socket, time

PR_CAPBSET_DROP = 24
PR_SET_DUMPABLE = 4
SOCKET_NAME = "\0sbx-spawner"

running = {}  # pid -> connection


def nonblock(fd):
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)


def send(conn, msg):
    try:
        conn.sendall(json.dumps(msg, separators=(",", ":")).encode() + b"\n")
    except OSError:
        pass  # its command server is gone (a resumed sandbox): the command ran on regardless


def spawn(msg, fds):
    # The child reports a failed exec on a close-on-exec pipe; an exec that works closes it unread.
    r, w = os.pipe2(os.O_CLOEXEC)
    pid = os.fork()
    if pid == 0:
        try:
            # As subprocess does: Python ignores these, a command expects them at their default.
            for sig in (signal.SIGPIPE, signal.SIGXFSZ):
                signal.signal(sig, signal.SIG_DFL)
            os.setsid()
            for i, fd in enumerate(fds):
                os.dup2(fd, i)
            os.closerange(3, w)
            os.closerange(w + 1, 65536)
            if msg.get("cwd"):
                os.chdir(msg["cwd"])
            os.execvpe(msg["argv"][0], msg["argv"], msg["env"])
        except BaseException as e:  # noqa: BLE001 - anything at all goes back as the reason
            os.write(w, str(e).encode()[:4000])
        finally:
            os._exit(127)
    os.close(w)
    failure = b""
    while True:
        chunk = os.read(r, 4096)
        if not chunk:
            break
        failure += chunk
    os.close(r)
    if failure:
        os.waitpid(pid, 0)
        return None, failure.decode(errors="replace")
    return pid, None


def accept(srv):
    conn, _ = srv.accept()
    conn.setblocking(True)
    data, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
    if not data and not fds:
        conn.close()  # a command server asking whether the spawner is up
        return
    while not data.endswith(b"\n"):
        more = conn.recv(1 << 20)
        if not more:
            break
        data += more
    try:
        msg = json.loads(data)
        if len(fds) != 3:
            raise ValueError("expected three file descriptors")
        pid, error = spawn(msg, fds)
    except (ValueError, KeyError, TypeError, IndexError) as e:
        pid, error = None, str(e)
    for fd in fds:
        os.close(fd)
    if pid is None:
        send(conn, {"error": error})
        conn.close()
        return
    running[pid] = conn
    send(conn, {"pid": pid})


def reap():
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = running.pop(pid, None)
        if conn is None:
            continue
        send(conn, {"signal": os.WTERMSIG(status)} if os.WIFSIGNALED(status) else {"code": os.WEXITSTATUS(status)})
        conn.close()


def main(srv):
    wake_r, wake_w = os.pipe()
    nonblock(wake_r)
    nonblock(wake_w)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    # Its own selector: an epoll set made before the fork would be shared with the keeper (and
    # still hold the socket an earlier spawner registered).
    sel = selectors.DefaultSelector()
    sel.register(wake_r, selectors.EVENT_READ, "wake")
    sel.register(srv, selectors.EVENT_READ, "accept")
    while True:
        for key, _ in sel.select():
            if key.data == "wake":
                try:
                    while os.read(wake_r, 512):
                        pass
                except BlockingIOError:
                    pass
            else:
                try:
                    accept(srv)
                except OSError:
                    pass
        reap()


def keep(uid, gid):
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(SOCKET_NAME)
    srv.listen(128)
    while True:
        pid = os.fork()
        if pid == 0:
            # Nothing of the keeper's capabilities may reach a command, not even in the bounding set.
            libc = ctypes.CDLL(None, use_errno=True)
            for cap in range(64):
                if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() != errno.EINVAL:
                    os._exit(126)
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            # Not traceable by the user's own processes (a changed uid clears it too; said outright).
            libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
            main(srv)
            os._exit(0)
        os.waitpid(pid, 0)
        time.sleep(0.05)


keep(1000, 1000)
