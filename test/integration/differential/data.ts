/**
 * Seeded tables for the differential suite: every row is a pure function of the seed, so a
 * failing program reproduces. Values cover what a query engine gets wrong first: NULLs in every
 * nullable column, signed and unsigned integer edges (BIGINT UNSIGNED above 2^63), DECIMAL edges,
 * dates around leap days and the epoch, and join keys that repeat, go missing or are NULL.
 *
 * Strings stay lower-case ASCII letters, digits, '-' and ' ' without trailing blanks: MariaDB's
 * default collation is case- and accent-insensitive and ignores trailing spaces, which a local
 * engine comparing code points would not (and should not have to) imitate. Only `padded` has
 * blanks at its ends, and the programs use it for trim/length alone.
 */
import { Random } from '../../../bench/data/random.ts';
import { withSession } from '../../../src/db/driver.ts';
import type { DbEndpoint } from '../../../src/db/endpoint.ts';
import { type TsvValue, tsvLine } from '../../../src/db/tsv.ts';
import { quoteIdentifier } from '../../../src/sql/identifiers.ts';

export const DIFF_DATABASE = 'sluice_diff';

export type DiffValue = TsvValue | Buffer;

export interface DiffTable {
  readonly name: string;
  readonly columns: readonly (readonly [name: string, type: string])[];
  readonly primaryKey: string;
  readonly rows: (random: Random) => DiffValue[][];
  /** Loaded with multi-row INSERT and parameters (BIT and BLOB values), not LOAD DATA. */
  readonly insert?: boolean;
}

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'theta', 'iota', 'kappa', 'lambda'];
const GROUPS = ['g0', 'g1', 'g2', 'g3', 'g4', 'g5'];
const DAY_MS = 86_400_000;

export const FACT_ROWS = 2000;
export const DIM_ROWS = 90;
export const EVENT_ROWS = 400;

/** `value` with probability 1 - p, else NULL. */
const maybe = <T extends DiffValue>(random: Random, p: number, value: () => T): T | null =>
  random.next() < p ? null : value();

const dateText = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);
const dayOf = (text: string) => Date.parse(`${text}T00:00:00Z`) / DAY_MS;

