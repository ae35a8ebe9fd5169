#!/usr/bin/python3
"""A stand-in guest for the network tests: one NIC on a stream socket (a Domus bridge's, or
passt's), framed as QEMU's -netdev stream frames it: each frame after its length, 4 bytes
big-endian. Packets are built and parsed with Debian's python3-scapy.

    stream-client.py SOCKET MAC STEP...

Steps run in order; each prints one JSON line, and the first that fails prints {"error": ...}
and exits with status 1.

    ip=A.B.C.D        use this address
    dhcp              DISCOVER, OFFER, REQUEST, ACK: take the offered address, remember the router
    arp=A.B.C.D|gw    ask who has the address; report the first answer
    ping=A.B.C.D|gw   ARP for the address, send an ICMP echo, wait for the matching reply
    noreply=A.B.C.D   send an ICMP echo, a UDP datagram and a TCP SYN there through the router
                      (to its MAC, as routed packets go): expect no answer
    tcp=gw:PORT:TEXT  open a TCP connection, send TEXT, expect it back (an echo service)
    serve=N           answer ARP for our address and N ICMP echo requests, then report them
"""

import json
import os
import random
import socket
import struct
import sys
import time

from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Raw

TIMEOUT = 5.0
BROADCAST = "ff:ff:ff:ff:ff:ff"


class Fail(Exception):
    pass


