import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureMariaDb, startMariaDb } from '../../src/stack/mariadb.ts';
import { findFreePorts } from '../../src/stack/ports.ts';
import { silent } from '../../src/stack/progress.ts';

const root = path.resolve(import.meta.dirname, '..', '..');

describe('a server that cannot start', () => {
  it('is named, with the tail of its own log, instead of a timeout', async () => {
    const binaries = await ensureMariaDb({ allowInstall: false, progress: silent, needSpider: false });
    const scratch = mkdtempSync(path.join(root, '.sluice', 'test-broken-'));
    // A template with no system tables: mariadbd starts, cannot open mysql.* and exits.
    const emptyTemplate = path.join(scratch, 'empty-template');
    mkdirSync(emptyTemplate);
    const [port] = await findFreePorts(1);
    const spec = {
      name: 'broken',
      role: 'single' as const,
      port: port!,
      dir: path.join(scratch, 'broken'),
      bufferPoolMb: 32,
    };
    const attempt = startMariaDb(spec, binaries, emptyTemplate, 60, silent);
    try {
      await expect(attempt).rejects.toMatchObject({
        code: 'COMPONENT_FAILED',
        component: 'broken',
        message: 'broken (MariaDB) exited during startup',
        details: expect.stringMatching(/last lines of .*broken\/server\.log:\n[\s\S]*\[ERROR\]/),
      });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
