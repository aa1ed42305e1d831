/**
 * Parquet libraries for `sluice query --format parquet` and `sluice load FILE.parquet`: writing
 * and reading N rows of 5 columns (BIGINT id, a string, a nullable double, DECIMAL(15,2), DATE)
 * that start and end as an Arrow table, as the CLI has them. Medians of several runs, wall and
 * CPU seconds, file size; each library in the same process, alternating, on a seeded table.
 *
 *   node --import tsx bench/parquet.ts [--rows 1000000] [--runs 3] [--seed 1] [--json]
 *
 * - parquet-wasm (arrow-rs compiled to WebAssembly): Arrow IPC in, Arrow IPC out.
 * - hyparquet-writer + hyparquet (plain JS): column arrays in, row/column objects out, so the
 *   Arrow table is converted both ways, as the CLI would have to.
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  DateDay,
  Decimal,
  Float64,
  Int64,
  makeData,
  makeVector,
  Table,
  tableFromArrays,
  tableFromIPC,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import * as parquetWasm from 'parquet-wasm/node';
import { decimalToString } from '../src/values/decimal.ts';
import { Random } from './data/random.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean' },
  },
});
const rows = Number(values.rows);
const runs = Number(values.runs);

function generate(): Table {
  const random = new Random(Number(values.seed));
  const id = new BigInt64Array(rows);
  const name: string[] = new Array(rows);
  const value: (number | null)[] = new Array(rows);
  const cents = new Uint32Array(rows * 4);
  const day = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    id[i] = BigInt(i + 1);
    name[i] = `customer-${random.int(1, 50_000)}`;
    value[i] = random.next() < 0.01 ? null : Math.round(random.next() * 1e6) / 100;
    cents[i * 4] = random.int(0, 10_000_000);
    day[i] = 18_000 + random.int(0, 2_000);
  }
  return new Table({
    id: makeVector(makeData({ type: new Int64(), length: rows, nullCount: 0, data: id })),
    name: vectorFromArray(name, new Utf8()),
    value: vectorFromArray(value, new Float64()),
    amount: makeVector(makeData({ type: new Decimal(2, 15, 128), length: rows, nullCount: 0, data: cents })),
    day: makeVector(makeData({ type: new DateDay(), length: rows, nullCount: 0, data: day })),
  });
}

function parquetWasmWrite(table: Table): Uint8Array {
  const wasmTable = parquetWasm.Table.fromIPCStream(tableToIPC(table, 'stream'));
  const properties = new parquetWasm.WriterPropertiesBuilder()
    .setCompression(parquetWasm.Compression.SNAPPY)
    .build();
  return parquetWasm.writeParquet(wasmTable, properties);
}

function parquetWasmRead(bytes: Uint8Array): Table {
  return tableFromIPC(parquetWasm.readParquet(bytes).intoIPCStream());
}

function hyparquetWrite(table: Table): Uint8Array {
  const column = (name: string) => table.getChild(name)!;
  const amounts = column('amount');
  const amountData: bigint[] = new Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    const words = amounts.data[0]!.values as Uint32Array;
    amountData[i] = BigInt(decimalToString(words.subarray(i * 4, i * 4 + 4), 2).replace('.', ''));
  }
  const days = column('day').data[0]!.values as Int32Array;
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'id', data: column('id').toArray() as BigInt64Array, type: 'INT64' },
      { name: 'name', data: column('name').toArray() as string[], type: 'STRING' },
      { name: 'value', data: column('value').toArray() as (number | null)[], type: 'DOUBLE' },
      { name: 'amount', data: amountData, type: 'INT64' },
      { name: 'day', data: Array.from(days, (d) => new Date(d * 86_400_000)), type: 'TIMESTAMP' },
    ],
  });
  return new Uint8Array(buffer);
}

async function hyparquetRead(bytes: Uint8Array): Promise<Table> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const objects = (await parquetReadObjects({ file })) as Record<string, unknown>[];
  return tableFromArrays({
    id: BigInt64Array.from(objects, (row) => row.id as bigint),
    name: objects.map((row) => row.name as string),
    value: objects.map((row) => row.value as number | null),
  });
}

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function measure<T>(work: () => T | Promise<T>): Promise<{ wall: number; cpu: number; result: T }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await work();
  const used = process.cpuUsage(cpu);
  return { wall: (performance.now() - started) / 1000, cpu: (used.user + used.system) / 1e6, result };
}

const table = generate();
const results: Record<
  string,
  { write: number[]; writeCpu: number[]; read: number[]; readCpu: number[]; bytes: number }
> = {
  'parquet-wasm': { write: [], writeCpu: [], read: [], readCpu: [], bytes: 0 },
  'hyparquet-writer + hyparquet': { write: [], writeCpu: [], read: [], readCpu: [], bytes: 0 },
};
for (let run = 0; run < runs; run++) {
  for (const [label, write, read] of [
    ['parquet-wasm', parquetWasmWrite, parquetWasmRead],
    ['hyparquet-writer + hyparquet', hyparquetWrite, hyparquetRead],
  ] as const) {
    const entry = results[label]!;
    const written = await measure(() => write(table));
    const back = await measure(() => read(written.result));
    if (back.result.numRows !== rows) throw new Error(`${label} read back ${back.result.numRows} rows`);
    entry.write.push(written.wall);
    entry.writeCpu.push(written.cpu);
    entry.read.push(back.wall);
    entry.readCpu.push(back.cpu);
    entry.bytes = written.result.byteLength;
  }
}

const summary = Object.entries(results).map(([library, r]) => ({
  library,
  writeSeconds: median(r.write),
  writeCpuSeconds: median(r.writeCpu),
  readSeconds: median(r.read),
  readCpuSeconds: median(r.readCpu),
  fileMB: r.bytes / 1e6,
}));
const machine = `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}, load ${os
  .loadavg()
  .map((l) => l.toFixed(1))
  .join(' ')}`;
if (values.json) {
  process.stdout.write(`${JSON.stringify({ rows, runs, machine, summary }, null, 2)}\n`);
} else {
  process.stdout.write(`${rows} rows, median of ${runs}; ${machine}\n`);
  for (const s of summary) {
    process.stdout.write(
      `${s.library}: write ${s.writeSeconds.toFixed(2)} s (${s.writeCpuSeconds.toFixed(2)} CPU s), read ${s.readSeconds.toFixed(2)} s (${s.readCpuSeconds.toFixed(2)} CPU s), ${s.fileMB.toFixed(1)} MB\n`,
    );
  }
}
await writeFile(
  path.join(import.meta.dirname, 'results', `parquet-${rows}.json`),
  `${JSON.stringify({ command: `node --import tsx bench/parquet.ts --rows ${rows} --runs ${runs}`, rows, runs, machine, summary }, null, 2)}\n`,
);
