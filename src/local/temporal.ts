/**
 * Dates and datetimes as MariaDB reads and prints them. Values travel as strings
 * ('YYYY-MM-DD', 'YYYY-MM-DD HH:MM:SS[.ffffff]'); arithmetic works on day numbers (days since
 * 1970-01-01, proleptic Gregorian, as Arrow's Date32) and microseconds within the day.
 */

import {
  civilFromDays,
  daysFromCivil,
  daysInMonth,
  formatClock,
  formatDate,
  MICROS_PER_DAY,
  MICROS_PER_DAY_BIG,
  pad2,
  pad6,
} from '../values/civil-date.ts';

export interface DateTimeParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  micro: number;
  /** True when the text had a time part (a DATETIME rather than a DATE). */
  hasTime: boolean;
}

export function formatDateTime(p: DateTimeParts): string {
  return `${formatDate(p.year, p.month, p.day)} ${formatClock(p.hour, p.minute, p.second, p.micro)}`;
}

/** Microseconds since the epoch, exact for every year MariaDB allows. */
export function epochMicrosBig(p: DateTimeParts): bigint {
  const within = ((p.hour * 60 + p.minute) * 60 + p.second) * 1_000_000 + p.micro;
  return BigInt(daysFromCivil(p.year, p.month, p.day)) * MICROS_PER_DAY_BIG + BigInt(within);
}

export function epochMicros(p: DateTimeParts): number {
  return (
    daysFromCivil(p.year, p.month, p.day) * MICROS_PER_DAY +
    ((p.hour * 60 + p.minute) * 60 + p.second) * 1_000_000 +
    p.micro
  );
}

const DATETIME_TEXT =
  /^\s*(\d{1,4})[-/.](\d{1,2})[-/.](\d{1,2})(?:(?:[T ]+)(\d{1,2})(?::(\d{1,2})(?::(\d{1,2})(?:\.(\d{0,6})\d*)?)?)?)?\s*$/;
const COMPACT_TEXT = /^\s*(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})(?:\.(\d{0,6})\d*)?)?\s*$/;

/**
 * A date or datetime as MariaDB reads it from text ('2020-1-5', '2020-01-05 10:11:12.5',
 * '20200105') or from a number (20200105, 20200105101112); null when it is not a valid date.
 */
export function parseDateTime(value: string | number | bigint): DateTimeParts | null {
  const text = typeof value === 'string' ? value : String(value);
  const plain = plainDate(text);
  if (plain !== undefined) return plain;
  const match = DATETIME_TEXT.exec(text) ?? COMPACT_TEXT.exec(text);
  if (!match) return null;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const hasTime = match[4] !== undefined;
  const hour = hasTime ? Number(match[4]) : 0;
  const minute = match[5] === undefined ? 0 : Number(match[5]);
  const second = match[6] === undefined ? 0 : Number(match[6]);
  const micro = match[7] ? Number(match[7].padEnd(6, '0')) : 0;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  return { year, month, day, hour, minute, second, micro, hasTime };
}

const digitAt = (text: string, index: number): number => text.charCodeAt(index) - 48;
const isDigit = (digit: number): boolean => digit >= 0 && digit <= 9;

/**
 * 'YYYY-MM-DD' exactly, as every DATE value decodes: read from the characters, without the
 * general pattern (date comparisons parse one per row). Undefined for any other text.
 */
function plainDate(text: string): DateTimeParts | null | undefined {
  if (text.length !== 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return undefined;
  let year = 0;
  for (let i = 0; i < 4; i++) {
    const digit = digitAt(text, i);
    if (!isDigit(digit)) return undefined;
    year = year * 10 + digit;
  }
  const m1 = digitAt(text, 5);
  const m2 = digitAt(text, 6);
  const d1 = digitAt(text, 8);
  const d2 = digitAt(text, 9);
  if (!(isDigit(m1) && isDigit(m2) && isDigit(d1) && isDigit(d2))) return undefined;
  const month = m1 * 10 + m2;
  const day = d1 * 10 + d2;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return { year, month, day, hour: 0, minute: 0, second: 0, micro: 0, hasTime: false };
}

/** Days since 1970-01-01 of exactly 'YYYY-MM-DD' (a DATE value's text); undefined for anything else. */
export function plainDayNumber(text: string): number | undefined {
  const parts = plainDate(text);
  return parts ? daysFromCivil(parts.year, parts.month, parts.day) : undefined;
}

const TIME_TEXT = /^\s*(-?)(\d{1,3}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{0,6})\d*)?)?\s*$/;

