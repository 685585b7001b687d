#!/usr/bin/python3
"""A real SMTP server (aiosmtpd, Debian's python3-aiosmtpd) for coinlake's e-mail channel test.

    smtp_sink.py DIR MODE CERT KEY

Listens on a free port of 127.0.0.1, writes it to DIR/port once listening, and keeps each
message it accepts as DIR/NNN.eml (the envelope in DIR/NNN.json). MODE:
  starttls  offers STARTTLS with CERT/KEY and refuses MAIL before it (require_starttls);
  plain     offers no TLS at all (a client must refuse to send);
  tls       TLS from the first byte (smtps).
A recipient whose local part is "tempfail" is answered 451, "reject" 550.
"""
import asyncio
import json
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        if local == "tempfail":
            return "451 4.3.0 Try again later"
        if local == "reject":
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, "%03d" % self.count)
        with open(base + ".json", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                       "tls": session.ssl is not None}, f)
        data = envelope.original_content or envelope.content
        with open(base + ".eml.tmp", "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 2.0.0 Message accepted"


async def main():
    directory, mode, cert, key = sys.argv[1:5]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    sink = Sink(directory)

    def factory():
        if mode == "starttls":
            return SMTP(sink, tls_context=context, require_starttls=True, hostname="localhost")
        return SMTP(sink, hostname="localhost")

    server = await asyncio.get_running_loop().create_server(
        factory, "127.0.0.1", 0, ssl=context if mode == "tls" else None)
    port = server.sockets[0].getsockname()[1]
    with open(os.path.join(directory, "port.tmp"), "w") as f:
        f.write(str(port))
    os.rename(os.path.join(directory, "port.tmp"), os.path.join(directory, "port"))
    async with server:
        await server.serve_forever()


asyncio.run(main())
