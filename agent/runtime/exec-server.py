# The sandbox's command server: started once per sandbox (as the sandbox user) so that a command
# costs a fork and exec inside gVisor instead of a whole `runsc exec`. It speaks newline-delimited
# JSON on its stdin/stdout with the host agent:
#   in:  {"op":"run","id":ID,"argv":[...],"env":{...},"cwd":DIR,"stdin":B64|null}
#        {"op":"kill","id":ID}  {"op":"pause","id":ID}  {"op":"resume","id":ID}
#   out: {"ev":"ready"}  {"id":ID,"ev":"out","fd":1|2,"data":B64}
#        {"id":ID,"ev":"exit","code":N} | {"id":ID,"ev":"exit","signal":N} | {"id":ID,"ev":"error","message":M}
# Each command leads its own session, so a kill ends everything it started. Commands are started
# by the sandbox's spawner (spawner.py), not by this server: they then belong to the sandbox's own
# process tree, which a checkpoint keeps (this server, a `runsc exec` session, is not restorable).
# A paused command's output is not read until it is resumed: its pipes fill and the command waits,
# which is how a reader that stops reading holds a command back (the agent pauses it).
import base64, fcntl, json, os, selectors, signal, socket, sys, time

sel = selectors.DefaultSelector()
procs = {}  # id -> {"pid": N, "conn": socket, "rc": status|None, "open": {fd: 1|2}, "stdin": bytes still to write, "stdin_fd": fd|None}
out = sys.stdout.buffer


def emit(msg):
    out.write(json.dumps(msg, separators=(",", ":"), allow_nan=False).encode() + b"\n")
    out.flush()


def no_constant(name):
    raise ValueError("unexpected " + name)


def nonblock(fd):
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)


def drain(cid, fd, fdno, rounds=None):
    # Reads what is there now (at most `rounds` reads, so that a command writing without pause
    # cannot keep this loop from the agent's pause); returns False at end of file.
    while rounds is None or rounds > 0:
        if rounds is not None:
            rounds -= 1
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return True
        except OSError:
            return False
        if not data:
            return False
        emit({"id": cid, "ev": "out", "fd": fdno, "data": base64.b64encode(data).decode()})
    return True


def close_fd(fd):
    try:
        sel.unregister(fd)
    except (KeyError, ValueError):
        pass
    try:
        os.close(fd)
    except OSError:
        pass


def finish(cid):
    c = procs.pop(cid)
    # Output written before the exit is in the pipes now; what background children print later is not waited for.
    for fd, fdno in list(c["open"].items()):
        drain(cid, fd, fdno)
        close_fd(fd)
    if c.get("stdin_fd") is not None:
        close_fd(c["stdin_fd"])
    emit({"id": cid, "ev": "exit", **c["rc"]})


def spawner():
    # The spawner starts with the sandbox: give it a moment on the first command.
    for _ in range(200):
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect("\0sbx-spawner")
            return conn
        except OSError:
            conn.close()
            time.sleep(0.05)
    raise OSError("the sandbox's spawner does not answer")


def read_line(conn):
    data = b""
    while not data.endswith(b"\n"):
        more = conn.recv(65536)
        if not more:
            raise OSError("the sandbox's spawner closed the connection")
        data += more
        if len(data) > 65536:
            raise ValueError("the spawner's answer is too long")
    # The spawner runs as the sandbox's user: its answer is checked before anything is taken from it.
    answer = json.loads(data, parse_constant=no_constant)
    if not isinstance(answer, dict):
        raise ValueError("the spawner's answer is not an object")
    return answer