/** A TIME value 'HH:MM:SS[.ffffff]' (hours may exceed 23, as in MariaDB); null when not one. */
export function parseTime(
  text: string,
): { negative: boolean; hour: number; minute: number; second: number; micro: number } | null {
  const match = TIME_TEXT.exec(text);
  if (!match) return null;
  return {
    negative: match[1] === '-',
    hour: Number(match[2]),
    minute: Number(match[3]),
    second: match[4] === undefined ? 0 : Number(match[4]),
    micro: match[5] ? Number(match[5].padEnd(6, '0')) : 0,
  };
}

/** A TIME as signed microseconds ('-00:00:01' is -1000000); null when the text is no time. */
export function timeMicros(text: string): number | null {
  const time = parseTime(text);
  if (!time) return null;
  const micros = ((time.hour * 60 + time.minute) * 60 + time.second) * 1e6 + time.micro;
  return time.negative ? -micros : micros;
}

/** The canonical text of a date or datetime, so that DATE '2020-01-01' equals '2020-01-01 00:00:00'. */
export function canonicalDateTime(value: string | number | bigint): string | null {
  const parts = parseDateTime(value);
  if (!parts) return null;
  return `${formatDate(parts.year, parts.month, parts.day)} ${pad2(parts.hour)}:${pad2(parts.minute)}:${pad2(parts.second)}.${pad6(parts.micro)}`;
}

/** A date or datetime as MariaDB's number form: 20200105 or 20200105101112(.ffffff). */
export function temporalNumber(parts: DateTimeParts, withTime: boolean): number {
  const date = parts.year * 10000 + parts.month * 100 + parts.day;
  if (!withTime) return date;
  return date * 1_000_000 + parts.hour * 10000 + parts.minute * 100 + parts.second + parts.micro / 1e6;
}

/** Monday = 0 ... Sunday = 6, as MariaDB's WEEKDAY(). */
export const weekday = (days: number) => (((days + 3) % 7) + 7) % 7;

/** Adds months, clamping the day to the new month's last day (2020-01-31 + 1 month = 2020-02-29). */
export function addMonths(parts: DateTimeParts, months: number): DateTimeParts | null {
  const total = parts.year * 12 + (parts.month - 1) + months;
  const year = Math.floor(total / 12);
  const month = total - year * 12 + 1;
  if (year < 0 || year > 9999) return null;
  return { ...parts, year, month, day: Math.min(parts.day, daysInMonth(year, month)) };
}

/** Adds microseconds to a datetime; null outside MariaDB's year range 0..9999. */
export function addMicros(parts: DateTimeParts, micros: number): DateTimeParts | null {
  const total = epochMicros(parts) + micros;
  const days = Math.floor(total / MICROS_PER_DAY);
  let rest = total - days * MICROS_PER_DAY;
  const [year, month, day] = civilFromDays(days);
  if (year < 0 || year > 9999) return null;
  const hour = Math.floor(rest / 3_600_000_000);
  rest -= hour * 3_600_000_000;
  const minute = Math.floor(rest / 60_000_000);
  rest -= minute * 60_000_000;
  const second = Math.floor(rest / 1_000_000);
  const micro = Math.round(rest - second * 1_000_000);
  return { year, month, day, hour, minute, second, micro, hasTime: parts.hasTime };
}

/** A JS Date as mysql2 writes it into SQL text for a parameter: a string literal in local time, with milliseconds. */
export function formatJsDate(date: Date): string {
  const day = formatDate(date.getFullYear(), date.getMonth() + 1, date.getDate());
  const clock = `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`;
  return `${day} ${clock}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}
