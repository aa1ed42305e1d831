/**
 * Civil (proleptic Gregorian) calendar arithmetic and the text forms MariaDB prints. Day numbers
 * count days since 1970-01-01 (Arrow's Date32), timestamps microseconds since the epoch (Arrow's
 * Timestamp in µs), always in UTC: the database session runs at +00:00, so no time zone is ever
 * applied, and no JS `Date` is involved (it holds milliseconds and local time).
 */

export const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
export const pad4 = (n: number) => (n < 10 ? `000${n}` : n < 100 ? `00${n}` : n < 1000 ? `0${n}` : `${n}`);
export const pad6 = (n: number) => `${n}`.padStart(6, '0');

export const isLeapYear = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
export const daysInMonth = (y: number, m: number) => (m === 2 && isLeapYear(y) ? 29 : MONTH_DAYS[m - 1]!);

/** Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The civil date of a day number (Hinnant's civil_from_days). */
export function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [m <= 2 ? era * 400 + yoe + 1 : era * 400 + yoe, m, d];
}

/** 'YYYY-MM-DD'. */
export function formatDate(y: number, m: number, d: number): string {
  return `${pad4(y)}-${pad2(m)}-${pad2(d)}`;
}

/** 'YYYY-MM-DD' of a day number (Arrow's Date32). */
export function formatDays(days: number): string {
  const [y, m, d] = civilFromDays(days);
  return formatDate(y, m, d);
}

/** 'HH:MM:SS' plus '.ffffff' when there are microseconds. */
export function formatClock(hour: number, minute: number, second: number, micro: number): string {
  const base = `${pad2(hour)}:${pad2(minute)}:${pad2(second)}`;
  return micro === 0 ? base : `${base}.${pad6(micro)}`;
}

export const MICROS_PER_DAY = 86_400_000_000;

/** A datetime from microseconds since the epoch (Arrow's Timestamp in µs). */
export function formatEpochMicros(micros: number): string {
  const days = Math.floor(micros / MICROS_PER_DAY);
  let rest = micros - days * MICROS_PER_DAY;
  const hour = Math.floor(rest / 3_600_000_000);
  rest -= hour * 3_600_000_000;
  const minute = Math.floor(rest / 60_000_000);
  rest -= minute * 60_000_000;
  const second = Math.floor(rest / 1_000_000);
  const micro = rest - second * 1_000_000;
  return `${formatDays(days)} ${formatClock(hour, minute, second, micro)}`;
}

export const MICROS_PER_DAY_BIG = 86_400_000_000n;

/** A datetime from microseconds since the epoch as a bigint (years near 9999 pass 2^53 µs). */
export function formatEpochMicrosBig(micros: bigint): string {
  let days = micros / MICROS_PER_DAY_BIG;
  let rest = micros - days * MICROS_PER_DAY_BIG;
  if (rest < 0n) {
    rest += MICROS_PER_DAY_BIG;
    days -= 1n;
  }
  const within = Number(rest);
  const hour = Math.floor(within / 3_600_000_000);
  const minute = Math.floor((within % 3_600_000_000) / 60_000_000);
  const second = Math.floor((within % 60_000_000) / 1_000_000);
  return `${formatDays(Number(days))} ${formatClock(hour, minute, second, within % 1_000_000)}`;
}

/** A TIME as MariaDB shows it: [-]HH:MM:SS[.ffffff], hours past 24 for durations. */
export function formatDuration(micros: bigint): string {
  const sign = micros < 0n ? '-' : '';
  const abs = micros < 0n ? -micros : micros;
  const seconds = abs / 1_000_000n;
  const clock = formatClock(
    Number(seconds / 3600n),
    Number((seconds / 60n) % 60n),
    Number(seconds % 60n),
    Number(abs % 1_000_000n),
  );
  return `${sign}${clock}`;
}
