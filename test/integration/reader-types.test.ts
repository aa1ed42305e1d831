import type { RecordBatch, Vector } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { withSession } from '../../src/db/driver.ts';
import { closeReaderPool, readParallel } from '../../src/reader/parallel.ts';
import { readArrow, readSchema } from '../../src/reader/read.ts';
import { decimalToString } from '../../src/values/decimal.ts';

const { single } = inject('stack');

const COLUMNS = `
  id INT NOT NULL PRIMARY KEY,
  ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED, mi MEDIUMINT, miu MEDIUMINT UNSIGNED,
  i INT, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED,
  d DECIMAL(38,10), dw DECIMAL(65,30), du DECIMAL(10,2) UNSIGNED, f FLOAT, db DOUBLE,
  dt DATE, dtm DATETIME(6), dts DATETIME, ts TIMESTAMP(6) NULL DEFAULT NULL, tm TIME(6), y YEAR,
  c CHAR(5), vc VARCHAR(40), tx TEXT, lt LONGTEXT, j JSON,
  bn BINARY(4), vb VARBINARY(10), bl BLOB,
  e ENUM('small','large'), st SET('x','y','z'),
  b1 BIT(1), b64 BIT(64), bo BOOLEAN,
  u UUID, g POINT`;

// Row 1: the low edges; row 2: the high edges; row 3: all NULL; row 4: zero dates and empties.
const INSERT = `INSERT INTO reader_types VALUES
  (1, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,
   '-1234567890123456789012345678.0123456789', '-12345678901234567890123456789012345.123456789012345678901234567890',
   0.00, -0.1, -2.2250738585072014e-308,
   '1000-01-01', '1000-01-01 00:00:00.000000', '1969-12-31 23:59:59', '1970-01-01 00:00:01.000000', '-838:59:59.000000', 1901,
   '', '😀𝄞 four-byte', 'text', REPEAT('long ', 20000), '{"a": [1, 2, {"b": null}]}',
   0xCAFE, 0x00, X'',
   'small', '', b'0', b'0', FALSE, '00000000-0000-0000-0000-000000000000', POINT(1, 2)),
  (2, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807, 18446744073709551615,
   '9999999999999999999999999999.9999999999', '99999999999999999999999999999999999.999999999999999999999999999999',
   99999999.99, 3.4028234e38, 1.7976931348623157e308,
   '9999-12-31', '9999-12-31 23:59:59.999999', '2024-02-29 12:34:56', '2038-01-19 03:14:07.999999', '838:59:59.000000', 2155,
   'abcde', 'héllo wörld', '', '', '[]',
   0xFFFFFFFF, 0xDEADBEEF00, 0x000102,
   'large', 'x,y,z', b'1', b'1111111111111111111111111111111111111111111111111111111111111111', TRUE,
   '123e4567-e89b-12d3-a456-426614174000', NULL),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9223372036854775808, 0, 0, 0, 0, 0,
   '0000-00-00', '0000-00-00 00:00:00', '2020-00-15 00:00:00', NULL, '00:00:00', 0,
   '', '', '', '', '{}', X'', X'', X'', 'small', 'y', b'1', b'101', TRUE, NULL, NULL)`;

const SELECT = 'SELECT * FROM reader_types ORDER BY id';

function column(batch: RecordBatch, name: string): Vector {
  const child = batch.getChild(name);
  if (!child) throw new Error(`no column ${name}`);
  return child;
}

function raw(batch: RecordBatch, name: string): unknown[] {
  const vector = column(batch, name);
  const values = vector.data[0]!.values as ArrayLike<unknown>;
  return Array.from({ length: vector.length }, (_, index) => (vector.isValid(index) ? values[index] : null));
}

function decimals(batch: RecordBatch, name: string, scale: number): (string | null)[] {
  return [...column(batch, name)].map((value) =>
    value === null ? null : decimalToString(value as Uint32Array, scale),
  );
}

function text(batch: RecordBatch, name: string): unknown[] {
  return [...column(batch, name)].map((value) =>
    value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value,
  );
}