def run(msg):
    cid = msg["id"]
    env = dict(os.environ)
    env.update(msg.get("env") or {})
    data = base64.b64decode(msg["stdin"]) if msg.get("stdin") else b""
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    in_r, in_w = os.pipe() if data else (os.open(os.devnull, os.O_RDONLY), None)
    conn = None
    try:
        conn = spawner()
        line = json.dumps({"argv": msg["argv"], "env": env, "cwd": msg.get("cwd") or None}).encode() + b"\n"
        # A spawner that takes this long to answer is not there: the command fails, the server goes on.
        conn.settimeout(10)
        socket.send_fds(conn, [line], [in_r, out_w, err_w])
        answer = read_line(conn)
        conn.settimeout(None)
    except (OSError, ValueError) as e:
        answer = {"error": str(e)}
    for fd in (in_r, out_w, err_w):
        os.close(fd)
    pid = answer.get("pid")
    if type(pid) is not int or pid < 2:
        for fd in (out_r, err_r, in_w):
            if fd is not None:
                os.close(fd)
        if conn is not None:
            conn.close()
        error = answer.get("error")
        emit({"id": cid, "ev": "error", "message": error[:4000] if isinstance(error, str) else "the command did not start"})
        return
    c = {"pid": pid, "conn": conn, "rc": None, "open": {}, "stdin": data, "stdin_fd": None, "paused": False}
    procs[cid] = c
    for fd, fdno in ((out_r, 1), (err_r, 2)):
        nonblock(fd)
        c["open"][fd] = fdno
        sel.register(fd, selectors.EVENT_READ, ("out", cid, fdno))
    sel.register(conn, selectors.EVENT_READ, ("exit", cid, 0))
    if data:
        nonblock(in_w)
        c["stdin_fd"] = in_w
        sel.register(in_w, selectors.EVENT_WRITE, ("in", cid, 0))


def exited(cid, conn):
    c = procs.get(cid)
    sel.unregister(conn)
    try:
        status = read_line(conn)
    except (OSError, ValueError):
        status = {"signal": 9}
    conn.close()
    if c is not None:
        sig, code = status.get("signal"), status.get("code")
        if type(sig) is int and 0 < sig < 65:
            c["rc"] = {"signal": sig}
        elif type(code) is int and 0 <= code < 256:
            c["rc"] = {"code": code}
        else:
            c["rc"] = {"signal": 9}
        finish(cid)


def hold(cid, paused):
    # Stops (or starts again) reading a command's output.
    c = procs.get(cid)
    if c is None or c["paused"] == paused:
        return
    c["paused"] = paused
    for fd, fdno in c["open"].items():
        if paused:
            sel.unregister(fd)
        else:
            sel.register(fd, selectors.EVENT_READ, ("out", cid, fdno))


def feed(cid, fd):
    c = procs.get(cid)
    if c is None:
        return
    try:
        n = os.write(fd, c["stdin"][:65536])
        c["stdin"] = c["stdin"][n:]
    except BlockingIOError:
        return
    except OSError:
        c["stdin"] = b""
    if not c["stdin"]:
        close_fd(fd)
        c["stdin_fd"] = None


def main():
    wake_r, wake_w = os.pipe()
    nonblock(wake_r)
    nonblock(wake_w)
    signal.set_wakeup_fd(wake_w)
    sel.register(wake_r, selectors.EVENT_READ, ("wake", None, 0))
    stdin = sys.stdin.fileno()
    nonblock(stdin)
    sel.register(stdin, selectors.EVENT_READ, ("ctl", None, 0))
    pending = b""
    spawner().close()
    emit({"ev": "ready"})
    while True:
        for key, _ in sel.select():
            kind, cid, fdno = key.data
            if kind == "wake":
                try:
                    while os.read(wake_r, 512):
                        pass
                except BlockingIOError:
                    pass
            elif kind == "out":
                if not drain(cid, key.fd, fdno, 4):
                    close_fd(key.fd)
                    procs.get(cid, {"open": {}})["open"].pop(key.fd, None)
            elif kind == "in":
                feed(cid, key.fd)
            elif kind == "exit":
                exited(cid, key.fileobj)
            else:
                try:
                    chunk = os.read(stdin, 1 << 20)
                except BlockingIOError:
                    continue
                if not chunk:
                    return
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    msg = json.loads(line)
                    if msg["op"] == "run":
                        run(msg)
                    elif msg["op"] in ("pause", "resume"):
                        hold(msg["id"], msg["op"] == "pause")
                    elif msg["op"] == "kill" and msg["id"] in procs:
                        try:
                            os.killpg(procs[msg["id"]]["pid"], signal.SIGKILL)
                        except OSError:
                            pass


main()
