/**
 * A seeded generator of TPC-H-shaped data: all eight tables of the schema, with the
 * spec's column types, key relationships and value domains, scaled by the number of lineitem
 * rows. Every row is a pure function of (seed, table, key): tables stream one row at a time
 * (6M lineitem rows in bounded memory) and an order regenerates identically for `orders` and
 * `lineitem`. It is not dbgen: the values follow the spec's distributions, not its exact text.
 */

import { ConfigError } from '../../src/base/errors.ts';
import { type TsvValue, tsvLine } from '../../src/db/tsv.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';
import { deriveSeed, Random } from './random.ts';

export const TPCH_TABLES = [
  'region',
  'nation',
  'supplier',
  'customer',
  'part',
  'partsupp',
  'orders',
  'lineitem',
] as const;
export type TpchTable = (typeof TPCH_TABLES)[number];

export interface TpchColumn {
  readonly name: string;
  readonly type: string;
}

export interface TpchTableSpec {
  readonly name: TpchTable;
  readonly columns: readonly TpchColumn[];
  readonly primaryKey: readonly string[];
}

function spec(
  name: TpchTable,
  primaryKey: readonly string[],
  columns: readonly [string, string][],
): TpchTableSpec {
  return { name, primaryKey, columns: columns.map(([column, type]) => ({ name: column, type })) };
}

/** The DDL as data: column names and types of TPC-H (spec 1.4), in the order rows are generated. */
export const TPCH_SCHEMA: Readonly<Record<TpchTable, TpchTableSpec>> = {
  region: spec(
    'region',
    ['r_regionkey'],
    [
      ['r_regionkey', 'INT'],
      ['r_name', 'CHAR(25)'],
      ['r_comment', 'VARCHAR(152)'],
    ],
  ),
  nation: spec(
    'nation',
    ['n_nationkey'],
    [
      ['n_nationkey', 'INT'],
      ['n_name', 'CHAR(25)'],
      ['n_regionkey', 'INT'],
      ['n_comment', 'VARCHAR(152)'],
    ],
  ),
  supplier: spec(
    'supplier',
    ['s_suppkey'],
    [
      ['s_suppkey', 'INT'],
      ['s_name', 'CHAR(25)'],
      ['s_address', 'VARCHAR(40)'],
      ['s_nationkey', 'INT'],
      ['s_phone', 'CHAR(15)'],
      ['s_acctbal', 'DECIMAL(15,2)'],
      ['s_comment', 'VARCHAR(101)'],
    ],
  ),
  customer: spec(
    'customer',
    ['c_custkey'],
    [
      ['c_custkey', 'INT'],
      ['c_name', 'VARCHAR(25)'],
      ['c_address', 'VARCHAR(40)'],
      ['c_nationkey', 'INT'],
      ['c_phone', 'CHAR(15)'],
      ['c_acctbal', 'DECIMAL(15,2)'],
      ['c_mktsegment', 'CHAR(10)'],
      ['c_comment', 'VARCHAR(117)'],
    ],
  ),
  part: spec(
    'part',
    ['p_partkey'],
    [
      ['p_partkey', 'INT'],
      ['p_name', 'VARCHAR(55)'],
      ['p_mfgr', 'CHAR(25)'],
      ['p_brand', 'CHAR(10)'],
      ['p_type', 'VARCHAR(25)'],
      ['p_size', 'INT'],
      ['p_container', 'CHAR(10)'],
      ['p_retailprice', 'DECIMAL(15,2)'],
      ['p_comment', 'VARCHAR(23)'],
    ],
  ),
  partsupp: spec(
    'partsupp',
    ['ps_partkey', 'ps_suppkey'],
    [
      ['ps_partkey', 'INT'],
      ['ps_suppkey', 'INT'],
      ['ps_availqty', 'INT'],
      ['ps_supplycost', 'DECIMAL(15,2)'],
      ['ps_comment', 'VARCHAR(199)'],
    ],
  ),
  orders: spec(
    'orders',
    ['o_orderkey'],
    [
      ['o_orderkey', 'BIGINT'],
      ['o_custkey', 'INT'],
      ['o_orderstatus', 'CHAR(1)'],
      ['o_totalprice', 'DECIMAL(15,2)'],
      ['o_orderdate', 'DATE'],
      ['o_orderpriority', 'CHAR(15)'],
      ['o_clerk', 'CHAR(15)'],
      ['o_shippriority', 'INT'],
      ['o_comment', 'VARCHAR(79)'],
    ],
  ),
  lineitem: spec(
    'lineitem',
    ['l_orderkey', 'l_linenumber'],
    [
      ['l_orderkey', 'BIGINT'],
      ['l_partkey', 'INT'],
      ['l_suppkey', 'INT'],
      ['l_linenumber', 'INT'],
      ['l_quantity', 'DECIMAL(15,2)'],
      ['l_extendedprice', 'DECIMAL(15,2)'],
      ['l_discount', 'DECIMAL(15,2)'],
      ['l_tax', 'DECIMAL(15,2)'],
      ['l_returnflag', 'CHAR(1)'],
      ['l_linestatus', 'CHAR(1)'],
      ['l_shipdate', 'DATE'],
      ['l_commitdate', 'DATE'],
      ['l_receiptdate', 'DATE'],
      ['l_shipinstruct', 'CHAR(25)'],
      ['l_shipmode', 'CHAR(10)'],
      ['l_comment', 'VARCHAR(44)'],
    ],
  ),
};

