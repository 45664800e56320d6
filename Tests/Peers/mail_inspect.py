#!/usr/bin/env python3
"""Parses a received message with Python's `email` package (policy=default, strict header parsing) and its
calendar parts with the `icalendar` package (PyPI, RFC 5545), and prints what SMTPTests checks as JSON.

    mail_inspect.py message.eml
"""
import json
import sys
from email import policy
from email.parser import BytesParser

import icalendar


def main():
    with open(sys.argv[1], "rb") as f:
        raw = f.read()
    message = BytesParser(policy=policy.default).parsebytes(raw)
    defects = [type(d).__name__ for d in message.defects]
    parts = []
    calendars = []
    text = None
    for part in message.walk():
        defects += [type(d).__name__ for d in part.defects]
        content_type = part.get_content_type()
        entry = {"type": content_type, "params": {k: v for k, v in part.get_params() or [] if v},
                 "filename": part.get_filename(), "disposition": part.get_content_disposition()}
        parts.append(entry)
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if content_type == "text/plain" and text is None:
            text = payload.decode("utf-8")
        if content_type in ("text/calendar", "application/ics"):
            calendar = icalendar.Calendar.from_ical(payload.decode("utf-8"))
            events = []
            for event in calendar.walk("VEVENT"):
                attendees = event.get("ATTENDEE", [])
                if not isinstance(attendees, list):
                    attendees = [attendees]
                organizer = event.get("ORGANIZER")
                events.append({
                    "uid": str(event.get("UID")),
                    "sequence": int(event.get("SEQUENCE")),
                    "summary": str(event.get("SUMMARY")),
                    "description": str(event.get("DESCRIPTION")),
                    "location": str(event.get("LOCATION")),
                    "status": str(event.get("STATUS")),
                    "dtstart": event.decoded("DTSTART").isoformat(),
                    "dtend": event.decoded("DTEND").isoformat(),
                    "dtstamp": event.decoded("DTSTAMP").isoformat(),
                    "organizer": str(organizer),
                    "organizer_cn": organizer.params.get("CN") if organizer is not None else None,
                    "attendees": [{"address": str(a), "cn": a.params.get("CN"),
                                   "partstat": a.params.get("PARTSTAT"), "rsvp": a.params.get("RSVP")}
                                  for a in attendees],
                })
            calendars.append({"part": content_type, "method": str(calendar.get("METHOD")),
                              "version": str(calendar.get("VERSION")), "events": events})
    longest = max((len(line) for line in raw.split(b"\r\n")), default=0)
    bare_lf = raw.replace(b"\r\n", b"").count(b"\n")
    print(json.dumps({
        "subject": str(message["subject"]),
        "from": str(message["from"]),
        "to": str(message["to"]),
        "date": str(message["date"]),
        "date_parsed": message["date"].datetime.isoformat() if message["date"] else None,
        "message_id": str(message["message-id"]),
        "content_type": message.get_content_type(),
        "parts": parts,
        "text": text,
        "calendars": calendars,
        "defects": defects,
        "longest_line": longest,
        "bare_lf": bare_lf,
        "eight_bit": any(b >= 0x80 for b in raw),
    }))


if __name__ == "__main__":
    main()
