"""E-mail through the province's mail relay (SMTP, optional STARTTLS and login), with the message's
attachments (a report's PDF) as MIME parts."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from routing.channels.base import DeliveryError
from routing.templates import Message


class SmtpChannel:
    def __init__(
        self, host: str, port: int, sender: str, *, starttls: bool, user: str, password: str, timeout_s: float
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.user, self.password, self.timeout_s = starttls, user, password, timeout_s

    def send(self, address: str, message: Message) -> None:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = address
        mail["Subject"] = message.subject
        # The same Message-ID on every retry lets a mail system drop a repeat.
        domain = self.sender.rpartition("@")[2] or "localhost"
        mail["Message-ID"] = make_msgid(idstring=message.message_id, domain=domain)
        mail["X-IOC-Message-Id"] = message.message_id
        mail.set_content(message.text)
        for attachment in message.attachments:
            maintype, _, subtype = attachment.mime_type.partition("/")
            mail.add_attachment(
                attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
            )
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"mail relay refused {address}: {exc.recipients}", permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"mail relay {self.host}:{self.port} failed: {exc!r}") from exc