class Nic:
    def __init__(self, path, mac):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.mac = mac
        self.buf = b""
        self.ip = None
        self.router = None

    def send(self, pkt):
        data = bytes(pkt)
        self.sock.sendall(struct.pack(">I", len(data)) + data)

    def recv(self, deadline):
        """The next frame for us (or broadcast) before the deadline, else None."""
        while True:
            if len(self.buf) >= 4:
                (n,) = struct.unpack(">I", self.buf[:4])
                if len(self.buf) >= 4 + n:
                    frame, self.buf = self.buf[4 : 4 + n], self.buf[4 + n :]
                    pkt = Ether(frame)
                    if pkt.dst in (self.mac, BROADCAST):
                        return pkt
                    continue
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not data:
                raise Fail("the socket was closed")
            self.buf += data

    def wait_for(self, match, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            pkt = self.recv(deadline)
            if pkt is None or match(pkt):
                return pkt

    def resolve(self, ip):
        self.send(Ether(src=self.mac, dst=BROADCAST) / ARP(op=1, hwsrc=self.mac, psrc=self.ip, pdst=ip))
        reply = self.wait_for(lambda p: ARP in p and p[ARP].op == 2 and p[ARP].psrc == ip)
        if reply is None:
            raise Fail(f"no ARP reply for {ip}")
        return reply[ARP].hwsrc

    def target(self, text):
        return self.router if text == "gw" else text


def dhcp(nic):
    xid = random.randrange(1 << 32)
    chaddr = bytes.fromhex(nic.mac.replace(":", "")) + b"\0" * 10

    def message(kind, extra):
        return (
            Ether(src=nic.mac, dst=BROADCAST)
            / IP(src="0.0.0.0", dst="255.255.255.255")
            / UDP(sport=68, dport=67)
            / BOOTP(chaddr=chaddr, xid=xid, flags=0x8000)
            / DHCP(options=[("message-type", kind)] + extra + ["end"])
        )

    def answer(kind):
        reply = nic.wait_for(lambda p: DHCP in p and p[BOOTP].xid == xid)
        if reply is None:
            raise Fail(f"no DHCP answer to {kind}")
        return reply, {o[0]: o[1] for o in reply[DHCP].options if isinstance(o, tuple)}

    nic.send(message("discover", []))
    offer, opts = answer("DISCOVER")
    if opts.get("message-type") != 2:
        raise Fail(f"DHCP answered DISCOVER with {opts}")
    address = offer[BOOTP].yiaddr
    nic.send(message("request", [("requested_addr", address), ("server_id", opts["server_id"])]))
    ack, ack_opts = answer("REQUEST")
    if ack_opts.get("message-type") != 5:
        raise Fail(f"DHCP answered REQUEST with {ack_opts}")
    nic.ip, nic.router = ack[BOOTP].yiaddr, ack_opts.get("router")
    return {
        "offer": address,
        "address": nic.ip,
        "router": nic.router,
        "mask": ack_opts.get("subnet_mask"),
        "mtu": ack_opts.get("interface-mtu"),
        "dns": ack_opts.get("name_server"),
        "server": opts["server_id"],
    }


def ping(nic, ip):
    mac = nic.resolve(ip)
    ident, payload = random.randrange(1, 65536), os.urandom(16).hex().encode()
    nic.send(Ether(src=nic.mac, dst=mac) / IP(src=nic.ip, dst=ip) / ICMP(type=8, id=ident, seq=1) / payload)
    reply = nic.wait_for(lambda p: ICMP in p and p[ICMP].type == 0 and p[ICMP].id == ident)
    if reply is None:
        raise Fail(f"no echo reply from {ip}")
    return {"mac": mac, "from": reply[IP].src, "payload": bytes(reply[ICMP].payload) == payload}


def noreply(nic, ip):
    mac = nic.resolve(nic.router)
    base = Ether(src=nic.mac, dst=mac) / IP(src=nic.ip, dst=ip)
    nic.send(base / ICMP(type=8, id=4242, seq=1) / b"leak?")
    nic.send(base / UDP(sport=40000, dport=9) / b"leak?")
    nic.send(base / TCP(sport=40001, dport=80, flags="S", seq=1))
    answers = []
    deadline = time.monotonic() + 2.0
    while (pkt := nic.recv(deadline)) is not None:
        if IP in pkt and pkt[IP].src == ip and (ICMP in pkt and pkt[ICMP].type == 0 or UDP in pkt or TCP in pkt and pkt[TCP].flags & 0x12 == 0x12):
            answers.append(pkt.summary())
    if answers:
        raise Fail(f"{ip} answered: {answers}")
    return {"answers": 0}


def tcp(nic, spec):
    host, port, text = spec.split(":", 2)
    ip, port, data = nic.target(host), int(port), text.encode()
    mac = nic.resolve(ip)
    sport, seq = random.randrange(40000, 60000), random.randrange(1 << 31)
    base = Ether(src=nic.mac, dst=mac) / IP(src=nic.ip, dst=ip)

    def segment(flags, ack, payload=b""):
        return base / TCP(sport=sport, dport=port, flags=flags, seq=seq, ack=ack, window=65535) / payload

    mine = lambda p: TCP in p and p[TCP].sport == port and p[TCP].dport == sport
    nic.send(segment("S", 0))
    synack = nic.wait_for(mine)
    if synack is None or synack[TCP].flags & 0x12 != 0x12:
        raise Fail(f"no SYN-ACK from {ip}:{port}: {synack and synack.summary()}")
    seq += 1
    theirs = synack[TCP].seq + 1
    nic.send(segment("A", theirs))
    nic.send(segment("PA", theirs, data))
    seq += len(data)
    got = b""
    deadline = time.monotonic() + TIMEOUT
    while len(got) < len(data):
        pkt = nic.recv(deadline)
        if pkt is None:
            break
        if mine(pkt) and len(pkt[TCP].payload) > 0 and pkt[TCP].seq == theirs:
            chunk = bytes(pkt[TCP].payload)
            got += chunk
            theirs += len(chunk)
            nic.send(segment("A", theirs))
    nic.send(segment("RA", theirs))
    return {"echo": got.decode(errors="replace")}


def serve(nic, count):
    arp_requests, echo_requests = [], []
    deadline = time.monotonic() + 3 * TIMEOUT
    while len(echo_requests) < count:
        pkt = nic.recv(deadline)
        if pkt is None:
            raise Fail(f"only {len(echo_requests)} of {count} echo requests came")
        if ARP in pkt and pkt[ARP].op == 1 and pkt[ARP].pdst == nic.ip:
            arp_requests.append({"mac": pkt[ARP].hwsrc, "ip": pkt[ARP].psrc})
            nic.send(Ether(src=nic.mac, dst=pkt.src) / ARP(op=2, hwsrc=nic.mac, psrc=nic.ip, hwdst=pkt[ARP].hwsrc, pdst=pkt[ARP].psrc))
        elif ICMP in pkt and pkt[ICMP].type == 8 and pkt[IP].dst == nic.ip:
            echo_requests.append({"mac": pkt.src, "ip": pkt[IP].src})
            icmp = pkt[ICMP]
            nic.send(
                Ether(src=nic.mac, dst=pkt.src)
                / IP(src=nic.ip, dst=pkt[IP].src)
                / ICMP(type=0, id=icmp.id, seq=icmp.seq)
                / bytes(icmp.payload)
            )
    return {"arpRequests": arp_requests, "echoRequests": echo_requests}


def main():
    path, mac, steps = sys.argv[1], sys.argv[2], sys.argv[3:]
    nic = Nic(path, mac)
    print(json.dumps({"step": "connected"}), flush=True)
    for step in steps:
        name, _, arg = step.partition("=")
        try:
            if name == "ip":
                nic.ip, result = arg, {"address": arg}
            elif name == "dhcp":
                result = dhcp(nic)
            elif name == "arp":
                result = {"mac": nic.resolve(nic.target(arg))}
            elif name == "ping":
                result = ping(nic, nic.target(arg))
            elif name == "noreply":
                result = noreply(nic, nic.target(arg))
            elif name == "tcp":
                result = tcp(nic, arg)
            elif name == "serve":
                result = serve(nic, int(arg))
            else:
                raise Fail(f"unknown step {step}")
        except Fail as e:
            print(json.dumps({"step": name, "error": str(e)}), flush=True)
            sys.exit(1)
        print(json.dumps({"step": name, **result}), flush=True)


main()
