#!/usr/bin/python3
"""SMTP sink for the orgbridge integration tests.

Accepts every message on 127.0.0.1:PORT and writes each one as a file in
--dir, named so that sorting the names gives the arrival order. A file is
written under a dot-name and renamed, so a reader never sees half a message.
The envelope is prepended as X-Envelope-From / X-Envelope-To headers.

Run with /usr/bin/python3 (Debian's python3-aiosmtpd). When listening it
prints "ready" on stdout and, with --ready-file, creates that file.
"""
import argparse
import os
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, maildir):
        self.maildir = maildir
        self.lock = threading.Lock()
        # Continue the numbering after a restart on the same directory.
        self.seq = 0
        for name in os.listdir(maildir):
            head = name.split("-", 1)[0]
            if head.isdigit():
                self.seq = max(self.seq, int(head))

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.seq += 1
            name = "%08d-%d.eml" % (self.seq, os.getpid())
        head = "X-Envelope-From: %s\r\nX-Envelope-To: %s\r\n" % (
            envelope.mail_from,
            ", ".join(envelope.rcpt_tos),
        )
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        tmp = os.path.join(self.maildir, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(head.encode("utf-8", "surrogateescape"))
            f.write(content)
        os.rename(tmp, os.path.join(self.maildir, name))
        return "250 OK"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--ready-file")
    args = ap.parse_args()

    os.makedirs(args.dir, exist_ok=True)
    controller = Controller(
        Sink(args.dir),
        hostname="127.0.0.1",
        port=args.port,
        decode_data=False,
        enable_SMTPUTF8=True,
    )
    # Before "ready": a SIGTERM right after it must not find Python's
    # default action (death by signal, which the harness reports as a
    # failed stop).
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        controller.start()
    except Exception as e:  # port taken: the harness retries elsewhere
        print("smtp_server: cannot listen on 127.0.0.1:%d: %s" % (args.port, e),
              file=sys.stderr)
        return 1
    print("ready", flush=True)
    if args.ready_file:
        with open(args.ready_file, "w") as f:
            f.write("ready\n")

    while not stop.wait(1.0):
        pass
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
