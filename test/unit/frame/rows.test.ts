import {
  makeData,
  makeVector,
  Table,
  TimeMicrosecond,
  TimeSecond,
  TimestampMicrosecond,
  TimestampSecond,
  vectorFromArray,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { arrowToRows } from '../../../src/frame/rows.ts';

/** A column of stored 64-bit values (a timestamp or time in its unit), NULL where null. */
const int64Column = (
  type: TimestampMicrosecond | TimestampSecond | TimeMicrosecond,
  values: (bigint | null)[],
) =>
  makeVector(
    makeData({
      type,
      length: values.length,
      nullCount: values.filter((v) => v === null).length,
      nullBitmap: Uint8Array.from([values.reduce((bits, v, i) => (v === null ? bits : bits | (1 << i)), 0)]),
      data: BigInt64Array.from(values.map((v) => v ?? 0n)),
      // makeData's overloads do not take int64 `data` for these types; the stored values are the point.
    } as never),
  );

describe('arrowToRows', () => {
  it('keeps every microsecond of timestamps far from 1970', () => {
    const micros = [
      253402300799999999n, // 9999-12-31 23:59:59.999999
      -30610224000000000n, // 1000-01-01 00:00:00
      1n, // 1970-01-01 00:00:00.000001
      null,
    ];
    const table = new Table({ ts: int64Column(new TimestampMicrosecond(), micros) });
    expect(arrowToRows(table).map((row) => row.ts)).toEqual([
      '9999-12-31 23:59:59.999999',
      '1000-01-01 00:00:00',
      '1970-01-01 00:00:00.000001',
      null,
    ]);
  });

  it('reads timestamps in seconds', () => {
    const table = new Table({ ts: int64Column(new TimestampSecond(), [951868799n]) });
    expect(arrowToRows(table)[0]!.ts).toBe('2000-02-29 23:59:59');
  });

  it('shows TIME as the database does: signed, hours past 24, fraction when there is one', () => {
    const table = new Table({
      t: int64Column(new TimeMicrosecond(), [3020399000000n, -1000000n, 1n, -3020399000000n, null]),
      s: vectorFromArray([45296, 0, 59, 86399, null], new TimeSecond()),
    });
    const rows = arrowToRows(table);
    expect(rows.map((row) => row.t)).toEqual([
      '838:59:59',
      '-00:00:01',
      '00:00:00.000001',
      '-838:59:59',
      null,
    ]);
    expect(rows.map((row) => row.s)).toEqual(['12:34:56', '00:00:00', '00:00:59', '23:59:59', null]);
  });
});
