import { describe, expect, it } from 'vitest';
import { deriveSeed, Random } from '../../../bench/data/random.ts';
import {
  createTableSql,
  formatCents,
  MARKET_SEGMENTS,
  NATIONS,
  ORDER_PRIORITIES,
  REGIONS,
  retailPriceCents,
  SHIP_INSTRUCTIONS,
  SHIP_MODES,
  TPCH_SCHEMA,
  TPCH_TABLES,
  type TpchTable,
  tpchRows,
  tpchScale,
  tpchTsvChunks,
} from '../../../bench/data/tpch.ts';

const LINEITEM = 4_000;
const rows = (table: TpchTable, seed = 7, lineitem = LINEITEM) => [...tpchRows(table, { lineitem, seed })];
const cents = (text: unknown) => Math.round(Number(text) * 100);

describe('seeded PRNG', () => {
  it('repeats for a seed and differs between seeds', () => {
    const draw = (seed: number) =>
      Array.from(
        { length: 5 },
        (
          (r) => () =>
            r.nextUint32()
        )(new Random(seed)),
      );
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
    expect(deriveSeed(1, 2, 3)).toBe(deriveSeed(1, 2, 3));
    expect(deriveSeed(1, 2, 3)).not.toBe(deriveSeed(1, 3, 2));
    expect(deriveSeed(1, 2 ** 32)).not.toBe(deriveSeed(1, 0));
  });

  it('draws integers over the whole closed range', () => {
    const random = new Random(3);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(random.int(1, 7));
    expect([...seen].sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('TPC-H-shaped generator', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    for (const table of TPCH_TABLES) {
      expect(rows(table, 7)).toEqual(rows(table, 7));
    }
    expect(rows('lineitem', 7)).not.toEqual(rows('lineitem', 8));
    expect(rows('customer', 7)).not.toEqual(rows('customer', 8));
    expect([...tpchTsvChunks('orders', { lineitem: LINEITEM, seed: 7 })].join('')).toBe(
      [...tpchTsvChunks('orders', { lineitem: LINEITEM, seed: 7 })].join(''),
    );
  });

  it('scales every table from the lineitem rows, with a minimum of 10', () => {
    expect(tpchScale(6_000_000)).toEqual({
      region: 5,
      nation: 25,
      supplier: 10_000,
      customer: 150_000,
      part: 100_000,
      partsupp: 400_000,
      orders: 1_500_000,
      lineitem: 6_000_000,
    });
    expect(tpchScale(10)).toMatchObject({ supplier: 10, customer: 10, part: 10, orders: 10, lineitem: 10 });
    expect(() => tpchScale(9)).toThrow(/at least 10/);
    expect(() => tpchScale(1.5)).toThrow(/integer/);
    for (const lineitem of [10, 37, 4_000, 4_003]) {
      const scale = tpchScale(lineitem);
      for (const table of TPCH_TABLES) {
        expect(rows(table, 1, lineitem), `${table} at ${lineitem}`).toHaveLength(scale[table]);
      }
    }
  });

  it('writes rows with one value per schema column and distinct primary keys', () => {
    for (const table of TPCH_TABLES) {
      const { columns, primaryKey } = TPCH_SCHEMA[table];
      const all = rows(table);
      const keyIndexes = primaryKey.map((key) => columns.findIndex((column) => column.name === key));
      const keys = new Set(all.map((row) => keyIndexes.map((index) => row[index]).join('|')));
      expect(keys.size, table).toBe(all.length);
      for (const row of all) expect(row, table).toHaveLength(columns.length);
    }
    expect(TPCH_SCHEMA.lineitem.columns).toHaveLength(16);
  });

  it('keeps text within the declared CHAR/VARCHAR widths and free of TSV specials and NULLs', () => {
    for (const table of TPCH_TABLES) {
      for (const row of rows(table)) {
        TPCH_SCHEMA[table].columns.forEach((column, index) => {
          const value = row[index];
          expect(value, `${table}.${column.name}`).not.toBeNull();
          const width = /CHAR\((\d+)\)/.exec(column.type);
          if (width) {
            expect(typeof value).toBe('string');
            expect((value as string).length, `${table}.${column.name}`).toBeLessThanOrEqual(Number(width[1]));
            expect(value as string).not.toMatch(/[\t\n\\]/);
          }
        });
      }
    }
  });

  it("lists four distinct suppliers per part in partsupp, and every lineitem's part and supplier is one of them", () => {
    for (const lineitem of [10, 4_000]) {
      const scale = tpchScale(lineitem);
      const pairs = new Set(rows('partsupp', 1, lineitem).map((row) => `${row[0]}|${row[1]}`));
      expect(pairs.size).toBe(scale.part * 4);
      for (const line of rows('lineitem', 1, lineitem)) expect(pairs.has(`${line[1]}|${line[2]}`)).toBe(true);
    }
  });

  it('draws lineitem values from the TPC-H domains', () => {
    const scale = tpchScale(LINEITEM);
    for (const row of rows('lineitem')) {
      const [, partKey, suppKey, line, quantity, price, discount, tax, flag, status, ship, commit, receipt] =
        row;
      expect(partKey).toBeGreaterThanOrEqual(1);
      expect(partKey).toBeLessThanOrEqual(scale.part);
      expect(suppKey).toBeGreaterThanOrEqual(1);
      expect(suppKey).toBeLessThanOrEqual(scale.supplier);
      expect(line).toBeGreaterThanOrEqual(1);
      expect(line).toBeLessThanOrEqual(7);
      expect(cents(quantity) % 100).toBe(0);
      expect(cents(quantity) / 100).toBeGreaterThanOrEqual(1);
      expect(cents(quantity) / 100).toBeLessThanOrEqual(50);
      expect(cents(price)).toBe((cents(quantity) / 100) * retailPriceCents(partKey as number));
      expect(cents(discount)).toBeGreaterThanOrEqual(0);
      expect(cents(discount)).toBeLessThanOrEqual(10);
      expect(cents(tax)).toBeGreaterThanOrEqual(0);
      expect(cents(tax)).toBeLessThanOrEqual(8);
      for (const date of [ship, commit, receipt] as string[]) {
        expect(date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(date >= '1992-01-01' && date <= '1998-12-31', date).toBe(true);
      }
      expect((receipt as string) > (ship as string)).toBe(true);
      expect(status).toBe((ship as string) > '1995-06-17' ? 'O' : 'F');
      if ((receipt as string) <= '1995-06-17') expect(['R', 'A']).toContain(flag);
      else expect(flag).toBe('N');
      expect(SHIP_INSTRUCTIONS).toContain(row[13]);
      expect(SHIP_MODES).toContain(row[14]);
    }
    const flags = new Set(rows('lineitem').map((row) => row[8]));
    expect([...flags].sort()).toEqual(['A', 'N', 'R']);
    expect(new Set(rows('lineitem').map((row) => row[14])).size).toBe(SHIP_MODES.length);
  });

  it('keeps lineitem, orders, customer, supplier, nation and region consistent', () => {
    const orders = new Map(rows('orders').map((row) => [row[0], row]));
    const lines = rows('lineitem');
    const byOrder = new Map<unknown, typeof lines>();
    for (const line of lines) byOrder.set(line[0], [...(byOrder.get(line[0]) ?? []), line]);
    // Every line belongs to an order, and every order has 1 to 7 lines numbered from 1.
    for (const line of lines) expect(orders.has(line[0])).toBe(true);
    expect(byOrder.size).toBe(orders.size);
    for (const [key, order] of orders) {
      const own = byOrder.get(key)!;
      expect(own.length).toBeGreaterThanOrEqual(1);
      expect(own.length).toBeLessThanOrEqual(7);
      expect(own.map((line) => line[3])).toEqual(own.map((_, index) => index + 1));
      const statuses = new Set(own.map((line) => line[9]));
      expect(order[2]).toBe(statuses.size === 2 ? 'P' : [...statuses][0]);
      const total = own.reduce(
        (sum, line) =>
          sum + Math.round((cents(line[5]) * (100 + cents(line[7])) * (100 - cents(line[6]))) / 10000),
        0,
      );
      expect(cents(order[3])).toBe(total);
      expect((order[4] as string) >= '1992-01-01' && (order[4] as string) <= '1998-12-31').toBe(true);
      for (const line of own) expect((line[10] as string) > (order[4] as string)).toBe(true);
      expect(ORDER_PRIORITIES).toContain(order[5]);
    }
    const customers = new Map(rows('customer').map((row) => [row[0], row]));
    for (const order of orders.values()) {
      expect(customers.has(order[1])).toBe(true);
      expect((order[1] as number) % 3).not.toBe(0);
    }
    for (const customer of customers.values()) {
      expect(MARKET_SEGMENTS).toContain(customer[6]);
      expect(customer[4]).toMatch(new RegExp(`^${(customer[3] as number) + 10}-\\d{3}-\\d{3}-\\d{4}$`));
    }
    const nations = rows('nation');
    expect(nations.map((row) => [row[1], row[2]])).toEqual(NATIONS.map(([name, region]) => [name, region]));
    expect(rows('region').map((row) => row[1])).toEqual([...REGIONS]);
    for (const nation of nations) expect(nation[2]).toBeLessThan(REGIONS.length);
    const regionsUsed = new Set(nations.map((nation) => nation[2]));
    expect(regionsUsed.size).toBe(5);
    for (const table of ['customer', 'supplier'] as const) {
      for (const row of rows(table)) {
        expect(row[3]).toBeGreaterThanOrEqual(0);
        expect(row[3]).toBeLessThan(25);
      }
    }
    const parts = new Map(rows('part').map((row) => [row[0], row]));
    for (const line of lines) expect(cents(parts.get(line[1])![7])).toBe(retailPriceCents(line[1] as number));
  });

  it('streams TSV in bounded chunks that parse back to the rows', () => {
    const chunks = [...tpchTsvChunks('lineitem', { lineitem: 20_000, seed: 7 })];
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThan(300 * 1024);
      expect(chunk.endsWith('\n')).toBe(true);
    }
    const lines = chunks.join('').split('\n').slice(0, -1);
    const expected = rows('lineitem', 7, 20_000);
    expect(lines).toHaveLength(expected.length);
    expect(lines[123]!.split('\t')).toEqual(expected[123]!.map(String));
  });

  it('formats cents exactly', () => {
    expect(formatCents(0)).toBe('0.00');
    expect(formatCents(5)).toBe('0.05');
    expect(formatCents(123456)).toBe('1234.56');
    expect(formatCents(-99999)).toBe('-999.99');
    expect(formatCents(-5)).toBe('-0.05');
  });

  it('makes DDL with primary keys and optional native partitions of lineitem', () => {
    const lineitem = createTableSql('lineitem');
    expect(lineitem).toMatch(/^CREATE TABLE `lineitem` \(/);
    expect(lineitem).toContain('`l_quantity` DECIMAL(15,2) NOT NULL');
    expect(lineitem).toContain('PRIMARY KEY (`l_orderkey`, `l_linenumber`)');
    expect(lineitem).not.toContain('PARTITION');
    expect(createTableSql('lineitem', { partitions: 4 })).toMatch(
      /PARTITION BY HASH\(`l_orderkey`\) PARTITIONS 4$/,
    );
    expect(createTableSql('orders', { partitions: 4 })).not.toContain('PARTITION');
    expect(() => createTableSql('lineitem', { partitions: 0 })).toThrow(/partitions/);
  });
});
