import { describe, expect, it } from 'vitest';
import { canonical, diffResults, valuesEqual } from '../integration/differential/compare.ts';

const same = (a: unknown, b: unknown) => valuesEqual(canonical(a), canonical(b));

describe('differential comparator: canonical values', () => {
  it('treats the driver, Arrow and a local engine spelling of one value as equal', () => {
    expect(same('42', 42)).toBe(true);
    expect(same(42n, 42)).toBe(true);
    expect(same('12.000000', 12)).toBe(true);
    expect(same(true, 1)).toBe(true);
    expect(same(false, '0')).toBe(true);
    expect(same(null, undefined)).toBe(true);
    expect(same('1995-03-15', new Date(Date.UTC(1995, 2, 15)))).toBe(true);
    expect(same('1995-03-15 00:00:00', '1995-03-15')).toBe(true);
    expect(same('2000-02-29 23:59:59.000000', new Date(Date.UTC(2000, 1, 29, 23, 59, 59)))).toBe(true);
    expect(same(new Uint8Array([1, 255]), '0x01ff')).toBe(true);
    expect(same('-838:59:59.000000', '-838:59:59')).toBe(true);
    expect(same('00:00:00.000100', '00:00:00.0001')).toBe(true);
    expect(same('00:00:01', '-00:00:01')).toBe(false);
  });

  it('keeps 64-bit integers exact', () => {
    expect(same('18446744073709551615', 18446744073709551615n)).toBe(true);
    expect(same('18446744073709551615', '18446744073709551614')).toBe(false);
    // A float engine that rounded BIGINT UNSIGNED to a double lost the last digits.
    expect(same('18446744073709551615', 2 ** 64)).toBe(false);
    expect(same('9007199254740993', 9007199254740992)).toBe(false);
  });

  it('compares doubles within the relative tolerance, and DECIMAL text digit for digit', () => {
    expect(same(0.1 + 0.2, 0.3)).toBe(true);
    expect(same(1.0000001, 1)).toBe(false);
    expect(same('1039285396.419459', '1039285396.419459')).toBe(true);
    // Q1's drift from summing doubles: one unit in the last place is a different answer.
    expect(same('1039285396.419459', '1039285396.419460')).toBe(false);
    // The scale is part of the value: MariaDB's AVG shows 4 more digits than its argument.
    expect(same('0.3333', '0.33330')).toBe(false);
    expect(same('0.3333', 1 / 3)).toBe(false);
    expect(same('-5000.50', -5000.5)).toBe(false);
    expect(
      same(
        '12345678901234567890123456789012345.123456789012345678901234567890',
        '12345678901234567890123456789012345.123456789012345678901234567891',
      ),
    ).toBe(false);
  });

  it('does not confuse NULL with zero, empty text or a string', () => {
    expect(same(null, 0)).toBe(false);
    expect(same(null, '')).toBe(false);
    expect(same('g1', 'g2')).toBe(false);
    expect(same('7', 'seven')).toBe(false);
  });
});

describe('differential comparator: results', () => {
  const columns = ['id', 'v'];
  const rows = [
    { id: 1, v: 'a' },
    { id: 2, v: null },
    { id: 3, v: 'c' },
  ];

  it('accepts the same rows in another order unless ordered', () => {
    const shuffled = [rows[2]!, rows[0]!, rows[1]!];
    expect(diffResults({ columns, rows }, { columns, rows: shuffled }, { ordered: false })).toBeUndefined();
    expect(diffResults({ columns, rows }, { columns, rows: shuffled }, { ordered: true })).toMatch(/row 0/);
  });

  it('names missing and unexpected rows of a multiset', () => {
    const diff = diffResults(
      { columns, rows },
      { columns, rows: [rows[0]!, { id: 2, v: 'b' }, rows[2]!, rows[2]!] },
      { ordered: false },
    );
    expect(diff).toContain('row count: expected 3, got 4');
    expect(diff).toContain('expected but missing (1):\n  {id: 2, v: NULL}');
    expect(diff).toContain('returned but not expected (2):');
  });

  it('counts duplicates', () => {
    expect(
      diffResults({ columns, rows: [rows[0]!, rows[0]!] }, { columns, rows: [rows[0]!] }, { ordered: false }),
    ).toContain('expected but missing (1)');
  });

  it('reports different or missing columns', () => {
    expect(diffResults({ columns, rows }, { columns: ['id'], rows }, { ordered: false })).toMatch(
      /columns differ/,
    );
    expect(
      diffResults({ columns, rows }, { columns, rows: rows.map(({ id }) => ({ id })) }, { ordered: false }),
    ).toMatch(/actual rows have keys \[id\]/);
  });
});
