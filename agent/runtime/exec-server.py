# The sandbox's command server: started once per sandbox (as the sandbox user) so that a command
# costs a fork and exec inside gVisor instead of a whole `runsc exec`. It speaks newline-delimited
# JSON on its stdin/stdout with the host agent:
#   in:  {"op":"run","id":ID,"argv":[...],"env":{...},"cwd":DIR,"stdin":B64|null}
#        {"op":"kill","id":ID}
#   out: {"ev":"ready"}  {"id":ID,"ev":"out","fd":1|2,"data":B64}
#        {"id":ID,"ev":"exit","code":N} | {"id":ID,"ev":"exit","signal":N} | {"id":ID,"ev":"error","message":M}
# Each command leads its own session, so a kill ends everything it started.
import base64, fcntl, json, os, selectors, signal, subprocess, sys

sel = selectors.DefaultSelector()
procs = {}  # id -> {"p": Popen, "open": {fd: 1|2}, "stdin": bytes still to write, "stdin_fd": fd|None}
out = sys.stdout.buffer


def emit(msg):
    out.write(json.dumps(msg, separators=(",", ":")).encode() + b"\n")
    out.flush()


def nonblock(fd):
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)


def drain(cid, fd, fdno):
    # Reads what is there now; returns False at end of file.
    while True:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return True
        except OSError:
            return False
        if not data:
            return False
        emit({"id": cid, "ev": "out", "fd": fdno, "data": base64.b64encode(data).decode()})


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
    rc = c["p"].returncode
    emit({"id": cid, "ev": "exit", "signal": -rc} if rc < 0 else {"id": cid, "ev": "exit", "code": rc})


def run(msg):
    cid = msg["id"]
    env = dict(os.environ)
    env.update(msg.get("env") or {})
    data = base64.b64decode(msg["stdin"]) if msg.get("stdin") else b""
    try:
        p = subprocess.Popen(
            msg["argv"], cwd=msg.get("cwd") or None, env=env, start_new_session=True,
            stdin=subprocess.PIPE if data else subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
    except (OSError, ValueError) as e:
        emit({"id": cid, "ev": "error", "message": str(e)})
        return
    c = {"p": p, "open": {}, "stdin": data, "stdin_fd": None}
    procs[cid] = c
    for f, fdno in ((p.stdout, 1), (p.stderr, 2)):
        fd = os.dup(f.fileno())
        f.close()
        nonblock(fd)
        c["open"][fd] = fdno
        sel.register(fd, selectors.EVENT_READ, ("out", cid, fdno))
    if data:
        fd = os.dup(p.stdin.fileno())
        p.stdin.close()
        nonblock(fd)
        c["stdin_fd"] = fd
        sel.register(fd, selectors.EVENT_WRITE, ("in", cid, 0))


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


def reap():
    for cid, c in list(procs.items()):
        if c["p"].poll() is not None:
            finish(cid)


def main():
    wake_r, wake_w = os.pipe()
    nonblock(wake_r)
    nonblock(wake_w)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    sel.register(wake_r, selectors.EVENT_READ, ("wake", None, 0))
    stdin = sys.stdin.fileno()
    nonblock(stdin)
    sel.register(stdin, selectors.EVENT_READ, ("ctl", None, 0))
    pending = b""
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
                if not drain(cid, key.fd, fdno):
                    close_fd(key.fd)
                    procs.get(cid, {"open": {}})["open"].pop(key.fd, None)
            elif kind == "in":
                feed(cid, key.fd)
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
                    elif msg["op"] == "kill" and msg["id"] in procs:
                        try:
                            os.killpg(procs[msg["id"]]["p"].pid, signal.SIGKILL)
                        except OSError:
                            pass
        reap()


main()
