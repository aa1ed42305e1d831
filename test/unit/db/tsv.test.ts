import { describe, expect, it } from 'vitest';
import { loadDataSql } from '../../../src/db/driver.ts';
import { escapeTsv, TSV_NULL, tsvField, tsvLine } from '../../../src/db/tsv.ts';

describe('TSV for LOAD DATA', () => {
  it('leaves plain text as it is', () => {
    expect(escapeTsv('plain text, with "quotes" and \'apostrophes\'')).toBe(
      'plain text, with "quotes" and \'apostrophes\'',
    );
    expect(escapeTsv('🦀 crab')).toBe('🦀 crab');
    expect(escapeTsv('')).toBe('');
  });

  it('escapes backslash, tab, newline, carriage return and NUL', () => {
    expect(escapeTsv('a\\b')).toBe('a\\\\b');
    expect(escapeTsv('a\tb')).toBe('a\\tb');
    expect(escapeTsv('a\nb')).toBe('a\\nb');
    expect(escapeTsv('a\rb')).toBe('a\\rb');
    expect(escapeTsv('a\0b')).toBe('a\\0b');
    expect(escapeTsv('\\\t\n\\')).toBe('\\\\\\t\\n\\\\');
    // A literal backslash-N in the data must not read back as NULL.
    expect(escapeTsv('\\N')).toBe('\\\\N');
  });

  it('writes NULL as \\N and other values as text', () => {
    expect(TSV_NULL).toBe('\\N');
    expect(tsvField(null)).toBe('\\N');
    expect(tsvField(undefined)).toBe('\\N');
    expect(tsvField(true)).toBe('1');
    expect(tsvField(false)).toBe('0');
    expect(tsvField(12.5)).toBe('12.5');
    expect(tsvField(9007199254740993n)).toBe('9007199254740993');
    expect(tsvField('x\ty')).toBe('x\\ty');
  });

  it('joins a row with tabs and ends it with a newline', () => {
    expect(tsvLine([1, 'a\tb', null, ''])).toBe('1\ta\\tb\t\\N\t\n');
    expect(tsvLine([])).toBe('\n');
  });

  it('builds a LOAD DATA statement with quoted identifiers and the default escaping', () => {
    const sql = loadDataSql('my`table', ['id', 'we`ird']);
    expect(sql).toContain('INTO TABLE `my``table`');
    expect(sql).toContain('(`id`, `we``ird`)');
    expect(sql).toContain("FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n'");
    expect(sql).toMatch(/^LOAD DATA LOCAL INFILE '[^']+' INTO TABLE/);
  });
});
