import { describe, expect, it } from 'vitest';
import { StackError } from '../../../src/base/errors.ts';
import { ensureTools, findExecutable, TOOLS } from '../../../src/stack/prerequisites.ts';
import { silent } from '../../../src/stack/progress.ts';

describe('prerequisites', () => {
  it('finds a command on PATH', () => {
    expect(findExecutable('sh', '/bin:/usr/bin')).toMatch(/\/sh$/);
    expect(findExecutable('no-such-command-sluice', '/bin', [])).toBeUndefined();
  });

  it('names a missing java and how to get it, without trying to install when that is off', async () => {
    const attempt = ensureTools('kafka', [TOOLS.java, TOOLS.mvn], {
      allowInstall: false,
      progress: silent,
      pathEnv: '/nonexistent',
      extraDirs: [],
    });
    await expect(attempt).rejects.toBeInstanceOf(StackError);
    await expect(attempt).rejects.toMatchObject({
      code: 'PREREQUISITE_MISSING',
      component: 'kafka',
      message:
        "kafka cannot start: 'java', 'mvn' not found on PATH (installing is switched off (SLUICE_NO_INSTALL=1))",
      details: expect.stringContaining('apt-get install default-jre-headless'),
    });
  });

  it('returns the path of each tool that is there', async () => {
    const found = await ensureTools('shell', [{ command: 'sh', aptPackages: [], hint: '' }], {
      allowInstall: false,
      progress: silent,
    });
    expect(found.sh).toMatch(/\/sh$/);
  });
});