const day = (date: string) => Date.parse(`${date}T00:00:00Z`) / 86_400_000;
const micros = (value: string) => {
  const [date, time] = value.split(' ');
  const [clock, fraction = ''] = time!.split('.');
  return BigInt(Date.parse(`${date}T${clock}Z`)) * 1000n + BigInt(fraction.padEnd(6, '0'));
};

async function readAll(source: AsyncIterable<RecordBatch>): Promise<RecordBatch[]> {
  const batches: RecordBatch[] = [];
  for await (const batch of source) batches.push(batch);
  return batches;
}

describe('reading every MySQL column type into Arrow', () => {
  let batch: RecordBatch;

  beforeAll(async () => {
    await withSession(single, async (session) => {
      await session.query('DROP TABLE IF EXISTS reader_types');
      await session.query(`CREATE TABLE reader_types (${COLUMNS}) DEFAULT CHARSET=utf8mb4`);
      // Zero dates need a permissive SQL mode to be stored at all.
      await session.query("SET SESSION sql_mode = ''");
      await session.query(INSERT);
    });
    const batches = await readAll(readArrow(single, SELECT));
    expect(batches).toHaveLength(1);
    batch = batches[0]!;
  });

  afterAll(async () => {
    await closeReaderPool();
  });

  it('maps each column to its Arrow type', () => {
    const types = Object.fromEntries(batch.schema.fields.map((field) => [field.name, String(field.type)]));
    expect(types).toEqual({
      id: 'Int32',
      ti: 'Int8',
      tiu: 'Uint8',
      si: 'Int16',
      siu: 'Uint16',
      mi: 'Int32',
      miu: 'Uint32',
      i: 'Int32',
      iu: 'Uint32',
      bi: 'Int64',
      biu: 'Uint64',
      d: 'Decimal[38e+10]',
      dw: 'Decimal[65e+30]',
      du: 'Decimal[10e+2]',
      f: 'Float32',
      db: 'Float64',
      dt: 'Date32<DAY>',
      dtm: 'Timestamp<MICROSECOND>',
      dts: 'Timestamp<MICROSECOND>',
      ts: 'Timestamp<MICROSECOND, UTC>',
      tm: 'Duration<MICROSECOND>',
      y: 'Int16',
      c: 'Utf8',
      vc: 'Utf8',
      tx: 'Utf8',
      lt: 'Utf8',
      j: 'Utf8',
      bn: 'Binary',
      vb: 'Binary',
      bl: 'Binary',
      e: 'Utf8',
      st: 'Utf8',
      b1: 'Bool',
      b64: 'Uint64',
      bo: 'Int8',
      u: 'Utf8',
      g: 'Binary',
    });
    expect(batch.schema.fields.find((field) => field.name === 'id')!.nullable).toBe(false);
    expect(batch.schema.fields.find((field) => field.name === 'j')!.metadata.get('mysql.type')).toBe(
      'BLOB (json)',
    );
  });

  it('keeps integers exact at the edges of every width, BIGINT UNSIGNED above 2^63 included', () => {
    expect(raw(batch, 'ti')).toEqual([-128, 127, null, 0]);
    expect(raw(batch, 'tiu')).toEqual([0, 255, null, 0]);
    expect(raw(batch, 'si')).toEqual([-32768, 32767, null, 0]);
    expect(raw(batch, 'siu')).toEqual([0, 65535, null, 0]);
    expect(raw(batch, 'mi')).toEqual([-8388608, 8388607, null, 0]);
    expect(raw(batch, 'miu')).toEqual([0, 16777215, null, 0]);
    expect(raw(batch, 'i')).toEqual([-2147483648, 2147483647, null, 0]);
    expect(raw(batch, 'iu')).toEqual([0, 4294967295, null, 0]);
    expect(raw(batch, 'bi')).toEqual([-9223372036854775808n, 9223372036854775807n, null, 0n]);
    expect(raw(batch, 'biu')).toEqual([0n, 18446744073709551615n, null, 9223372036854775808n]);
  });

  it('keeps DECIMAL exact, 38 and 65 digits included', () => {
    expect(decimals(batch, 'd', 10)).toEqual([
      '-1234567890123456789012345678.0123456789',
      '9999999999999999999999999999.9999999999',
      null,
      '0.0000000000',
    ]);
    expect(decimals(batch, 'dw', 30)).toEqual([
      '-12345678901234567890123456789012345.123456789012345678901234567890',
      '99999999999999999999999999999999999.999999999999999999999999999999',
      null,
      '0.000000000000000000000000000000',
    ]);
    expect(decimals(batch, 'du', 2)).toEqual(['0.00', '99999999.99', null, '0.00']);
  });

  it('reads floats as the server wrote them', () => {
    expect(raw(batch, 'f')).toEqual([Math.fround(-0.1), Math.fround(3.40282e38), null, 0]);
    expect(raw(batch, 'db')).toEqual([-2.2250738585072014e-308, 1.7976931348623157e308, null, 0]);
  });

  it('turns dates and times into Arrow values by arithmetic, zero dates into nulls', () => {
    expect(raw(batch, 'dt')).toEqual([day('1000-01-01'), day('9999-12-31'), null, null]);
    expect(raw(batch, 'dtm')).toEqual([
      micros('1000-01-01 00:00:00'),
      micros('9999-12-31 23:59:59.999999'),
      null,
      null,
    ]);
    // A zero month is a zero date too.
    expect(raw(batch, 'dts')).toEqual([
      micros('1969-12-31 23:59:59'),
      micros('2024-02-29 12:34:56'),
      null,
      null,
    ]);
    expect(raw(batch, 'ts')).toEqual([
      micros('1970-01-01 00:00:01'),
      micros('2038-01-19 03:14:07.999999'),
      null,
      null,
    ]);
    expect(raw(batch, 'tm')).toEqual([-3020399000000n, 3020399000000n, null, 0n]);
    expect(raw(batch, 'y')).toEqual([1901, 2155, null, null]);
  });

  it('copies text as UTF-8 (4-byte characters included) and keeps empty strings apart from NULL', () => {
    expect(text(batch, 'c')).toEqual(['', 'abcde', null, '']);
    expect(text(batch, 'vc')).toEqual(['😀𝄞 four-byte', 'héllo wörld', null, '']);
    expect(text(batch, 'tx')).toEqual(['text', '', null, '']);
    expect(text(batch, 'lt')).toEqual(['long '.repeat(20000), '', null, '']);
    expect(text(batch, 'j')).toEqual(['{"a": [1, 2, {"b": null}]}', '[]', null, '{}']);
    expect(text(batch, 'e')).toEqual(['small', 'large', null, 'small']);
    expect(text(batch, 'st')).toEqual(['', 'x,y,z', null, 'y']);
    expect(text(batch, 'u')).toEqual([
      '00000000-0000-0000-0000-000000000000',
      '123e4567-e89b-12d3-a456-426614174000',
      null,
      null,
    ]);
  });

  it('copies bytes as they are', () => {
    expect(text(batch, 'bn')).toEqual(['cafe0000', 'ffffffff', null, '00000000']);
    expect(text(batch, 'vb')).toEqual(['00', 'deadbeef00', null, '']);
    expect(text(batch, 'bl')).toEqual(['', '000102', null, '']);
    // POINT(1, 2) in the server's format: SRID, then WKB.
    expect(text(batch, 'g')).toEqual([
      '000000000101000000000000000000f03f0000000000000040',
      null,
      null,
      null,
    ]);
  });

  it('reads BIT(1) as booleans, wider BITs as unsigned integers, BOOLEAN as TINYINT', () => {
    expect(text(batch, 'b1')).toEqual([false, true, null, true]);
    expect(raw(batch, 'b64')).toEqual([0n, 18446744073709551615n, null, 5n]);
    expect(raw(batch, 'bo')).toEqual([0, 1, null, 1]);
  });

  it('describes the same schema without running the query', async () => {
    const schema = await readSchema(single, SELECT);
    expect(schema.fields.map((field) => `${field.name} ${field.type} ${field.nullable}`)).toEqual(
      batch.schema.fields.map((field) => `${field.name} ${field.type} ${field.nullable}`),
    );
  });

  it('yields one empty batch with the schema when the query returns no rows', async () => {
    const batches = await readAll(readArrow(single, 'SELECT * FROM reader_types WHERE id > ?', [100]));
    expect(batches.map((each) => each.numRows)).toEqual([0]);
    expect(String(batches[0]!.schema.fields[10]!.type)).toBe('Uint64');
  });

  it('reads the same values on a worker thread', async () => {
    const batches = await readAll(
      readParallel([{ label: 'all', endpoint: single, sql: SELECT, params: [] }]),
    );
    expect(batches).toHaveLength(1);
    const parallel = batches[0]!;
    expect(parallel.schema.fields.map(String)).toEqual(batch.schema.fields.map(String));
    for (const field of batch.schema.fields) {
      const here = batch.getChild(field.name)!;
      const there = parallel.getChild(field.name)!;
      expect(there.nullCount, field.name).toBe(here.nullCount);
      expect(
        Buffer.from(
          there.data[0]!.values.buffer,
          there.data[0]!.values.byteOffset,
          there.data[0]!.values.byteLength,
        ),
      ).toEqual(
        Buffer.from(
          here.data[0]!.values.buffer,
          here.data[0]!.values.byteOffset,
          here.data[0]!.values.byteLength,
        ),
      );
    }
  });

  it('reads numbers, DECIMALs and strings in the binary protocol with the bytes of the text protocol', async () => {
    // Every column type the binary decoder takes (dates, times, FLOAT, BIT and geometry stay on text).
    const names =
      'id, ti, tiu, si, siu, mi, miu, i, iu, bi, biu, d, dw, du, db, y, c, vc, tx, lt, j, bn, vb, bl, e, st, bo, u';
    const sql = `SELECT ${names}, db / 3 AS db3, 0.1e0 + ? AS p FROM reader_types WHERE id <> ? ORDER BY id`;
    // A DOUBLE with fixed decimals is rounded to them as text: such a statement stays on text.
    const fixed =
      'SELECT id, STDDEV(i) AS sd, CAST(db AS DOUBLE(30,2)) AS d2 FROM reader_types GROUP BY id ORDER BY id';
    const executes = async () => {
      const [row] = await withSession(single, (session) =>
        session.query<{ Value: string }>("SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'"),
      );
      return Number(row!.Value);
    };
    const before = await executes();
    const [binary] = await readAll(readArrow(single, sql, [0.2, 100]));
    expect(await executes()).toBeGreaterThan(before);
    const [text] = await readAll(readArrow(single, sql, [0.2, 100], { protocol: 'text' }));
    expect(binary!.numRows).toBe(4);
    expect(binary!.schema.fields.map(String)).toEqual(text!.schema.fields.map(String));
    for (const field of text!.schema.fields) {
      const a = binary!.getChild(field.name)!.data[0]!;
      const b = text!.getChild(field.name)!.data[0]!;
      expect(a.nullCount, field.name).toBe(b.nullCount);
      for (let row = 0; row < b.length; row++) {
        expect(binary!.getChild(field.name)!.isValid(row), `${field.name} row ${row}`).toBe(
          text!.getChild(field.name)!.isValid(row),
        );
      }
      const bytes = (data: typeof a) => {
        const buffers = [data.values, data.valueOffsets].filter((buffer) => buffer !== undefined);
        return buffers.map((buffer) =>
          Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength).toString('hex'),
        );
      };
      // Values of NULL rows are not part of the answer: compare the rows that have one.
      const values = (data: typeof a, child: Vector) =>
        Array.from({ length: data.length }, (_, row) => (child.isValid(row) ? String(child.get(row)) : null));
      expect(values(a, binary!.getChild(field.name)!), field.name).toEqual(
        values(b, text!.getChild(field.name)!),
      );
      if (a.nullCount === 0) expect(bytes(a), field.name).toEqual(bytes(b));
    }
    expect(Number(binary!.getChild('p')!.get(0))).toBe(0.1 + 0.2);
    const [rounded] = await readAll(readArrow(single, fixed));
    const [asText] = await readAll(readArrow(single, fixed, [], { protocol: 'text' }));
    expect(rounded!.toArray().map(String)).toEqual(asText!.toArray().map(String));
  });

  it('sends parameters safely, whatever they contain', async () => {
    const hostile = ["'; DROP TABLE reader_types; --", 'back\\slash', '😀', "O'Brien"];
    const batches = await readAll(readArrow(single, 'SELECT ? AS a, ? AS b, ? AS c, ? AS d', hostile));
    expect(Object.values(batches[0]!.get(0)!.toJSON())).toEqual(hostile);
    const [row] = await withSession(single, (session) =>
      session.query('SELECT COUNT(*) AS n FROM reader_types'),
    );
    expect(Number(row!.n)).toBe(4);
  });
});

