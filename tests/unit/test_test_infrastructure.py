"""The test helpers later suites rely on behave as promised."""
from __future__ import annotations

import smtplib
from datetime import date, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import pytest

from caseflow import clock


def test_smtp_sink_receives_mail(smtp_sink):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "caseflow@localhost", "clerk@example.com", "催办提醒"
    msg.set_content("第10号 即将到期")
    with smtplib.SMTP("127.0.0.1", smtp_sink.port) as smtp:
        smtp.send_message(msg)
    assert len(smtp_sink.messages) == 1
    received = message_from_bytes(smtp_sink.messages[0].content, policy=default)
    assert received["Subject"] == "催办提醒" and "第10号" in received.get_content()


def test_real_mail_is_forbidden():
    with pytest.raises(AssertionError, match="tried to send mail to smtp.example.com"):
        smtplib.SMTP("smtp.example.com", 25)


def test_frozen_clock(frozen_clock):
    frozen_clock(date(2024, 2, 29))
    assert clock.today() == date(2024, 2, 29)
    with pytest.raises(ValueError):
        clock.freeze(datetime(2024, 1, 1))  # naive
