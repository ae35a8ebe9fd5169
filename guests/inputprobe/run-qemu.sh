#!/usr/bin/env bash
# Runs inputprobe.bin under QEMU with a virtio keyboard and tablet, types and points through
# QMP, prints the guest's output, and exits nonzero unless every expected line is there.
# Needs qemu-system-riscv64 and python3 (the QMP client below is plain sockets).
set -euo pipefail
cd "$(dirname "$0")"
QEMU=${QEMU:-qemu-system-riscv64}

tmp=$(mktemp -d)
qemu_pid=
cleanup() { if [ -n "$qemu_pid" ]; then kill "$qemu_pid" 2>/dev/null || true; fi; rm -rf "$tmp"; }
trap cleanup EXIT

# force-legacy=false: QEMU's virtio-mmio transports are version 1 (legacy) by default.
"$QEMU" -M virt -display none -monitor none -serial "file:$tmp/serial.log" \
  -qmp "unix:$tmp/qmp.sock,server=on,wait=off" \
  -global virtio-mmio.force-legacy=false \
  -bios inputprobe.bin -device virtio-keyboard-device -device virtio-tablet-device &
qemu_pid=$!

python3 - "$tmp" <<'EOF'
import json, os, re, socket, sys, time

tmp = sys.argv[1]
log_path = os.path.join(tmp, "serial.log")

def log():
    try:
        with open(log_path, "rb") as f:
            return f.read().decode("ascii", "replace").replace("\r", "")
    except FileNotFoundError:
        return ""

def wait_for(pattern, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        m = re.search(pattern, log(), re.M)
        if m:
            return m
        time.sleep(0.05)
    return None

def fail(msg):
    print(log(), end="")
    print("run-qemu: FAIL: " + msg)
    sys.exit(1)

if not wait_for(r"^inputprobe: ready \d+$"):
    fail("no 'inputprobe: ready' line")

sock = socket.socket(socket.AF_UNIX)
sock.connect(os.path.join(tmp, "qmp.sock"))
f = sock.makefile("rw")
f.readline()  # greeting

def qmp(cmd, **args):
    f.write(json.dumps({"execute": cmd, "arguments": args}) + "\n")
    f.flush()
    while True:  # skip asynchronous events until the reply
        r = json.loads(f.readline())
        if "return" in r:
            return r["return"]
        if "error" in r:
            fail(f"{cmd}: {r['error']}")

def key(name, down):
    return {"type": "key", "data": {"down": down, "key": {"type": "qcode", "data": name}}}

def send(*events):
    qmp("input-send-event", events=list(events))
    time.sleep(0.3)

qmp("qmp_capabilities")

out = log()
kbd = re.search(r'^inputprobe: slot (\d+) "QEMU Virtio Keyboard" keys [1-9]\d* rel 0 abs 0 leds [1-9]\d*$', out, re.M)
tab = re.search(r'^inputprobe: slot (\d+) "QEMU Virtio Tablet" keys \d+ rel \d+ abs 2 leds 0$', out, re.M)
if not kbd or not tab:
    fail("keyboard or tablet not listed")
k, t = kbd.group(1), tab.group(1)
if not re.search(rf"^inputprobe: slot {t} abs x 0\.\.32767 y 0\.\.32767$", out, re.M):
    fail("tablet abs range missing")
if not re.search(r"^inputprobe: ready 2$", out, re.M):
    fail("not 'ready 2'")

# 'a' through the HMP sendkey path (press, then release after sendkey's hold time).
qmp("human-monitor-command", **{"command-line": "sendkey a"})
time.sleep(0.5)
# An absolute move, then caps lock pressed five times: the LED goes on, off, ..., on, which
# needs more status buffers than the probe posts (4), so the device must be returning them.
send({"type": "abs", "data": {"axis": "x", "value": 1000}},
     {"type": "abs", "data": {"axis": "y", "value": 2000}})
CAPS = 5
for _ in range(CAPS):
    send(key("caps_lock", True))
    send(key("caps_lock", False))

expected = [
    f"ev {k} 1 30 1", f"ev {k} 0 0 0", f"ev {k} 1 30 0", f"ev {k} 0 0 0",
    f"ev {t} 3 0 1000", f"ev {t} 3 1 2000", f"ev {t} 0 0 0",
] + [line for n in range(CAPS) for line in (
    f"ev {k} 1 58 1", f"led {k} {(n + 1) % 2}", f"ev {k} 0 0 0", f"ev {k} 1 58 0", f"ev {k} 0 0 0")]
# The expected lines must appear in this order (anything may come between them).
deadline = time.time() + 5
while True:
    lines = log().splitlines()
    i = 0
    for line in lines:
        if i < len(expected) and line == expected[i]:
            i += 1
    if i == len(expected) or time.time() > deadline:
        break
    time.sleep(0.1)
try:
    qmp("quit")
except Exception:
    pass
if i < len(expected):
    fail(f"missing (in order): {expected[i]!r}")
bad = re.search(r"statusq full|bad used id|trap|init failed", log())
if bad:
    fail(f"unexpected '{bad.group(0)}'")
print(log(), end="")
print("run-qemu: OK")
EOF