describe('decoded values agree with the server, row by row', () => {
  const ROWS = 5000;

  beforeAll(async () => {
    await withSession(single, async (session) => {
      await session.query('DROP TABLE IF EXISTS reader_values');
      await session.query(
        'CREATE TABLE reader_values (id INT PRIMARY KEY, big BIGINT, amount DECIMAL(20,4), ratio DOUBLE, ' +
          'day DATE, at DATETIME(6), label VARCHAR(30)) DEFAULT CHARSET=utf8mb4',
      );
      // The server generates the values, so the test does not share the decoder's assumptions.
      await session.query('SET SESSION max_recursive_iterations = ?', [ROWS + 1]);
      await session.query(
        `INSERT INTO reader_values
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS})
         SELECT i,
           IF(i % 17 = 0, NULL, (i * 2654435761) % 9223372036854775807 * IF(i % 2, -1, 1)),
           IF(i % 13 = 0, NULL, ((i * 7919) % 100000000000) / 10000 * IF(i % 3, 1, -1)),
           IF(i % 11 = 0, NULL, SIN(i) * POW(10, i % 40 - 20)),
           IF(i % 7 = 0, NULL, DATE_ADD('1900-01-01', INTERVAL (i * 37) % 70000 DAY)),
           IF(i % 5 = 0, NULL, DATE_ADD('1950-06-15 12:00:00', INTERVAL (i * 7777777) % 3000000000000 MICROSECOND) + INTERVAL i DAY),
           IF(i % 9 = 0, NULL, CONCAT('row ', i, IF(i % 4 = 0, ' é😀', '')))
         FROM n`,
      );
    });
  });

  it('matches the text the server sends, for every value', async () => {
    // Doubles are compared with the server's own text parsed by JS: mysql2's float parser is
    // sometimes one unit in the last place off (e.g. 95105465325.43747 read as ...43748).
    const expected = (
      await withSession(single, (session) =>
        session.query<Record<string, string | number | null>>(
          'SELECT id, CAST(big AS CHAR) AS big, CAST(amount AS CHAR) AS amount, CAST(ratio AS CHAR) AS ratio, ' +
            'CAST(day AS CHAR) AS day, CAST(at AS CHAR) AS at, label FROM reader_values ORDER BY id',
        ),
      )
    ).map((row) => ({ ...row, ratio: row.ratio === null ? null : Number(row.ratio) }));
    const batches = await readAll(
      readArrow(single, 'SELECT * FROM reader_values ORDER BY id', [], { batchRows: 1000 }),
    );
    expect(batches.map((batch) => batch.numRows)).toEqual([1000, 1000, 1000, 1000, 1000]);
    const formatDay = (days: number) => new Date(days * 86_400_000).toISOString().slice(0, 10);
    const formatMicros = (value: bigint) => {
      const fraction = ((value % 1_000_000n) + 1_000_000n) % 1_000_000n;
      const iso = new Date(Number((value - fraction) / 1000n)).toISOString();
      return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${String(fraction).padStart(6, '0')}`;
    };
    const actual = batches.flatMap((batch) => {
      const rows: Record<string, unknown>[] = [];
      for (let index = 0; index < batch.numRows; index++) {
        const cell = (name: string) => {
          const vector = batch.getChild(name)!;
          return vector.isValid(index) ? (vector.data[0]!.values as ArrayLike<unknown>)[index] : null;
        };
        const amount = batch.getChild('amount')!.get(index) as Uint32Array | null;
        rows.push({
          id: cell('id'),
          big: cell('big') === null ? null : String(cell('big')),
          amount: amount === null ? null : decimalToString(amount, 4),
          ratio: cell('ratio'),
          day: cell('day') === null ? null : formatDay(cell('day') as number),
          at: cell('at') === null ? null : formatMicros(cell('at') as bigint),
          label: batch.getChild('label')!.get(index),
        });
      }
      return rows;
    });
    expect(actual).toEqual(expected);
  });
});
