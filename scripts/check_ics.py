#!/usr/bin/env python3
"""Independent check of an iCalendar (RFC 5545) file, such as the workforce roster export.

    python3 scripts/check_ics.py FILE [--expect-events N]
        [--expect 'UID=...;DTSTART=2026-03-29T03:00:00+02:00;SUMMARY=...' ...]

It checks, and prints one line per problem found:

* the raw bytes: CRLF line ends only, every physical line at most 75 octets (RFC 5545 section 3.1), valid UTF-8
  also line by line (a fold must not split a multi-octet character), no empty lines;
* that the PyPI package `icalendar` (v6 or v7) parses the file (`Calendar.from_ical`) without errors, and that the
  calendar has VERSION:2.0 and PRODID;
* every VEVENT: UID (unique), DTSTAMP in UTC, DTSTART and DTEND as date-times with a TZID (or in UTC, the only way
  RFC 5545 can name the second occurrence of a repeated local hour), DTEND after DTSTART, and a VTIMEZONE in the
  file for every TZID used;
* every VTIMEZONE against the system's zoneinfo: each change of offset happens when zoneinfo says, from
  TZOFFSETFROM to TZOFFSETTO, and at every event time the VTIMEZONE gives zoneinfo's offset;
* --expect-events N: the file has N VEVENTs;
* --expect SPEC: some VEVENT has all the KEY=VALUE pairs of SPEC (pairs separated by ';' that is followed by
  KEY=). DTSTART, DTEND, DTSTAMP, LAST-MODIFIED, CREATED and RECURRENCE-ID are compared as instants: the value
  needs an offset (2026-03-29T03:00:00+02:00 or ...Z), and the file's local times are converted with their TZID
  via zoneinfo, a repeated local time meaning its first occurrence (RFC 5545 section 3.3.5). CATEGORIES takes a
  comma-separated list. Other keys are compared with the property's text, unescaped.

Then it prints a one-line summary. Exit status: 0 when no problem was found, 1 when some were, 2 when the check
could not run (bad arguments, unreadable file, or `icalendar` not installed: pip install icalendar).
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
except ImportError:  # Python < 3.9
    print("check_ics: needs Python 3.9 or later (zoneinfo)", file=sys.stderr)
    sys.exit(2)

MAX_OCTETS = 75
REPORT_PER_KIND = 20  # raw-line problems of one kind reported one by one before summing up the rest
INSTANT_KEYS = ("DTSTART", "DTEND", "DTSTAMP", "LAST-MODIFIED", "CREATED", "RECURRENCE-ID")
PAIR_SPLIT = re.compile(r";(?=[A-Za-z][A-Za-z0-9-]*=)")


def load_icalendar():
    try:
        import icalendar
    except ImportError:
        print(
            "check_ics: the Python package 'icalendar' (v6 or v7) is not installed: pip install icalendar",
            file=sys.stderr,
        )
        sys.exit(2)
    major = str(getattr(icalendar, "__version__", "0")).split(".")[0]
    if not major.isdigit() or int(major) < 6:
        print(
            f"check_ics: needs icalendar 6 or later, found {getattr(icalendar, '__version__', '?')}: "
            "pip install --upgrade icalendar",
            file=sys.stderr,
        )
        sys.exit(2)
    return icalendar


class Problems:
    def __init__(self, file: str):
        self.file = file
        self.count = 0
        self.kinds: Counter[str] = Counter()

    def add(self, message: str, kind: str | None = None) -> None:
        self.count += 1
        if kind is not None:
            self.kinds[kind] += 1
            if self.kinds[kind] > REPORT_PER_KIND:
                return
        print(f"check_ics: {self.file}: {message}")

    def flush_kinds(self) -> None:
        for kind, n in self.kinds.items():
            if n > REPORT_PER_KIND:
                print(f"check_ics: {self.file}: ... and {n - REPORT_PER_KIND} more lines with {kind}")


# ---------------------------------------------------------------------------------------------------------------
# Raw bytes
# ---------------------------------------------------------------------------------------------------------------


def check_raw(raw: bytes, problems: Problems) -> None:
    if not raw:
        problems.add("the file is empty")
        return
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        problems.add(f"not valid UTF-8: {error}")
    if not raw.endswith(b"\r\n"):
        problems.add("the last line does not end with CRLF")

    lines = []  # (line number, content without its line break)
    start = 0
    for number, match in enumerate(re.finditer(rb"\r\n|\r|\n", raw), start=1):
        if match.group() == b"\n":
            problems.add(f"line {number}: ends with a bare LF, not CRLF", kind="a bare LF")
        elif match.group() == b"\r":
            problems.add(f"line {number}: ends with a bare CR, not CRLF", kind="a bare CR")
        lines.append((number, raw[start : match.start()]))
        start = match.end()
    if start < len(raw):
        lines.append((len(lines) + 1, raw[start:]))

    for number, content in lines:
        if len(content) > MAX_OCTETS:
            problems.add(
                f"line {number}: {len(content)} octets, more than {MAX_OCTETS}", kind=f"more than {MAX_OCTETS} octets"
            )
        if not content:
            problems.add(f"line {number}: empty line", kind="no content")
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            problems.add(
                f"line {number}: not valid UTF-8 on its own (a fold splits a multi-octet character)",
                kind="a split UTF-8 character",
            )
    problems.flush_kinds()


# ---------------------------------------------------------------------------------------------------------------
# Parsed calendar
# ---------------------------------------------------------------------------------------------------------------

_zones: dict[str, ZoneInfo | None] = {}


def zone(tzid: str) -> ZoneInfo | None:
    if tzid not in _zones:
        try:
            _zones[tzid] = ZoneInfo(tzid)
        except (ZoneInfoNotFoundError, ValueError):
            _zones[tzid] = None
    return _zones[tzid]


def single(component, key: str, problems: Problems, where: str):
    value = component.get(key)
    if isinstance(value, list):
        problems.add(f"{where}: {key} appears {len(value)} times")
        value = value[0] if value else None
    return value


@dataclass
class Observance:
    onset: datetime  # UTC
    offset_from: timedelta
    offset_to: timedelta
    kind: str


@dataclass
class EventTime:
    instant: datetime  # aware; local in the TZID's zone, or UTC
    tzid: str | None


def fmt_offset(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else "+"
    seconds = abs(seconds)
    text = f"{sign}{seconds // 3600:02}:{seconds // 60 % 60:02}"
    return text + (f":{seconds % 60:02}" if seconds % 60 else "")


def check_vtimezones(calendar, problems: Problems) -> dict[str, list[Observance]]:
    timezones: dict[str, list[Observance]] = {}
    for vtimezone in calendar.walk("VTIMEZONE"):
        tzid_prop = vtimezone.get("TZID")
        if tzid_prop is None:
            problems.add("a VTIMEZONE has no TZID")
            continue
        tzid = str(tzid_prop)
        if tzid in timezones:
            problems.add(f"VTIMEZONE {tzid} appears more than once")
        observances: list[Observance] = []
        for sub in vtimezone.subcomponents:
            if sub.name not in ("STANDARD", "DAYLIGHT"):
                continue
            where = f"VTIMEZONE {tzid} {sub.name}"
            missing = [key for key in ("DTSTART", "TZOFFSETFROM", "TZOFFSETTO") if key not in sub]
            if missing:
                problems.add(f"{where}: missing {', '.join(missing)}")
                continue
            try:
                start = single(sub, "DTSTART", problems, where).dt
                if not isinstance(start, datetime) or start.tzinfo is not None:
                    raise ValueError(f"DTSTART must be a local date-time, is {start!r}")
                offset_from = sub.decoded("TZOFFSETFROM")
                offset_to = sub.decoded("TZOFFSETTO")
            except (ValueError, TypeError) as error:
                problems.add(f"{where}: unreadable DTSTART or offset: {error}")
                continue
            onset = (start - offset_from).replace(tzinfo=timezone.utc)
            observances.append(Observance(onset, offset_from, offset_to, sub.name))
        if not observances:
            problems.add(f"VTIMEZONE {tzid} has no STANDARD or DAYLIGHT")
        observances.sort(key=lambda o: o.onset)
        timezones[tzid] = observances

        known = zone(tzid)
        if known is None:
            problems.add(f"VTIMEZONE {tzid}: not a time zone zoneinfo knows (pip install tzdata?); cannot verify it")
            continue
        for o in observances:
            if o.offset_from == o.offset_to:
                actual = o.onset.astimezone(known).utcoffset()
                if actual != o.offset_to:
                    problems.add(
                        f"VTIMEZONE {tzid} {o.kind} from {o.onset:%Y-%m-%d %H:%M:%S}Z: offset "
                        f"{fmt_offset(o.offset_to)}, zoneinfo says {fmt_offset(actual)}"
                    )
                continue
            before = (o.onset - timedelta(seconds=1)).astimezone(known).utcoffset()
            after = o.onset.astimezone(known).utcoffset()
            if (before, after) != (o.offset_from, o.offset_to):
                problems.add(
                    f"VTIMEZONE {tzid} {o.kind} at {o.onset:%Y-%m-%d %H:%M:%S}Z: "
                    f"{fmt_offset(o.offset_from)} -> {fmt_offset(o.offset_to)}, "
                    f"zoneinfo says {fmt_offset(before)} -> {fmt_offset(after)}"
                )
    return timezones


def event_time(event, key: str, problems: Problems, where: str) -> EventTime | None:
    prop = single(event, key, problems, where)
    if prop is None:
        return None
    # The wall time as written is prop.dt without its tzinfo (icalendar's to_ical() would turn a zero-offset zone
    # into "Z"); the conversion below uses zoneinfo, not whatever tzinfo icalendar attached.
    value = getattr(prop, "dt", None)
    tzid = prop.params.get("TZID")
    if isinstance(value, date) and not isinstance(value, datetime):
        problems.add(f"{where}: {key} is a DATE ({value.isoformat()}); a date-time with TZID is expected")
        return None
    if not isinstance(value, datetime):
        problems.add(f"{where}: {key} is not a date-time ({type(value).__name__})")
        return None
    if tzid:
        known = zone(str(tzid))
        if known is None:
            problems.add(f"{where}: {key} TZID={tzid} is not a time zone zoneinfo knows; cannot convert it")
            return None
        # fold=0: a repeated local time means its first occurrence, RFC 5545 section 3.3.5; a skipped one is read
        # with the offset before the gap, which is RFC 5545's "moved forward by the length of the gap".
        return EventTime(value.replace(tzinfo=known, fold=0), str(tzid))
    if value.tzinfo is None:
        problems.add(f"{where}: {key} is a floating time ({value.isoformat()}): no TZID and not UTC")
        return None
    if value.utcoffset() != timedelta(0):
        problems.add(f"{where}: {key} has an offset but no TZID ({value.isoformat()})")
        return None
    return EventTime(value.replace(tzinfo=timezone.utc), None)


def vtimezone_offset(observances: list[Observance], instant: datetime) -> timedelta | None:
    current = None
    for o in observances:
        if o.onset <= instant:
            current = o.offset_to
        else:
            break
    return current


def check_event_time(
    time: EventTime, key: str, timezones: dict[str, list[Observance]], problems: Problems, where: str
) -> None:
    if time.tzid is None:
        return
    observances = timezones.get(time.tzid)
    if observances is None:
        problems.add(f"{where}: {key} uses TZID={time.tzid}, which has no VTIMEZONE in the file")
        return
    utc = time.instant.astimezone(timezone.utc)
    given = vtimezone_offset(observances, utc)
    actual = time.instant.utcoffset()
    if given is None:
        problems.add(
            f"{where}: {key} {time.instant.isoformat()} is before the first observance of VTIMEZONE {time.tzid}"
        )
    elif given != actual:
        problems.add(
            f"{where}: {key} {time.instant.isoformat()}: VTIMEZONE {time.tzid} gives {fmt_offset(given)}, "
            f"zoneinfo {fmt_offset(actual)}"
        )


def text_of(prop) -> str:
    if isinstance(prop, list):
        return ",".join(text_of(p) for p in prop)
    return str(prop)


def categories_of(event) -> list[str]:
    props = event.get("CATEGORIES")
    if props is None:
        return []
    if not isinstance(props, list):
        props = [props]
    out: list[str] = []
    for prop in props:
        cats = getattr(prop, "cats", None)
        if cats is None:
            out.extend(part for part in str(prop).split(","))
        else:
            out.extend(str(c) for c in cats)
    return out


@dataclass
class Expectation:
    spec: str
    pairs: list[tuple[str, object]]


def parse_expectation(spec: str) -> Expectation:
    pairs: list[tuple[str, object]] = []
    for part in PAIR_SPLIT.split(spec):
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise ValueError(f"--expect {spec!r}: {part!r} is not KEY=VALUE")
        key = key.strip().upper()
        if key in INSTANT_KEYS:
            text = value.strip()
            if text.endswith(("Z", "z")):
                text = text[:-1] + "+00:00"
            try:
                instant = datetime.fromisoformat(text)
            except ValueError:
                raise ValueError(f"--expect {spec!r}: {key}={value!r} is not an ISO 8601 date-time") from None
            if instant.tzinfo is None:
                raise ValueError(
                    f"--expect {spec!r}: {key}={value!r} needs an offset, e.g. 2026-03-29T03:00:00+02:00 or ...Z"
                )
            pairs.append((key, instant))
        elif key == "CATEGORIES":
            pairs.append((key, [c.strip() for c in value.split(",")]))
        else:
            pairs.append((key, value))
    if not pairs:
        raise ValueError(f"--expect {spec!r}: no KEY=VALUE pair")
    return Expectation(spec, pairs)


def mismatches(event, times: dict[str, EventTime | None], expectation: Expectation) -> list[str]:
    """What of `expectation` this event does not have; empty when it matches."""
    out = []
    for key, expected in expectation.pairs:
        if key in INSTANT_KEYS:
            time = times.get(key)
            if time is None:
                out.append(f"{key} missing or unreadable")
            elif time.instant.astimezone(timezone.utc) != expected.astimezone(timezone.utc):
                out.append(f"{key}={time.instant.isoformat()} (expected {expected.isoformat()})")
        elif key == "CATEGORIES":
            actual = categories_of(event)
            if actual != expected:
                out.append(f"CATEGORIES={','.join(actual)} (expected {','.join(expected)})")
        elif key not in event:
            out.append(f"{key} missing")
        else:
            actual = text_of(event[key])
            if actual != expected:
                out.append(f"{key}={actual!r} (expected {expected!r})")
    return out


def check_calendar(raw: bytes, icalendar, args, problems: Problems) -> str:
    try:
        calendar = icalendar.Calendar.from_ical(raw)
    except Exception as error:  # noqa: BLE001 - any parse failure is a problem to report
        problems.add(f"icalendar cannot parse the file: {type(error).__name__}: {error}")
        return "not parsed"
    if isinstance(calendar, list):
        problems.add(f"{len(calendar)} calendars in one file")
        if not calendar:
            return "not parsed"
        calendar = calendar[0]
    if calendar.name != "VCALENDAR":
        problems.add(f"the top-level component is {calendar.name}, not VCALENDAR")
    for component in calendar.walk():
        for error in getattr(component, "errors", None) or []:
            problems.add(f"icalendar reports in {component.name}: {error}")

    version = calendar.get("VERSION")
    if version is None or str(version) != "2.0":
        problems.add(f"VERSION is {str(version) if version is not None else 'missing'}, expected 2.0")
    if not str(calendar.get("PRODID") or ""):
        problems.add("PRODID is missing")

    timezones = check_vtimezones(calendar, problems)

    events = list(calendar.walk("VEVENT"))
    uids: Counter[str] = Counter()
    event_times: list[dict[str, EventTime | None]] = []
    for index, event in enumerate(events, start=1):
        uid = single(event, "UID", problems, f"VEVENT #{index}")
        where = f"VEVENT #{index}" + (f" (UID {uid})" if uid else "")
        if not uid or not str(uid).strip():
            problems.add(f"{where}: UID is missing")
        else:
            uids[str(uid)] += 1
        for key in ("DTSTAMP", "DTSTART", "DTEND"):
            if key not in event:
                problems.add(f"{where}: {key} is missing")
        times: dict[str, EventTime | None] = {}
        for key in INSTANT_KEYS:
            if key in event:
                times[key] = event_time(event, key, problems, where)
        for key in ("DTSTAMP", "LAST-MODIFIED", "CREATED"):
            time = times.get(key)
            if time is not None and time.tzid is not None:
                problems.add(f"{where}: {key} must be in UTC, has TZID={time.tzid}")
        for key in ("DTSTART", "DTEND", "RECURRENCE-ID"):
            time = times.get(key)
            if time is not None:
                check_event_time(time, key, timezones, problems, where)
        start, end = times.get("DTSTART"), times.get("DTEND")
        if (
            start is not None
            and end is not None
            and end.instant.astimezone(timezone.utc) <= start.instant.astimezone(timezone.utc)
        ):
            problems.add(f"{where}: DTEND {end.instant.isoformat()} is not after DTSTART {start.instant.isoformat()}")
        event_times.append(times)
    for uid, n in uids.items():
        if n > 1:
            problems.add(f"UID {uid} is used by {n} events")

    if args.expect_events is not None and len(events) != args.expect_events:
        problems.add(f"{len(events)} VEVENTs, expected {args.expect_events}")

    met = 0
    for expectation in args.expectations:
        if any(not mismatches(e, t, expectation) for e, t in zip(events, event_times)):
            met += 1
            continue
        wanted_uid = next((v for k, v in expectation.pairs if k == "UID"), None)
        details = [
            f"; the VEVENT with UID {wanted_uid} has {', '.join(mismatches(e, t, expectation))}"
            for e, t in zip(events, event_times)
            if wanted_uid is not None and text_of(e.get("UID", "")) == wanted_uid
        ]
        problems.add(f"no VEVENT matches --expect {expectation.spec!r}" + "".join(details))

    parts = [f"{len(events)} VEVENT{'s' if len(events) != 1 else ''}", f"{len(timezones)} VTIMEZONE"]
    if args.expectations:
        parts.append(f"{met}/{len(args.expectations)} expectations met")
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Check an iCalendar (RFC 5545) file independently, with the PyPI package icalendar.",
        epilog="Exit status: 0 no problem, 1 problems found, 2 the check could not run.",
    )
    parser.add_argument("file", help="the .ics file to check")
    parser.add_argument("--expect-events", type=int, metavar="N", help="the file must have exactly N VEVENTs")
    parser.add_argument(
        "--expect",
        action="append",
        default=[],
        metavar="SPEC",
        help="'UID=...;DTSTART=2026-03-29T03:00:00+02:00;SUMMARY=...': some VEVENT must have all these values",
    )
    args = parser.parse_args(argv)
    try:
        args.expectations = [parse_expectation(spec) for spec in args.expect]
    except ValueError as error:
        parser.error(str(error))

    icalendar = load_icalendar()
    try:
        raw = Path(args.file).read_bytes()
    except OSError as error:
        print(f"check_ics: cannot read {args.file}: {error.strerror or error}", file=sys.stderr)
        return 2

    problems = Problems(args.file)
    check_raw(raw, problems)
    summary = check_calendar(raw, icalendar, args, problems) if raw else "empty"
    version = getattr(icalendar, "__version__", "?")
    if problems.count:
        noun = "problem" if problems.count == 1 else "problems"
        print(f"check_ics: {args.file}: FAILED, {problems.count} {noun} ({summary}; icalendar {version})")
        return 1
    print(f"check_ics: {args.file}: OK ({summary}; icalendar {version})")
    return 0


if __name__ == "__main__":
    if hasattr(signal, "SIGPIPE"):  # `check_ics.py ... | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
