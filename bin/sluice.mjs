#!/usr/bin/env node
// The `sluice` command. It runs the built JavaScript in dist/ with plain Node: no TypeScript
// loader at run time, so it starts in a fraction of a second.
//
// In a checkout of the repository (tsconfig.json beside package.json; the npm package has none)
// it also works before and between builds: on a fresh clone it installs node_modules (`npm ci`,
// whose `prepare` script builds dist/), and when a source file is newer than the build it runs
// the sources through tsx instead of a stale dist/.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'dist', 'src', 'cli', 'main.js');
const checkout = existsSync(path.join(root, 'tsconfig.json'));

/** The newest modification time of the files under `dir` (0 when there is none). */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return latest;
}

let entry = built;
if (checkout) {
  if (!existsSync(path.join(root, 'node_modules', 'tsx', 'package.json'))) {
    process.stderr.write('sluice: first run in this checkout: installing dependencies (npm ci)\n');
    // npm's output goes to stderr so that `--json` output on stdout stays clean.
    const install = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
      cwd: root,
      stdio: ['ignore', 2, 2],
    });
    if (install.status !== 0) {
      process.stderr.write('sluice: npm ci failed (see above); fix it and run the command again\n');
      process.exit(1);
    }
  }
  const stale =
    !existsSync(built) ||
    Math.max(newest(path.join(root, 'src')), newest(path.join(root, 'workers'))) > statSync(built).mtimeMs;
  if (stale) {
    // Sources edited since the last `npm run build`: run them as they are.
    const { register } = await import('tsx/esm/api');
    register();
    entry = path.join(root, 'src', 'cli', 'main.ts');
  }
}

const { main } = await import(pathToFileURL(entry).href);
const code = await main(process.argv.slice(2));
// Drivers may keep sockets in their pools a little longer; the servers we started are detached.
process.exit(code);
