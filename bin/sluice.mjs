#!/usr/bin/env node
// Dependency-free bootstrap: on a fresh clone it installs node_modules (npm ci), then runs the
// TypeScript CLI through tsx, so `node bin/sluice.mjs …` works with nothing but Node and npm.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

if (!existsSync(path.join(root, 'node_modules', 'tsx', 'package.json'))) {
  process.stderr.write('sluice: first run in this checkout: installing dependencies (npm ci)\n');
  // npm's output goes to stderr so that `--json` output on stdout stays clean.
  const install = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (install.status !== 0) {
    process.stderr.write('sluice: npm ci failed (see above); fix it and run the command again\n');
    process.exit(1);
  }
}

const { register } = await import('tsx/esm/api');
register();
const { main } = await import(pathToFileURL(path.join(root, 'src', 'cli', 'main.ts')).href);
const code = await main(process.argv.slice(2));
// Drivers may keep sockets in their pools a little longer; the servers we started are detached.
process.exit(code);
