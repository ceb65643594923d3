"""Turn raw column values into canonical ones: identifiers, numbers and dates.

Each parser takes a pandas Series as read from a file and returns the converted
Series plus what it had to decide, so that the loading report can say it.
Values that cannot be read become missing and are counted, never dropped here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Largest magnitude of a quantity, price or amount; infinities and larger values are unreadable.
MAX_NUMBER = 1e12
#: Excel serial day numbers accepted as dates (1954-10-03 to 2119-01-10).
EXCEL_SERIAL_RANGE = (20_000, 80_000)
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
#: Earliest transaction date accepted: online shops did not sell before it.
EARLIEST_DATE = pd.Timestamp("1990-01-01")
#: How far past the current time a date may lie (time zones run up to 14 hours ahead).
FUTURE_TOLERANCE = pd.Timedelta(days=1)

_DMY = re.compile(
    r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(:\d{2}(?:\.\d+)?)?\s*([AaPp]\.?[Mm]\.?)?)?$"
)
_ISO = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}([ T].*)?$")
_CURRENCY = re.compile(r"[£$€¥\s\u00a0'’]|EUR|GBP|USD")
#: Characters of a value or name quoted in a message.
QUOTED_CHARS = 60
#: An id written as a whole number with a decimal point and zeros, such as ``17850.0``.
DECIMAL_ID = r"^(\d+)\.0+$"


def shorten(text: object, limit: int = QUOTED_CHARS) -> str:
    """``text`` for a one-line message: control characters as spaces, cut to ``limit``."""
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", str(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Parsed:
    """A converted column, how many present values could not be read, and one example."""

    values: pd.Series
    unreadable: int = 0
    example: str | None = None
    example_position: int | None = None
    note: str | None = None
    #: Of the unreadable values, the dates that were read but lie outside the accepted range.
    out_of_range: int = 0


def parse_identifiers(raw: pd.Series) -> pd.Series:
    """Identifiers as text: ``17850.0`` becomes ``17850``; ``00001`` keeps its zeros."""
    if pd.api.types.is_float_dtype(raw.dtype):
        finite = raw.dropna()
        if (finite == np.floor(finite)).all():
            whole = pc.cast(pa.array(raw, from_pandas=True), pa.int64())
            return pd.Series(pc.cast(whole, pa.string()).to_pandas(), index=raw.index)
        return raw.astype("str").where(raw.notna(), None).astype("str")
    if pd.api.types.is_integer_dtype(raw.dtype) or pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype("str")
    text = _as_text(raw).str.strip()
    if text.str.contains(".", regex=False).any():
        text = text.str.replace(DECIMAL_ID, r"\1", regex=True)
    return text.where(text != "", None)


def parse_text(raw: pd.Series, *, strip: bool) -> pd.Series:
    """Text values; empty strings become missing; ``strip`` removes surrounding blanks."""
    text = _as_text(raw)
    if strip:
        text = text.str.strip()
    return text.where(text != "", None)


def parse_numbers(raw: pd.Series, *, decimal_comma_hint: bool = False) -> Parsed:
    """Numbers as float64, reading currency signs, thousands separators and decimal commas.

    Infinities and magnitudes above :data:`MAX_NUMBER` count as unreadable.
    """
    parsed = _parse_numbers(raw, decimal_comma_hint)
    return _masked(parsed, raw, (parsed.values.abs() > MAX_NUMBER).to_numpy())


def _parse_numbers(raw: pd.Series, decimal_comma_hint: bool) -> Parsed:
    if pd.api.types.is_bool_dtype(raw.dtype):
        return Parsed(raw.astype("float64"))
    if pd.api.types.is_numeric_dtype(raw.dtype):
        return Parsed(raw.astype("float64"))
    text = _as_text(raw)
    fast = _cast_numbers(text)
    if fast is not None:
        return Parsed(fast)
    present = text.notna() & (text.str.strip() != "")
    fast = pd.to_numeric(text, errors="coerce")
    cleaned = text.str.replace(_CURRENCY, "", regex=True)
    cleaned = cleaned.str.replace(r"^\((.*)\)$", r"-\1", regex=True)
    note = None
    style = _separator_style(cleaned[present & fast.isna()], decimal_comma_hint)
    if style == "decimal comma":
        cleaned = cleaned.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        note = "decimal commas"
    elif style == "thousands comma":
        cleaned = cleaned.str.replace(",", "", regex=False)
    values = pd.to_numeric(cleaned, errors="coerce").astype("float64")
    return _with_unreadable(values, text, present, note)


def _cast_numbers(text: pd.Series) -> pd.Series | None:
    """Plain numbers cast in one vectorised step, or ``None`` when any value needs more care."""
    try:
        values = pc.cast(pa.array(text.array), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
        return None
    return pd.Series(values.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")


def date_bounds() -> tuple[pd.Timestamp, pd.Timestamp]:
    """The earliest and latest transaction dates accepted now."""
    return EARLIEST_DATE, pd.Timestamp.now() + FUTURE_TOLERANCE


def parse_dates(raw: pd.Series) -> Parsed:
    """Timestamps from datetimes, ISO text, day/month text, YYYYMMDD numbers or Excel serials.

    Dates before :data:`EARLIEST_DATE` or later than now plus :data:`FUTURE_TOLERANCE`
    count as unreadable, and ``out_of_range`` says how many: a sale cannot happen in the
    future, and 1900-01-01 or 1970-01-01 are an empty date as a program wrote it. Kept, one
    such date would move the snapshot date, and with it the recency of every customer.
    """
    parsed = _parse_dates(raw)
    earliest, latest = date_bounds()
    values = parsed.values
    outside = (values.notna() & ((values < earliest) | (values > latest))).to_numpy()
    return _masked(parsed, raw, outside, out_of_range=True)


def _masked(
    parsed: Parsed, raw: pd.Series, bad: np.ndarray, *, out_of_range: bool = False
) -> Parsed:
    """``parsed`` with the values at ``bad`` counted as unreadable (the first one the
    example, unless there already is one); ``out_of_range`` counts them as such too."""
    if not bad.any():
        return parsed
    first = int(np.flatnonzero(bad)[0])
    return Parsed(
        parsed.values.mask(bad),
        parsed.unreadable + int(bad.sum()),
        parsed.example if parsed.unreadable else shorten(raw.iloc[first]),
        parsed.example_position if parsed.unreadable else first,
        parsed.note,
        out_of_range=int(bad.sum()) if out_of_range else parsed.out_of_range,
    )


def _parse_dates(raw: pd.Series) -> Parsed:
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return Parsed(raw.dt.tz_localize(None).astype("datetime64[ns]"))
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return Parsed(raw.astype("datetime64[ns]"))
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        return _dates_from_numbers(raw.astype("float64"))
    if raw.dtype == object:
        raw = raw.map(_datetime_to_text)
    text = _as_text(raw).str.strip()
    present = text.notna() & (text != "")
    codes, uniques = pd.factorize(text.where(present, None))
    parsed_uniques, note = _parse_date_texts(pd.Series(uniques, dtype="str"))
    values = pd.Series(
        np.where(codes >= 0, parsed_uniques.to_numpy()[np.maximum(codes, 0)], np.datetime64("NaT")),
        index=raw.index,
        dtype="datetime64[ns]",
    )
    return _with_unreadable(values, text, present, note)


def _datetime_to_text(value: object) -> object:
    if isinstance(value, (pd.Timestamp, np.datetime64)) or hasattr(value, "isoformat"):
        return pd.Timestamp(value).isoformat(sep=" ")
    return value


def _dates_from_numbers(numbers: pd.Series) -> Parsed:
    present = numbers.notna()
    finite = numbers[present]
    low, high = EXCEL_SERIAL_RANGE
    if len(finite) and finite.between(19_000_101, 21_001_231).all():
        text = numbers.astype("Int64").astype("str")
        values = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
        return _with_unreadable(values, text, present, "YYYYMMDD numbers")
    if len(finite) and finite.between(low, high).all():
        values = EXCEL_EPOCH + pd.to_timedelta(numbers, unit="D")
        return Parsed(values.dt.round("s").astype("datetime64[ns]"), note="Excel serial numbers")
    text = numbers.astype("str")
    values = pd.Series(pd.NaT, index=numbers.index, dtype="datetime64[ns]")
    return _with_unreadable(values, text, present, None)


def _parse_date_texts(texts: pd.Series) -> tuple[pd.Series, str | None]:
    """Parse distinct date strings; return timestamps aligned with ``texts`` and a note."""
    result = pd.Series(pd.NaT, index=texts.index, dtype="datetime64[ns]")
    if texts.empty:
        return result, None
    notes = []
    iso = texts.str.match(_ISO)
    if iso.any():
        normalised = texts[iso].str.replace(
            r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})", r"\1-\2-\3", regex=True
        )
        result[iso] = _to_naive(
            pd.to_datetime(normalised, format="ISO8601", errors="coerce", utc=True)
        )
    compact = texts.str.fullmatch(r"\d{8}") & result.isna()
    if compact.any():
        result[compact] = pd.to_datetime(texts[compact], format="%Y%m%d", errors="coerce")
        notes.append("YYYYMMDD numbers")
    serial = texts.str.fullmatch(r"\d{5}(\.\d+)?") & result.isna()
    if serial.any():
        numbers = texts[serial].astype("float64")
        in_range = numbers.between(*EXCEL_SERIAL_RANGE)
        result[serial] = (
            EXCEL_EPOCH + pd.to_timedelta(numbers.where(in_range), unit="D")
        ).dt.round("s")
        notes.append("Excel serial numbers")
    rest = result.isna()
    parts = _extract(texts[rest], _DMY)
    matched = parts[0].notna()
    if matched.any():
        day_first, note = _day_first(parts[matched])
        notes.append(note)
        result[parts.index[matched]] = _parse_dmy(parts[matched], day_first)
    rest = result.isna()
    if rest.any():
        result[rest] = _to_naive(
            pd.to_datetime(texts[rest], format="mixed", errors="coerce", utc=True)
        )
    return result, "; ".join(notes) or None


def _extract(texts: pd.Series, pattern: re.Pattern) -> pd.DataFrame:
    """The groups of ``pattern`` matched at the start of each text (as ``str.extract``,
    a column per group, missing where it does not match), in one pass of ``re``."""
    empty = (None,) * pattern.groups
    rows = [(found.groups() if (found := pattern.match(t)) else empty) for t in texts]
    return pd.DataFrame(rows, index=texts.index, columns=range(pattern.groups), dtype=object)


def _day_first(parts: pd.DataFrame) -> tuple[bool, str]:
    first = parts[0].astype("int64")
    second = parts[2].astype("int64")
    return day_order(bool((first > 12).any()), bool((second > 12).any()))


def day_order(first_above_12: bool, second_above_12: bool) -> tuple[bool, str]:
    """Whether dates such as ``5/1/2011`` are day first, and the note saying why, from
    whether some date has a first (or second) field above 12."""
    if first_above_12 and not second_above_12:
        return True, "day first (a first field is above 12)"
    if second_above_12:
        return False, "month first (as 12/1/2010 8:26)"
    return False, "month first: no day above 12 tells the order, so dates were read month first"


def _parse_dmy(parts: pd.DataFrame, day_first: bool) -> pd.Series:
    day, month = (parts[0], parts[2]) if day_first else (parts[2], parts[0])
    year = parts[3].astype("int64")
    year = year.where(year >= 100, year + np.where(year < 70, 2000, 1900))
    hour = parts[4].fillna("0").astype("int64")
    meridian = parts[7].fillna("").str.lower().str[0]
    hour = hour.where(meridian != "p", hour % 12 + 12).where(meridian != "a", hour % 12)
    seconds = parts[6].fillna(":0").str[1:].astype("float64")
    frame = pd.DataFrame(
        {
            "year": year,
            "month": month.astype("int64"),
            "day": day.astype("int64"),
            "hour": hour,
            "minute": parts[5].fillna("0").astype("int64"),
            "second": seconds.round().astype("int64"),
        }
    )
    return pd.to_datetime(frame, errors="coerce").astype("datetime64[ns]")


def _separator_style(text: pd.Series, decimal_comma_hint: bool) -> str | None:
    sample = text.dropna().head(5000)
    if sample.str.contains(r"\d,\d{3}\.\d", regex=True).any():
        return "thousands comma"
    if sample.str.contains(r"\d\.\d{3},\d", regex=True).any():
        return "decimal comma"
    with_comma = sample[sample.str.contains(",", regex=False)]
    if with_comma.empty:
        return None
    if with_comma.str.contains(r",(?:\d{1,2}|\d{4,})$", regex=True).any() or decimal_comma_hint:
        return "decimal comma"
    return "thousands comma"


def _with_unreadable(
    values: pd.Series, text: pd.Series, present: pd.Series, note: str | None
) -> Parsed:
    bad = present.to_numpy() & values.isna().to_numpy()
    count = int(bad.sum())
    if not count:
        return Parsed(values, note=note)
    position = int(np.flatnonzero(bad)[0])
    return Parsed(values, count, shorten(text.iloc[position]), position, note)


def _as_text(raw: pd.Series) -> pd.Series:
    if raw.dtype == "str":
        return raw
    return raw.astype("str").where(raw.notna(), None).astype("str")


def _to_naive(values: pd.Series) -> pd.Series:
    return values.dt.tz_localize(None).astype("datetime64[ns]")
