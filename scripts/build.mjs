// `npm run build`: dist/ from scratch. tsc compiles src/ and workers/ (tsconfig.build.json), then
// the files the code reads at run time that are not TypeScript (the HTTP console's pages, the
// Dockerfiles of the optional testcontainers stack) are copied beside their compiled modules.
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
cpSync(path.join(root, 'src'), path.join(dist, 'src'), {
  recursive: true,
  filter: (source) => !source.endsWith('.ts'),
});
