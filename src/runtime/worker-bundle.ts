/**
 * Worker entry points (`workers/*.ts`: partition reads, batch decoding, JS transforms) as plain-JS
 * modules. Worker threads do not inherit a TypeScript loader, and registering tsx in each thread
 * costs about 50 MB and a second or more per thread (measured: 4 threads, 250 MB and 2.4 s,
 * against 150 MB and 0.9 s for plain JS). So each entry's sources are bundled once per process
 * with esbuild (what tsx itself runs on) into `node_modules/.cache/sluice/`, packages left as
 * imports, and piscina loads that file. It works the same under vitest, `node --import tsx` and
 * `bin/sluice.mjs`.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE_DIR = path.join(ROOT, 'node_modules', '.cache', 'sluice');

const bundles = new Map<string, Promise<string>>();

/** The path of the bundled worker for `entry` (relative to the project root), built on first use. */
export function workerBundle(entry: string): Promise<string> {
  let bundle = bundles.get(entry);
  if (!bundle) {
    bundle = buildBundle(entry);
    bundles.set(entry, bundle);
    // A failed build is not cached: the next read tries again.
    bundle.catch(() => bundles.delete(entry));
  }
  return bundle;
}

async function buildBundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [path.join(ROOT, entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    keepNames: true,
    write: false,
    logLevel: 'silent',
    banner: { js: `// Generated from ${entry} by src/runtime/worker-bundle.ts; do not edit.` },
  });
  const code = result.outputFiles[0]!.contents;
  // Named by content: concurrent processes write the same file, and a changed source gets a new one.
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const file = path.join(CACHE_DIR, `${path.basename(entry, '.ts')}-${hash}.mjs`);
  if (!existsSync(file)) {
    await mkdir(CACHE_DIR, { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, code);
    await rename(temporary, file);
  }
  return file;
}