export interface CreateTableOptions {
  /** lineitem only: `PARTITION BY HASH(l_orderkey) PARTITIONS n` (native InnoDB partitions). */
  readonly partitions?: number;
}

/** CREATE TABLE for one table; every column NOT NULL, as TPC-H has no NULLs. */
export function createTableSql(table: TpchTable, options: CreateTableOptions = {}): string {
  const { columns, primaryKey } = TPCH_SCHEMA[table];
  const lines = columns.map((column) => `  ${quoteIdentifier(column.name)} ${column.type} NOT NULL`);
  lines.push(`  PRIMARY KEY (${primaryKey.map((column) => quoteIdentifier(column)).join(', ')})`);
  let sql = `CREATE TABLE ${quoteIdentifier(table)} (\n${lines.join(',\n')}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;
  if (options.partitions !== undefined && table === 'lineitem') {
    if (!Number.isInteger(options.partitions) || options.partitions < 1 || options.partitions > 1024) {
      throw new ConfigError(`partitions must be an integer from 1 to 1024, not ${options.partitions}`);
    }
    sql += ` PARTITION BY HASH(${quoteIdentifier('l_orderkey')}) PARTITIONS ${options.partitions}`;
  }
  return sql;
}

export interface TpchScale {
  readonly region: number;
  readonly nation: number;
  readonly supplier: number;
  readonly customer: number;
  readonly part: number;
  /** Four suppliers per part. */
  readonly partsupp: number;
  readonly orders: number;
  readonly lineitem: number;
}

const SUPPLIERS_PER_PART = 4;

/** The smallest scale: every derived table has at least this many rows. */
const MIN_ROWS = 10;

/** Row counts per table for `lineitem` rows: orders = l/4, customer = o/10, supplier = c/15, part = c/1.5. */
export function tpchScale(lineitem: number): TpchScale {
  if (!Number.isSafeInteger(lineitem) || lineitem < MIN_ROWS) {
    throw new ConfigError(`lineitem rows must be an integer of at least ${MIN_ROWS}, not ${lineitem}`);
  }
  const orders = Math.max(MIN_ROWS, Math.floor(lineitem / 4));
  const customer = Math.max(MIN_ROWS, Math.floor(orders / 10));
  const part = Math.max(MIN_ROWS, Math.floor(customer / 1.5));
  return {
    region: REGIONS.length,
    nation: NATIONS.length,
    supplier: Math.max(MIN_ROWS, Math.floor(customer / 15)),
    customer,
    part,
    partsupp: part * SUPPLIERS_PER_PART,
    orders,
    lineitem,
  };
}

export interface TpchOptions {
  /** Rows of lineitem; the other tables follow `tpchScale`. */
  readonly lineitem: number;
  readonly seed: number;
}

// Fixed lists of the spec (4.2.2.13, 4.2.3).
export const REGIONS = ['AFRICA', 'AMERICA', 'ASIA', 'EUROPE', 'MIDDLE EAST'] as const;
/** [name, regionkey]; the nation key is the index. */
export const NATIONS: readonly (readonly [string, number])[] = [
  ['ALGERIA', 0],
  ['ARGENTINA', 1],
  ['BRAZIL', 1],
  ['CANADA', 1],
  ['EGYPT', 4],
  ['ETHIOPIA', 0],
  ['FRANCE', 3],
  ['GERMANY', 3],
  ['INDIA', 2],
  ['INDONESIA', 2],
  ['IRAN', 4],
  ['IRAQ', 4],
  ['JAPAN', 2],
  ['JORDAN', 4],
  ['KENYA', 0],
  ['MOROCCO', 0],
  ['MOZAMBIQUE', 0],
  ['PERU', 1],
  ['CHINA', 2],
  ['ROMANIA', 3],
  ['SAUDI ARABIA', 4],
  ['VIETNAM', 2],
  ['RUSSIA', 3],
  ['UNITED KINGDOM', 3],
  ['UNITED STATES', 1],
];
export const MARKET_SEGMENTS = ['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'MACHINERY', 'HOUSEHOLD'] as const;
export const ORDER_PRIORITIES = ['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW'] as const;
export const SHIP_INSTRUCTIONS = ['DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN'] as const;
export const SHIP_MODES = ['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'] as const;
const TYPE_SIZES = ['STANDARD', 'SMALL', 'MEDIUM', 'LARGE', 'ECONOMY', 'PROMO'];
const TYPE_FINISHES = ['ANODIZED', 'BURNISHED', 'PLATED', 'POLISHED', 'BRUSHED'];
const TYPE_METALS = ['TIN', 'NICKEL', 'BRASS', 'STEEL', 'COPPER'];
const CONTAINER_SIZES = ['SM', 'LG', 'MED', 'JUMBO', 'WRAP'];
const CONTAINER_KINDS = ['CASE', 'BOX', 'BAG', 'JAR', 'PKG', 'PACK', 'CAN', 'DRUM'];
const COLORS = (
  'almond antique aquamarine azure beige bisque black blanched blue blush brown burlywood burnished ' +
  'chartreuse chiffon chocolate coral cornflower cornsilk cream cyan dark deep dim dodger drab firebrick ' +
  'floral forest frosted gainsboro ghost goldenrod green grey honeydew hot indian ivory khaki lace lavender ' +
  'lawn lemon light lime linen magenta maroon medium metallic midnight mint misty moccasin navajo navy olive ' +
  'orange orchid pale papaya peach peru pink plum powder puff purple red rose rosy royal saddle salmon sandy ' +
  'seashell sienna sky slate smoke snow spring steel tan thistle tomato turquoise violet wheat white yellow'
).split(' ');
const WORDS = (
  'furiously sly careful blithe quick fluffy slow quiet ruthless thin close dogged daring brave stealthy ' +
  'permanent enticing idle busy regular final ironic even bold silent packages requests accounts deposits ' +
  'foxes ideas theodolites pinto beans instructions dependencies excuses platelets asymptotes courts dolphins ' +
  'sleep wake are cajole haggle nag use boost affix detect integrate maintain nod was lose sublate solve ' +
  'thrash promise engage hinder print x-ray breach eat grow impress mold poach serve run dazzle snooze doze ' +
  'about above according across after against along alongside among around at atop before behind beneath'
).split(' ');
const ADDRESS_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,. ';

// Dates (spec 4.2.3): STARTDATE 1992-01-01, ENDDATE 1998-12-31, CURRENTDATE 1995-06-17.
const DAY_MS = 86_400_000;
const START_MS = Date.UTC(1992, 0, 1);
export const START_DATE = '1992-01-01';
export const END_DATE = '1998-12-31';
export const CURRENT_DATE = '1995-06-17';
const END_DAY = (Date.UTC(1998, 11, 31) - START_MS) / DAY_MS;
const CURRENT_DAY = (Date.UTC(1995, 5, 17) - START_MS) / DAY_MS;
/** Every day of the range as text, made once: formatting millions of dates is the hot path. */
const DATES: readonly string[] = Array.from({ length: END_DAY + 1 }, (_, day) =>
  new Date(START_MS + day * DAY_MS).toISOString().slice(0, 10),
);

// One tag per stream so tables that share keys draw independent values.
const TAG = {
  region: 1,
  nation: 2,
  supplier: 3,
  customer: 4,
  part: 5,
  order: 6,
  pair: 7,
  partsupp: 8,
} as const;

/** Cents as DECIMAL text, exact (no floating point on the way). */
export function formatCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const fraction = abs % 100;
  return `${sign}${Math.floor(abs / 100)}.${fraction < 10 ? '0' : ''}${fraction}`;
}

function pad9(value: number): string {
  return String(value).padStart(9, '0');
}

/** Words up to a length drawn from [min, max], cut to max: the spec's comment text, roughly. */
function text(random: Random, min: number, max: number): string {
  const target = random.int(min, max);
  let value = random.pick(WORDS);
  while (value.length < target) value += ' ' + random.pick(WORDS);
  return value.length > max ? value.slice(0, max).trimEnd() : value;
}

/**
 * s_comment: some suppliers carry `Customer … Complaints` or `Customer … Recommends` (spec
 * 4.2.3 puts them in 5 of 10,000; here 1 in 10 and 1 in 20, so Q16 has some at small scales).
 */
function supplierComment(random: Random): string {
  const base = text(random, 25, 100);
  const roll = random.next();
  if (roll >= 0.15) return base;
  const note = `Customer ${random.pick(WORDS)} ${roll < 0.1 ? 'Complaints' : 'Recommends'}`;
  return `${base.slice(0, 100 - note.length - 1)} ${note}`.trim();
}

function address(random: Random): string {
  const length = random.int(10, 40);
  let value = '';
  for (let i = 0; i < length; i++) value += ADDRESS_CHARS[random.int(0, ADDRESS_CHARS.length - 1)];
  return value;
}

function phone(random: Random, nationKey: number): string {
  return `${nationKey + 10}-${random.int(100, 999)}-${random.int(100, 999)}-${random.int(1000, 9999)}`;
}

/** p_retailprice in cents, a function of the key alone (spec 4.2.3) so lineitem prices agree with part. */
export function retailPriceCents(partKey: number): number {
  return 90000 + (Math.floor(partKey / 10) % 20001) + 100 * (partKey % 1000);
}

/** The sparse order keys of the spec: 8 of every 32 keys are used. */
export function orderKey(index: number): number {
  return Math.floor(index / 8) * 32 + (index % 8) + 1;
}

/**
 * Supplier `which` (0 to 3) of the part, as partsupp lists it: spec 4.2.3's spread without its
 * `(partkey - 1) / S` term, which repeats a supplier of a part when there are few suppliers. With
 * a step of S/4 the four are distinct for any S of at least 4, so lineitem's (part, supplier)
 * pairs are always rows of partsupp.
 */
function supplierOf(partKey: number, which: number, suppliers: number): number {
  return ((partKey + which * Math.floor(suppliers / SUPPLIERS_PER_PART)) % suppliers) + 1;
}

/** Lines of the order at `index`: averaging lineitem/orders exactly, 1 to 7 per order. */
function lineCount(index: number, scale: TpchScale, seed: number): number {
  const base = Math.floor(scale.lineitem / scale.orders);
  const extra = index < scale.lineitem % scale.orders ? 1 : 0;
  // Orders come in pairs that take +r and -r lines, so the total stays exact while counts vary.
  const pair = Math.floor(index / 2);
  const unpaired = scale.orders % 2 === 1 && index === scale.orders - 1;
  const spread = Math.max(0, Math.min(base - 1, 6 - base));
  const r = unpaired || spread === 0 ? 0 : new Random(deriveSeed(seed, TAG.pair, pair)).int(0, spread);
  return base + extra + (index % 2 === 0 ? r : -r);
}

export interface GeneratedOrder {
  readonly order: TsvValue[];
  readonly lines: TsvValue[][];
}

/** One order and its lines, from (seed, index) alone. */
export function generateOrder(index: number, scale: TpchScale, seed: number): GeneratedOrder {
  const random = new Random(deriveSeed(seed, TAG.order, index));
  const key = orderKey(index);
  // Only customers whose key is not a multiple of 3 place orders (spec 4.2.3).
  const customerSlot = random.int(0, scale.customer - Math.floor(scale.customer / 3) - 1);
  const customerKey = Math.floor(customerSlot / 2) * 3 + (customerSlot % 2) + 1;
  const orderDay = random.int(0, END_DAY - 151);
  const count = lineCount(index, scale, seed);
  const lines: TsvValue[][] = [];
  let totalCents = 0;
  let shipped = 0;
  for (let line = 1; line <= count; line++) {
    const partKey = random.int(1, scale.part);
    const supplierKey = supplierOf(partKey, random.int(0, 3), scale.supplier);
    const quantity = random.int(1, 50);
    const priceCents = quantity * retailPriceCents(partKey);
    const discount = random.int(0, 10);
    const tax = random.int(0, 8);
    const shipDay = orderDay + random.int(1, 121);
    const commitDay = orderDay + random.int(30, 90);
    const receiptDay = shipDay + random.int(1, 30);
    const returnFlag = receiptDay <= CURRENT_DAY ? (random.next() < 0.5 ? 'R' : 'A') : 'N';
    const lineStatus = shipDay > CURRENT_DAY ? 'O' : 'F';
    if (lineStatus === 'F') shipped++;
    // totalprice = sum(extendedprice * (1 + tax) * (1 - discount)), rounded to cents per line.
    totalCents += Math.round((priceCents * (100 + tax) * (100 - discount)) / 10000);
    lines.push([
      key,
      partKey,
      supplierKey,
      line,
      `${quantity}.00`,
      formatCents(priceCents),
      formatCents(discount),
      formatCents(tax),
      returnFlag,
      lineStatus,
      DATES[shipDay]!,
      DATES[commitDay]!,
      DATES[receiptDay]!,
      random.pick(SHIP_INSTRUCTIONS),
      random.pick(SHIP_MODES),
      text(random, 10, 43),
    ]);
  }
  const status = shipped === count ? 'F' : shipped === 0 ? 'O' : 'P';
  const clerks = Math.max(1, Math.floor(scale.orders / 1500));
  const order: TsvValue[] = [
    key,
    customerKey,
    status,
    formatCents(totalCents),
    DATES[orderDay]!,
    random.pick(ORDER_PRIORITIES),
    `Clerk#${pad9(random.int(1, clerks))}`,
    0,
    text(random, 19, 78),
  ];
  return { order, lines };
}

