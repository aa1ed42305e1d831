/**
 * The plain-JS module a worker thread loads for a worker entry point (`workers/*.ts`: partition
 * reads, batch decoding, JS transforms).
 *
 * From the built package (`dist/`, what `npm install sluice` and the `sluice` bin run) the entry
 * was compiled beside this module by tsc: the worker loads `dist/workers/<entry>.js` directly.
 *
 * From the sources (tests, `node --import tsx`), worker threads do not inherit a TypeScript loader,
 * and registering tsx in each thread costs about 50 MB and a second or more per thread (measured:
 * 4 threads, 250 MB and 2.4 s, against 150 MB and 0.9 s for plain JS). So each entry's sources
 * are bundled once per process with esbuild (what tsx itself runs on, a devDependency) into
 * `node_modules/.cache/sluice/`, packages left as imports, and piscina loads that file.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(import.meta.url);
/** The project root, or `dist/` when this module is the built one (`dist/src/runtime/…js`). */
const ROOT = path.resolve(path.dirname(HERE), '..', '..');
const BUILT = HERE.endsWith('.js');
const CACHE_DIR = path.join(ROOT, 'node_modules', '.cache', 'sluice');

const bundles = new Map<string, Promise<string>>();

/** The path of the plain-JS worker for `entry` (relative to the project root), built on first use from sources. */
export function workerBundle(entry: string): Promise<string> {
  if (BUILT) return Promise.resolve(path.join(ROOT, entry.replace(/\.ts$/, '.js')));
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
  const { build } = await import('esbuild');
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
