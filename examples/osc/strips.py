#!/usr/bin/env python3
"""A small OSC remote for earmix: draws the strips in a terminal and takes typed commands.

Start earmix with `--osc 9000`, then `python3 examples/osc/strips.py 9000` (or
`strips.py HOST:PORT` for earmix on another machine that allows this one). Python 3 alone,
nothing to install. It subscribes to earmix's feedback (docs/osc.md) and redraws whenever
something changes. While earmix is blind no levels come, and the strips show "blind".

Commands (then Enter):
  3 -6.5    strip 3's fader to -6.5 dB ("3 off" turns it off)
  m 3       mute or unmute strip 3      s 3    solo or unsolo strip 3
  pan 3 -0.5                            sel 3  select strip 3
  master -2 the master fader to -2 dB
  p         play or pause               0      back to the start
  n / b     next / previous section     j 2    jump to section 2
  x         blind mode on or off        u / r  undo / redo        w  save
  q         quit
"""

import socket
import struct
import sys
import threading

# Every address this example sends (the tests check that earmix answers each one; `N` stands
# for a strip's or a section's number).
SENDS = {
    "fader": "/earmix/strip/N/fader",
    "mute": "/earmix/strip/N/mute",
    "solo": "/earmix/strip/N/solo",
    "pan": "/earmix/strip/N/pan",
    "select": "/earmix/strip/N/select",
    "master": "/earmix/master",
    "toggle": "/earmix/transport/toggle",
    "start": "/earmix/transport/start",
    "next": "/earmix/section/next",
    "previous": "/earmix/section/previous",
    "section": "/earmix/section/N",
    "blind": "/earmix/blind",
    "undo": "/earmix/undo",
    "redo": "/earmix/redo",
    "save": "/earmix/save",
    "subscribe": "/earmix/subscribe",
    "unsubscribe": "/earmix/unsubscribe",
    "ping": "/earmix/ping",
}
# Every feedback address it reads.
READS = [
    "/earmix/pong",
    "/earmix/strips",
    "/earmix/strip/N/name",
    "/earmix/strip/N/fader",
    "/earmix/strip/N/mute",
    "/earmix/strip/N/solo",
    "/earmix/strip/N/pan",
    "/earmix/master",
    "/earmix/transport/playing",
    "/earmix/blind",
    "/earmix/section",
]


def osc_string(text):
    data = text.encode() + b"\0"
    return data + b"\0" * (-len(data) % 4)


def encode(address, *args):
    tags, payload = ",", b""
    for arg in args:
        if isinstance(arg, int):
            tags, payload = tags + "i", payload + struct.pack(">i", arg)
        elif isinstance(arg, float):
            tags, payload = tags + "f", payload + struct.pack(">f", arg)
        else:
            tags, payload = tags + "s", payload + osc_string(str(arg))
    return osc_string(address) + osc_string(tags) + payload


