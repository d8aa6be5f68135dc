#!/usr/bin/env python3
"""Drive a command in a real pseudo-terminal, the way a person at a keyboard would.

Used by tests/helpers/pty.mts (python3 ships on every CI image; node-pty would need a native build).
Input (JSON on stdin):
  {"argv": [...], "env": {...}, "cwd": "...", "rows": 40, "cols": 120, "timeout": 60,
   "steps": [{"expect": "<regex>", "send": "<keys>", "timeout": 20, "delay": 0.1}]}
Each step waits until <regex> matches the ANSI-stripped output that arrived after the previous match,
then (after <delay> seconds, so a prompt finishes re-rendering) writes <keys> to the terminal.
Output (JSON on stdout): {"code", "signal", "output" (raw), "timedOut", "failedStep"}.
"""
import errno
import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]|\r")


def strip(text):
    return ANSI.sub("", text)


def main():
    spec = json.load(sys.stdin)
    argv = spec["argv"]
    rows = int(spec.get("rows", 40))
    cols = int(spec.get("cols", 120))
    deadline = time.monotonic() + float(spec.get("timeout", 60))

    pid, fd = pty.fork()
    if pid == 0:
        # Child: the pty slave is already stdin/stdout/stderr and the controlling terminal.
        # A real size matters: ora and enquirer loop or wrap badly with 0 columns.
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            if spec.get("cwd"):
                os.chdir(spec["cwd"])
            os.execvpe(argv[0], argv, spec.get("env") or dict(os.environ))
        except Exception as e:  # noqa: BLE001 - report anything, the parent sees exit 127
            os.write(2, f"pty_driver: exec failed: {e}\n".encode())
        os._exit(127)

    chunks = []
    eof = False

    def pump(wait):
        """Read what the child wrote within `wait` seconds. Returns False at EOF."""
        nonlocal eof
        if eof:
            return False
        r, _, _ = select.select([fd], [], [], max(0.0, wait))
        if not r:
            return True
        try:
            data = os.read(fd, 65536)
        except OSError as e:
            if e.errno == errno.EIO:  # Linux: the slave side closed (child exited)
                eof = True
                return False
            raise
        if not data:
            eof = True
            return False
        chunks.append(data)
        return True

    def text():
        return b"".join(chunks).decode("utf-8", "replace")

    failed_step = None
    timed_out = False
    pos = 0
    for i, step in enumerate(spec.get("steps", [])):
        expect = step.get("expect")
        if expect:
            pattern = re.compile(expect)
            step_deadline = min(deadline, time.monotonic() + float(step.get("timeout", 30)))
            matched = None
            while True:
                matched = pattern.search(strip(text()), pos)
                if matched or eof or time.monotonic() >= step_deadline:
                    break
                pump(min(0.2, step_deadline - time.monotonic()))
            if not matched:
                failed_step = {"index": i, "expect": expect, "reason": "eof" if eof else "timeout"}
                break
            pos = matched.end()
        if "send" in step:
            # let the prompt finish drawing before the next key, reading meanwhile
            until = time.monotonic() + float(step.get("delay", 0.15))
            while time.monotonic() < until and pump(until - time.monotonic()):
                pass
            if eof:
                failed_step = {"index": i, "send": step["send"], "reason": "eof before send"}
                break
            os.write(fd, step["send"].encode())

    while not eof and time.monotonic() < deadline:
        pump(min(0.2, deadline - time.monotonic()))

    if not eof:
        timed_out = True
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _, status = os.waitpid(pid, 0)
    try:
        while pump(0.05):
            pass
    except OSError:
        pass
    os.close(fd)
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    json.dump({"code": code, "signal": sig, "output": text(), "timedOut": timed_out, "failedStep": failed_step}, sys.stdout)


if __name__ == "__main__":
    main()
