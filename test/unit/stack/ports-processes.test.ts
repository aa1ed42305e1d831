import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findFreePorts, isPortFree } from '../../../src/stack/ports.ts';
import { isOurProcess, spawnDaemon, stopProcess, tailFile } from '../../../src/stack/processes.ts';

describe('ports', () => {
  it('sees a port held by a listener as taken, and free again after it closes', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    expect(await isPortFree(port)).toBe(false);
    await new Promise((resolve) => server.close(resolve));
    expect(await isPortFree(port)).toBe(true);
  });

  it('hands out distinct free ports', async () => {
    const ports = await findFreePorts(5);
    expect(new Set(ports).size).toBe(5);
    for (const port of ports) expect(await isPortFree(port)).toBe(true);
  });
});

describe('daemon processes', () => {
  it('starts a detached process, recognises it by its marker, and stops it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-proc-'));
    const marker = path.join(dir, 'marker.js');
    writeFileSync(marker, "console.log('daemon up'); setInterval(() => {}, 1000);");
    const logFile = path.join(dir, 'out.log');
    const pid = spawnDaemon({ command: process.execPath, args: [marker], logFile });
    await expect.poll(() => tailFile(logFile)).toBe('daemon up');
    expect(isOurProcess(pid, marker)).toBe(true);
    // A pid whose command line lacks the marker is not ours, so it is never signalled.
    expect(isOurProcess(pid, '/some/other/datadir')).toBe(false);
    expect(await stopProcess(pid, '/some/other/datadir')).toBe('absent');
    expect(isOurProcess(pid, marker)).toBe(true);
    expect(await stopProcess(pid, marker)).toBe('stopped');
    expect(isOurProcess(pid, marker)).toBe(false);
  });

  it('reads the last lines of a log, and nothing for a missing one', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'sluice-log-')), 'x.log');
    writeFileSync(file, Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n'));
    expect(tailFile(file, 3)).toBe('line 37\nline 38\nline 39');
    expect(tailFile(`${file}.missing`)).toBe('');
  });
});