def read_string(data, at):
    end = data.index(b"\0", at)
    return data[at:end].decode(errors="replace"), (end // 4 + 1) * 4


def decode(data):
    """(address, [args]) of a message; ints, floats and strings only."""
    address, at = read_string(data, 0)
    tags, at = read_string(data, at)
    args = []
    for tag in tags[1:]:
        if tag == "i":
            args.append(struct.unpack_from(">i", data, at)[0])
            at += 4
        elif tag == "f":
            args.append(struct.unpack_from(">f", data, at)[0])
            at += 4
        elif tag == "s":
            text, at = read_string(data, at)
            args.append(text)
    return address, args


class Mix:
    """What earmix last said."""

    def __init__(self):
        self.lock = threading.Lock()
        self.strips = {}
        self.count = 0
        self.master = None
        self.playing = False
        self.blind = False
        self.section = ""

    def strip(self, n):
        return self.strips.setdefault(n, {"name": f"{n}", "db": None, "mute": 0, "solo": 0})

    def take(self, address, args):
        parts = address.strip("/").split("/")
        value = args[0] if args else None
        with self.lock:
            if parts[:2] == ["earmix", "strip"] and len(parts) == 4 and parts[2].isdigit():
                strip, what = self.strip(int(parts[2])), parts[3]
                if what == "name":
                    strip["name"] = value
                elif what == "fader":
                    strip["db"] = value
                elif what in ("mute", "solo"):
                    strip[what] = value
            elif address == "/earmix/strips":
                self.count = value
            elif address == "/earmix/master":
                self.master = value
            elif address == "/earmix/transport/playing":
                self.playing = bool(value)
            elif address == "/earmix/blind":
                self.blind = bool(value)
            elif address == "/earmix/section":
                self.section = value

    def draw(self):
        def level(db):
            if self.blind or db is None:
                return "blind" if self.blind else "?"
            return "off" if db == float("-inf") else f"{db:+.1f} dB"

        with self.lock:
            lines = [
                f"earmix  {'PLAYING' if self.playing else 'paused'}  section: {self.section}"
                f"{'  BLIND' if self.blind else ''}"
            ]
            for n in range(1, self.count + 1):
                s = self.strip(n)
                flags = ("M" if s["mute"] else " ") + ("S" if s["solo"] else " ")
                lines.append(f"{n:>3} {s['name'][:16]:<16} {level(s['db']):>9} {flags}")
            lines.append(f"    {'MASTER':<16} {level(self.master):>9}")
        return "\x1b[H\x1b[2J" + "\n".join(lines) + "\n> "


def command(line):
    """The message a typed line asks for, or None."""
    words = line.split()
    simple = {"p": "toggle", "0": "start", "n": "next", "b": "previous", "x": "blind",
              "u": "undo", "r": "redo", "w": "save"}
    strip = {"m": "mute", "s": "solo", "sel": "select"}
    if len(words) == 1 and words[0] in simple:
        return (SENDS[simple[words[0]]],)
    if len(words) == 2 and words[0] in strip and words[1].isdigit():
        return (SENDS[strip[words[0]]].replace("N", words[1]),)
    if len(words) == 2 and words[0] == "j" and words[1].isdigit():
        return (SENDS["section"].replace("N", words[1]),)
    if len(words) == 2 and words[0] == "master":
        return (SENDS["master"], "off" if words[1] == "off" else float(words[1]))
    if len(words) == 3 and words[0] == "pan" and words[1].isdigit():
        return (SENDS["pan"].replace("N", words[1]), float(words[2]))
    if len(words) == 2 and words[0].isdigit():
        db = "off" if words[1] == "off" else float(words[1])
        return (SENDS["fader"].replace("N", words[0]), db)
    return None


def main():
    target = sys.argv[1] if len(sys.argv) > 1 else "9000"
    host, _, port = target.rpartition(":")
    earmix = (host or "127.0.0.1", int(port))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", 0))
    sock.settimeout(2.0)
    sock.sendto(encode(SENDS["ping"]), earmix)
    try:
        if decode(sock.recv(65536))[0] != "/earmix/pong":
            raise OSError("no pong")
    except OSError:
        sys.exit(f"earmix does not answer on {earmix[0]}:{earmix[1]} (started with --osc?)")
    sock.settimeout(None)
    sock.sendto(encode(SENDS["subscribe"]), earmix)
    mix = Mix()

    def listen():
        while True:
            try:
                mix.take(*decode(sock.recv(65536)))
            except (ValueError, IndexError, struct.error):
                continue
            except OSError:
                return
            sys.stdout.write(mix.draw())
            sys.stdout.flush()

    threading.Thread(target=listen, daemon=True).start()
    try:
        for line in sys.stdin:
            if line.strip() == "q":
                break
            try:
                message = command(line)
            except ValueError:
                message = None
            if message:
                sock.sendto(encode(*message), earmix)
    except KeyboardInterrupt:
        pass
    sock.sendto(encode(SENDS["unsubscribe"]), earmix)


if __name__ == "__main__":
    main()
