import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withSession } from '../../src/db/driver.ts';
import { ensureMariaDb, mariaDbEndpoint, startMariaDb, templateDatadir } from '../../src/stack/mariadb.ts';
import { findFreePorts } from '../../src/stack/ports.ts';
import { stopProcess } from '../../src/stack/processes.ts';
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

describe('a server that crashes once at startup', () => {
  it('is started once more and then answers', async () => {
    const binaries = await ensureMariaDb({ allowInstall: false, progress: silent, needSpider: false });
    const cacheDir = process.env.SLUICE_CACHE ?? path.join(root, '.sluice', 'cache');
    const template = await templateDatadir(binaries, cacheDir, silent);
    const scratch = mkdtempSync(path.join(root, '.sluice', 'test-crash-once-'));
    // The first start writes what mariadbd writes when it crashes (as Spider's init sometimes does
    // on a fresh data directory) and dies; the second runs the real server.
    const marker = path.join(scratch, 'crashed-once');
    const wrapper = path.join(scratch, 'mariadbd');
    writeFileSync(
      wrapper,
      `#!/bin/sh
if [ ! -e '${marker}' ]; then
  touch '${marker}'
  for arg in "$@"; do case "$arg" in --log-error=*) echo "[ERROR] mysqld got signal 11 ;" >> "\${arg#--log-error=}";; esac; done
  exit 1
fi
exec '${binaries.mariadbd}' "$@"
`,
    );
    chmodSync(wrapper, 0o755);
    const [port] = await findFreePorts(1);
    const spec = {
      name: 'flaky',
      role: 'single' as const,
      port: port!,
      dir: path.join(scratch, 'flaky'),
      bufferPoolMb: 32,
    };
    const messages: string[] = [];
    let record: Awaited<ReturnType<typeof startMariaDb>> | undefined;
    try {
      record = await startMariaDb(spec, { ...binaries, mariadbd: wrapper }, template, 60, (m) =>
        messages.push(m),
      );
      expect(existsSync(marker)).toBe(true);
      expect(messages.some((m) => m.includes('crashed during startup') && m.includes('once more'))).toBe(
        true,
      );
      const rows = await withSession(mariaDbEndpoint(port!), (session) => session.query('SELECT 1 AS one'));
      expect(rows).toEqual([{ one: 1 }]);
      expect(readFileSync(path.join(spec.dir, 'server.log'), 'utf8')).toMatch(/got signal 11/);
    } finally {
      if (record?.pid && record.marker) await stopProcess(record.pid, record.marker);
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
