"""Sends one message with Python's smtplib and prints what happened as one JSON line.

Used by the testing kit's tests to drive a real client into each scripted fault:
  smtp_client.py PORT FROM TO[,TO...] [--timeout S] [--starttls CAFILE] [--login USER PASSWORD]
"""
import json
import smtplib
import socket
import ssl
import sys
from email.message import EmailMessage


def main(argv):
    port, sender, recipients = int(argv[0]), argv[1], argv[2].split(",")
    timeout, cafile, login = 5.0, None, None
    rest = argv[3:]
    while rest:
        opt = rest.pop(0)
        if opt == "--timeout":
            timeout = float(rest.pop(0))
        elif opt == "--starttls":
            cafile = rest.pop(0)
        elif opt == "--login":
            login = (rest.pop(0), rest.pop(0))
        else:
            raise SystemExit("unknown option " + opt)

    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = "from smtplib"
    msg.set_content("Hello from Python's smtplib.\n" + "line of content\n" * 200)

    result = {"outcome": "sent"}
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=timeout) as smtp:
            if cafile:
                smtp.starttls(context=ssl.create_default_context(cafile=cafile))
            if login:
                smtp.login(*login)
            refused = smtp.send_message(msg, from_addr=sender, to_addrs=recipients)
            if refused:
                result["refused"] = {k: v[0] for k, v in refused.items()}
    except smtplib.SMTPRecipientsRefused as e:
        result = {"outcome": "SMTPRecipientsRefused",
                  "refused": {k: v[0] for k, v in e.recipients.items()}}
    except smtplib.SMTPResponseException as e:  # SMTPConnectError, SMTPDataError, ...
        result = {"outcome": type(e).__name__, "code": e.smtp_code}
    except smtplib.SMTPServerDisconnected as e:
        result = {"outcome": "SMTPServerDisconnected", "detail": str(e)}
    except (socket.timeout, TimeoutError) as e:
        result = {"outcome": "timeout", "detail": str(e)}
    except OSError as e:  # connection reset and the like
        result = {"outcome": "OSError", "detail": str(e)}
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1:])
