import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { endpointUrl } from '../../src/db/endpoint.ts';
import { isOurProcess } from '../../src/stack/processes.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..', '..');
const stack = inject('stack');
const scratchRoot = path.join(root, '.sluice', `test-cli-${process.pid}`);
mkdirSync(scratchRoot, { recursive: true });

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function sluice(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const cleanEnv = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('SLUICE_')),
  );
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(root, 'bin', 'sluice.mjs'), ...args], {
      env: { ...cleanEnv, ...env },
      cwd: root,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

function scratchHome(): string {
  return mkdtempSync(path.join(scratchRoot, 'home-'));
}

// With SLUICE_STACK=testcontainers there is no local stack folder for the CLI to look at.
const localOnly = it.skipIf(!stack.home);

const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at /m);

describe('sluice stack (the CLI, as a user runs it)', () => {
  afterAll(async () => {
    const { rm } = await import('node:fs/promises');
    await rm(scratchRoot, { recursive: true, force: true });
  });

  localOnly(
    'status --json reports the single server, a head with 2 leaves and the broker, all answering',
    async () => {
      const result = await sluice(['stack', 'status', '--json', '--home', stack.home]);
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout);
      expect(report.healthy).toBe(true);
      expect(report.components.map((c: { name: string }) => c.name)).toEqual([
        'single',
        'head',
        'leaf1',
        'leaf2',
        'kafka',
      ]);
      expect(report.components.every((c: { answering: boolean }) => c.answering)).toBe(true);
      expect(report.endpoints).toEqual({
        single: endpointUrl(stack.single),
        cluster: { head: endpointUrl(stack.cluster.head), leaves: stack.cluster.leaves.map(endpointUrl) },
        kafka: { brokers: stack.brokers },
      });
    },
  );

  localOnly('up is idempotent: a second up keeps the running servers (same pids)', async () => {
    const before = JSON.parse((await sluice(['stack', 'status', '--json', '--home', stack.home])).stdout);
    const again = await sluice(['stack', 'up', '--json', '--home', stack.home]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('single: already running');
    const pids = (report: { components: { name: string; pid: number }[] }) =>
      Object.fromEntries(report.components.map((c) => [c.name, c.pid]));
    expect(pids(JSON.parse(again.stdout))).toEqual(pids(before));
  });

  localOnly('demo runs the predictive-maintenance job end to end and says what each step did', async () => {
    const result = await sluice(['demo', '--home', stack.home, '--scale', '0.004']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/1\. telemetry: 6 drills × 667 readings/);
    expect(result.stdout).toMatch(/4002 readings in .* exactly once: count and key checksum verified/);
    expect(result.stdout).toMatch(
      /2\. per-drill features, pushed down[\s\S]*6 drills in [\d.]+ s\n {4}pushed: SELECT `drill_id`, COUNT\(\*\)/,
    );
    expect(result.stdout).toMatch(
      /3\. k-means \(k = 8, 10 iterations\)[\s\S]*local: on the cached Arrow columns \(cache\d+\)/,
    );
    expect(result.stdout).toMatch(/centroid 7: rpm [+-]\d+\.\d\dσ/);
    expect(result.stdout).toMatch(/\d+ scores written in/);
    expect([...result.stdout.matchAll(/^ {4}drill +\d+ \(/gm)]).toHaveLength(5);
  });

  it('up then down in a fresh folder: the server runs, then no process of ours is left', async () => {
    const home = scratchHome();
    const up = await sluice([
      'stack',
      'up',
      '--json',
      '--home',
      home,
      '--topology',
      'single',
      '--skip-kafka',
      '--port-base',
      'auto',
    ]);
    expect(up.code).toBe(0);
    const report = JSON.parse(up.stdout);
    expect(report.components).toHaveLength(1);
    const [single] = report.components;
    expect(single).toMatchObject({ name: 'single', source: 'local', answering: true });
    const marker = `--datadir=${path.join(home, 'single', 'data')}`;
    expect(isOurProcess(single.pid, marker)).toBe(true);

    const down = await sluice(['stack', 'down', '--home', home]);
    expect(down.code).toBe(0);
    expect(down.stdout).toBe('stopped: single\n');
    expect(isOurProcess(single.pid, marker)).toBe(false);

    const status = await sluice(['stack', 'status', '--home', home]);
    expect(status.code).toBe(3);
    expect(status.stdout).toMatch(/single .* DOWN: not running/);

    const purge = await sluice(['stack', 'down', '--purge', '--home', home]);
    expect(purge.code).toBe(0);
    expect(existsSync(path.join(home, 'single'))).toBe(false);
    expect(existsSync(path.join(home, 'stack.json'))).toBe(false);
  });

  it('an unknown topology is a clear error naming the valid ones', async () => {
    const result = await sluice(['stack', 'up', '--topology', 'mesh', '--home', scratchHome()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "sluice: error: unknown topology 'mesh'; valid topologies: all, single, cluster [CONFIG_INVALID]\n",
    );
  });

  it('an unknown command or option is named, points at --help and exits 2', async () => {
    const command = await sluice(['stack', 'launch']);
    expect(command.code).toBe(2);
    expect(command.stderr).toBe(
      "sluice: error: unknown command 'stack launch'; 'sluice --help' lists the commands [USAGE]\n",
    );
    const option = await sluice(['stack', 'up', '--colour']);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/unknown option '--colour'; 'sluice --help' lists the options/);
  });

  it('a port in use is named, and nothing is started', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    const home = scratchHome();
    try {
      const result = await sluice([
        'stack',
        'up',
        '--home',
        home,
        '--topology',
        'single',
        '--skip-kafka',
        '--port-base',
        String(port),
      ]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`port ${port} (single) already in use by another process`);
      expect(result.stderr).toContain('[PORT_IN_USE]');
      noStackTrace(result.stderr);
      expect(existsSync(path.join(home, 'single'))).toBe(false);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('a missing java is named with how to install it, when installing is off', async () => {
    // The databases come from outside, so only the broker would start, and java is not on PATH.
    const result = await sluice(['stack', 'up', '--home', scratchHome(), '--kafka-port', 'auto'], {
      PATH: '/nonexistent',
      SLUICE_NO_INSTALL: '1',
      SLUICE_DB_URL: `mysql://root@127.0.0.1:${stack.single.port}/sluice`,
      SLUICE_CLUSTER_URLS: [stack.cluster.head, ...stack.cluster.leaves]
        .map((e) => `mysql://root@127.0.0.1:${e.port}/sluice`)
        .join(','),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("kafka cannot start: 'java', 'mvn' not found on PATH");
    expect(result.stderr).toContain('apt-get install default-jre-headless');
    noStackTrace(result.stderr);
  });

  it('external services from SLUICE_* are used as they are: reported, answering, nothing started', async () => {
    const home = scratchHome();
    const result = await sluice(['stack', 'status', '--json', '--home', home], {
      SLUICE_DB_URL: endpointUrl(stack.single),
      SLUICE_CLUSTER_URLS: [stack.cluster.head, ...stack.cluster.leaves].map(endpointUrl).join(','),
      SLUICE_KAFKA_BROKERS: stack.brokers.join(','),
    });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.components).toHaveLength(5);
    for (const component of report.components) {
      expect(component).toMatchObject({ source: 'external', answering: true });
      expect(component.pid).toBeUndefined();
    }
    expect(existsSync(path.join(home, 'stack.json'))).toBe(false);
  });
});