function cents(value: number, scale: number): string {
  const sign = value < 0 ? '-' : '';
  const digits = String(Math.abs(value)).padStart(scale + 1, '0');
  return `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

const uint64 = (random: Random): bigint => (BigInt(random.nextUint32()) << 32n) | BigInt(random.nextUint32());

/** Edge values put on fixed rows (by id) so every run has them. */
const FACT_EDGES: Record<number, Partial<Record<string, TsvValue>>> = {
  1: {
    i32: 2147483647,
    small: 127,
    u32: 4294967295,
    u64: 18446744073709551615n,
    i64: 9223372036854775807n,
    d12: '9999999999.99',
    d20: '99999999999999.999999',
    dt: '2000-02-29',
    ts: '2000-02-29 23:59:59',
  },
  2: {
    i32: -2147483648,
    small: -128,
    u32: 0,
    u64: 0n,
    i64: -9223372036854775808n,
    d12: '-9999999999.99',
    d20: '-99999999999999.999999',
    dt: '1970-01-01',
    ts: '1970-01-01 00:00:01',
  },
  3: {
    i32: 0,
    small: 0,
    u64: 9223372036854775808n,
    i64: 0n,
    d12: '0.00',
    d20: '0.000001',
    dt: '1969-12-31',
    ts: '1999-12-31 23:59:59',
  },
  4: {
    u64: 9223372036854775807n,
    d12: '0.01',
    d20: '-0.000001',
    dt: '1999-12-31',
    ts: '2000-01-01 00:00:00',
  },
  5: { u64: 18446744073709551614n, dt: '2000-01-31', ts: '2000-01-31 12:30:00' },
  6: { dt: '2001-01-31', d12: '-0.01' },
};

const facts: DiffTable = {
  name: 'facts',
  primaryKey: 'id',
  columns: [
    ['id', 'INT NOT NULL'],
    ['grp', 'VARCHAR(8)'],
    ['cat', 'CHAR(2) NOT NULL'],
    ['k', 'INT'],
    ['i32', 'INT'],
    ['small', 'TINYINT'],
    ['u32', 'INT UNSIGNED'],
    ['u64', 'BIGINT UNSIGNED'],
    ['i64', 'BIGINT'],
    ['f64', 'DOUBLE'],
    // Quarters only: a FLOAT that is exact in binary reads back the same through the text protocol.
    ['f32', 'FLOAT'],
    ['d12', 'DECIMAL(12,2)'],
    ['d20', 'DECIMAL(20,6)'],
    ['dt', 'DATE'],
    ['ts', 'DATETIME'],
    ['name', 'VARCHAR(40)'],
    ['padded', 'VARCHAR(20)'],
    ['flag', 'TINYINT(1)'],
  ],
  rows: (random) => {
    const rows: TsvValue[][] = [];
    const firstDay = dayOf('1990-01-01');
    const lastDay = dayOf('2030-12-31');
    const firstSecond = Date.UTC(1995, 0, 1) / 1000;
    const lastSecond = Date.UTC(2005, 11, 31) / 1000;
    for (let id = 1; id <= FACT_ROWS; id++) {
      const row: Record<string, TsvValue> = {
        id,
        grp: maybe(random, 0.06, () => random.pick(GROUPS)),
        cat: random.pick(['ab', 'cd', 'ef', 'gh']),
        k: maybe(random, 0.08, () => random.int(0, 59)),
        i32: maybe(random, 0.1, () => random.int(-1_000_000, 1_000_000)),
        small: maybe(random, 0.05, () => random.int(-5, 5)),
        u32: maybe(random, 0.05, () => random.nextUint32()),
        u64: maybe(random, 0.05, () => uint64(random)),
        i64: maybe(random, 0.05, () => BigInt.asIntN(64, uint64(random))),
        f64: maybe(random, 0.1, () => random.int(-10_000_000_000, 10_000_000_000) / 1e6),
        f32: maybe(random, 0.05, () => random.int(-400, 400) / 4),
        d12: maybe(random, 0.08, () => cents(random.int(-10_000_000, 10_000_000), 2)),
        d20: maybe(random, 0.08, () => cents(random.int(-1_000_000_000_000, 1_000_000_000_000), 6)),
        dt: maybe(random, 0.08, () => dateText(random.int(firstDay, lastDay))),
        ts: maybe(random, 0.08, () =>
          new Date(random.int(firstSecond, lastSecond) * 1000).toISOString().slice(0, 19).replace('T', ' '),
        ),
        name: maybe(random, 0.08, () =>
          random.next() < 0.5
            ? `${random.pick(WORDS)}-${random.int(0, 99)}`
            : `${random.pick(WORDS)} ${random.pick(WORDS)}`,
        ),
        padded: maybe(
          random,
          0.05,
          () => `${' '.repeat(random.int(0, 2))}${random.pick(WORDS)}${' '.repeat(random.int(0, 2))}`,
        ),
        flag: maybe(random, 0.1, () => random.int(0, 1)),
      };
      Object.assign(row, FACT_EDGES[id]);
      rows.push(facts.columns.map(([name]) => row[name]));
    }
    return rows;
  },
};

/** Join keys 0..69: some repeat, some (60..69) match no fact, and a few are NULL. */
const dims: DiffTable = {
  name: 'dims',
  primaryKey: 'dim_id',
  columns: [
    ['dim_id', 'INT NOT NULL'],
    ['k', 'INT'],
    ['d_label', 'VARCHAR(10) NOT NULL'],
    ['d_weight', 'DECIMAL(8,3)'],
    ['d_region', 'VARCHAR(10)'],
  ],
  rows: (random) =>
    Array.from({ length: DIM_ROWS }, (_, index) => [
      index + 1,
      index % 18 === 17 ? null : random.int(0, 69),
      `l${random.int(0, 40)}`,
      maybe(random, 0.1, () => cents(random.int(-99_999, 999_999), 3)),
      maybe(random, 0.1, () => random.pick(['north', 'south', 'east', 'west'])),
    ]),
};

/** Shares `k` and `grp` with facts (joins on two names), and columns to union with it. */
const events: DiffTable = {
  name: 'events',
  primaryKey: 'e_id',
  columns: [
    ['e_id', 'INT NOT NULL'],
    ['k', 'INT'],
    ['grp', 'VARCHAR(8)'],
    ['e_amount', 'DOUBLE'],
    ['e_day', 'DATE'],
    ['e_qty', 'INT NOT NULL'],
  ],
  rows: (random) => {
    const firstDay = dayOf('1995-01-01');
    return Array.from({ length: EVENT_ROWS }, (_, index) => [
      index + 1,
      maybe(random, 0.08, () => random.int(0, 64)),
      maybe(random, 0.08, () => random.pick(GROUPS)),
      maybe(random, 0.1, () => random.int(-100_000, 100_000) / 100),
      maybe(random, 0.05, () => dateText(firstDay + random.int(0, 3650))),
      random.int(0, 20),
    ]);
  },
};

/**
 * One column of each remaining MySQL type, for reads: small and unsigned integers, DECIMAL(38,10),
 * YEAR, TIME (negative and past 24 hours), fractional DATETIME, TIMESTAMP, zero dates, CHAR, TEXT,
 * ENUM (which sorts by its list order), SET, BIT, VARBINARY and BLOB.
 */
const types: DiffTable = {
  name: 'types',
  primaryKey: 't_id',
  insert: true,
  columns: [
    ['t_id', 'INT NOT NULL'],
    ['tu', 'TINYINT UNSIGNED'],
    ['si', 'SMALLINT'],
    ['su', 'SMALLINT UNSIGNED'],
    ['mi', 'MEDIUMINT'],
    ['mu', 'MEDIUMINT UNSIGNED'],
    ['d38', 'DECIMAL(38,10)'],
    ['d5', 'DECIMAL(5,0)'],
    ['yr', 'YEAR'],
    ['tm', 'TIME'],
    ['tm6', 'TIME(6)'],
    ['dt6', 'DATETIME(6)'],
    ['tstamp', 'TIMESTAMP NULL'],
    ['zd', 'DATE'],
    ['ch', 'CHAR(5)'],
    ['tx', 'TEXT'],
    ['en', "ENUM('red','green','blue')"],
    ['st', "SET('a','b','c')"],
    ['bt', 'BIT(8)'],
    ['vb', 'VARBINARY(8)'],
    ['bl', 'BLOB'],
  ],
  rows: (random) => {
    const pad = (n: number, width = 2) => String(n).padStart(width, '0');
    const time = (seconds: number) => {
      const sign = seconds < 0 ? '-' : '';
      const abs = Math.abs(seconds);
      return `${sign}${pad(Math.floor(abs / 3600))}:${pad(Math.floor(abs / 60) % 60)}:${pad(abs % 60)}`;
    };
    const edges: Record<number, Partial<Record<string, DiffValue>>> = {
      1: {
        tu: 255,
        si: -32768,
        su: 65535,
        mi: -8388608,
        mu: 16777215,
        d38: '9999999999999999999999999999.9999999999',
        d5: '99999',
        yr: 2155,
        tm: '838:59:59',
        tm6: '-838:59:59.000000',
        dt6: '9999-12-31 23:59:59.999999',
        tstamp: '2038-01-19 03:14:07',
        zd: '0000-00-00',
        bt: Buffer.from([0xff]),
      },
      2: {
        tu: 0,
        si: 32767,
        su: 0,
        mi: 8388607,
        mu: 0,
        d38: '-9999999999999999999999999999.9999999999',
        d5: '-99999',
        yr: 1901,
        tm: '-00:00:01',
        tm6: '00:00:00.000001',
        dt6: '1000-01-01 00:00:00.000000',
        tstamp: '1970-01-01 00:00:01',
        zd: '0000-00-00',
        bt: Buffer.from([0]),
      },
    };
    return Array.from({ length: 120 }, (_, index) => {
      const id = index + 1;
      const row: Record<string, DiffValue> = {
        t_id: id,
        tu: maybe(random, 0.1, () => random.int(0, 255)),
        si: maybe(random, 0.1, () => random.int(-32768, 32767)),
        su: maybe(random, 0.1, () => random.int(0, 65535)),
        mi: maybe(random, 0.1, () => random.int(-8388608, 8388607)),
        mu: maybe(random, 0.1, () => random.int(0, 16777215)),
        d38: maybe(
          random,
          0.1,
          () =>
            `${random.int(-99999999, 99999999)}${random.int(0, 99999999)}.${pad(random.int(0, 9999999999), 10)}`,
        ),
        d5: maybe(random, 0.1, () => random.int(-99999, 99999)),
        yr: maybe(random, 0.1, () => random.int(1901, 2155)),
        tm: maybe(random, 0.1, () => time(random.int(-3_000_000, 3_000_000))),
        tm6: maybe(random, 0.1, () => `${time(random.int(0, 86_399))}.${pad(random.int(0, 999_999), 6)}`),
        dt6: maybe(
          random,
          0.1,
          () =>
            `${dateText(random.int(dayOf('1990-01-01'), dayOf('2030-12-31')))} ${time(random.int(0, 86_399))}.${pad(random.int(0, 999_999), 6)}`,
        ),
        tstamp: maybe(
          random,
          0.1,
          () =>
            `${dateText(random.int(dayOf('1990-01-01'), dayOf('2030-12-31')))} ${time(random.int(0, 86_399))}`,
        ),
        zd: maybe(random, 0.1, () => (random.next() < 0.1 ? '0000-00-00' : dateText(random.int(0, 20_000)))),
        ch: maybe(random, 0.1, () => random.pick(['ab', 'abc', 'x', 'yz-1'])),
        tx: maybe(random, 0.1, () => `${random.pick(WORDS)} ${random.pick(WORDS)} ${random.int(0, 999)}`),
        en: maybe(random, 0.1, () => random.pick(['red', 'green', 'blue'])),
        st: maybe(random, 0.1, () => random.pick(['', 'a', 'b', 'a,b', 'a,c', 'a,b,c'])),
        bt: maybe(random, 0.1, () => Buffer.from([random.int(0, 255)])),
        vb: maybe(random, 0.1, () =>
          Buffer.from(Array.from({ length: random.int(0, 8) }, () => random.int(0, 255))),
        ),
        bl: maybe(random, 0.1, () =>
          Buffer.from(Array.from({ length: random.int(0, 40) }, () => random.int(0, 255))),
        ),
      };
      Object.assign(row, edges[id]);
      return types.columns.map(([name]) => row[name]);
    });
  },
};

export const DIFF_TABLES: readonly DiffTable[] = [facts, dims, events, types];

/** Drops and recreates `database` with the three tables, loaded with LOAD DATA LOCAL INFILE. */
export async function createDiffTables(server: DbEndpoint, database: string, seed: number): Promise<void> {
  await withSession(
    server,
    async (session) => {
      await session.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(database)}`);
      await session.query(
        `CREATE DATABASE ${quoteIdentifier(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`,
      );
    },
    { withoutDatabase: true },
  );
  await withSession({ ...server, database }, async (session) => {
    for (const [index, table] of DIFF_TABLES.entries()) {
      const columns = table.columns.map(([name, type]) => `${quoteIdentifier(name)} ${type}`);
      await session.query(
        `CREATE TABLE ${quoteIdentifier(table.name)} (${columns.join(', ')}, PRIMARY KEY (${quoteIdentifier(table.primaryKey)})) ENGINE=InnoDB`,
      );
      const rows = table.rows(new Random(seed * 31 + index));
      const names = table.columns.map(([name]) => name);
      let loaded = 0;
      if (table.insert) {
        const placeholders = `(${names.map(() => '?').join(', ')})`;
        for (let start = 0; start < rows.length; start += 200) {
          const chunk = rows.slice(start, start + 200);
          const result = await session.query(
            `INSERT INTO ${quoteIdentifier(table.name)} (${names.map((name) => quoteIdentifier(name)).join(', ')}) VALUES ${chunk.map(() => placeholders).join(', ')}`,
            chunk.flat(),
          );
          loaded += Number((result[0] as { affectedRows?: number }).affectedRows ?? 0);
        }
      } else {
        loaded = await session.loadInfile(
          table.name,
          names,
          rows.map((row) => tsvLine(row as TsvValue[])),
        );
      }
      const warnings = await session.query<{ Code: number; Message: string }>('SHOW WARNINGS LIMIT 3');
      if (warnings.length > 0 || loaded !== rows.length) {
        throw new Error(
          `loading ${table.name}: ${loaded} of ${rows.length} rows; ${warnings.map((w) => `${w.Code} ${w.Message}`).join('; ')}`,
        );
      }
    }
  });
}