function* keyed(count: number, row: (key: number) => TsvValue[]): Generator<TsvValue[]> {
  for (let key = 1; key <= count; key++) yield row(key);
}

/** The rows of one table, one at a time, as values in TPCH_SCHEMA column order. */
export function* tpchRows(table: TpchTable, options: TpchOptions): Generator<TsvValue[]> {
  const scale = tpchScale(options.lineitem);
  const seed = options.seed;
  const random = (tag: number, key: number) => new Random(deriveSeed(seed, tag, key));
  switch (table) {
    case 'region':
      for (const [key, name] of REGIONS.entries()) {
        yield [key, name, text(random(TAG.region, key), 31, 115)];
      }
      return;
    case 'nation':
      for (const [key, [name, region]] of NATIONS.entries()) {
        yield [key, name, region, text(random(TAG.nation, key), 31, 114)];
      }
      return;
    case 'supplier':
      yield* keyed(scale.supplier, (key) => {
        const r = random(TAG.supplier, key);
        const nation = r.int(0, NATIONS.length - 1);
        return [
          key,
          `Supplier#${pad9(key)}`,
          address(r),
          nation,
          phone(r, nation),
          formatCents(r.int(-99999, 999999)),
          supplierComment(r),
        ];
      });
      return;
    case 'customer':
      yield* keyed(scale.customer, (key) => {
        const r = random(TAG.customer, key);
        const nation = r.int(0, NATIONS.length - 1);
        return [
          key,
          `Customer#${pad9(key)}`,
          address(r),
          nation,
          phone(r, nation),
          formatCents(r.int(-99999, 999999)),
          r.pick(MARKET_SEGMENTS),
          text(r, 29, 116),
        ];
      });
      return;
    case 'part':
      yield* keyed(scale.part, (key) => {
        const r = random(TAG.part, key);
        const name = Array.from({ length: 5 }, () => r.pick(COLORS)).join(' ');
        const manufacturer = r.int(1, 5);
        return [
          key,
          name,
          `Manufacturer#${manufacturer}`,
          `Brand#${manufacturer}${r.int(1, 5)}`,
          `${r.pick(TYPE_SIZES)} ${r.pick(TYPE_FINISHES)} ${r.pick(TYPE_METALS)}`,
          r.int(1, 50),
          `${r.pick(CONTAINER_SIZES)} ${r.pick(CONTAINER_KINDS)}`,
          formatCents(retailPriceCents(key)),
          text(r, 5, 22),
        ];
      });
      return;
    case 'partsupp':
      for (let part = 1; part <= scale.part; part++) {
        const r = random(TAG.partsupp, part);
        for (let which = 0; which < SUPPLIERS_PER_PART; which++) {
          yield [
            part,
            supplierOf(part, which, scale.supplier),
            r.int(1, 9999),
            formatCents(r.int(100, 100000)),
            text(r, 49, 198),
          ];
        }
      }
      return;
    case 'orders':
      for (let index = 0; index < scale.orders; index++) yield generateOrder(index, scale, seed).order;
      return;
    case 'lineitem':
      for (let index = 0; index < scale.orders; index++) yield* generateOrder(index, scale, seed).lines;
      return;
  }
}

/** Characters per chunk: large enough to keep per-chunk overhead low, small enough to stream. */
const CHUNK_CHARS = 256 * 1024;

/** The rows of one table as TSV text (LOAD DATA's default escaping) in chunks of about 256 KiB. */
export function* tpchTsvChunks(table: TpchTable, options: TpchOptions): Generator<string> {
  let chunk = '';
  for (const row of tpchRows(table, options)) {
    chunk += tsvLine(row);
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** Column names of a table, in generated order (the column list of LOAD DATA). */
export function tpchColumns(table: TpchTable): string[] {
  return TPCH_SCHEMA[table].columns.map((column) => column.name);
}
