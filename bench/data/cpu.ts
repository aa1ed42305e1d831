/**
 * CPU time of the processes a benchmark drives (the database servers, the Kafka broker), read
 * from /proc, so a figure can say where the cycles went and not only how long a run took.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { withSession } from '../../src/db/driver.ts';
import type { DbEndpoint } from '../../src/db/endpoint.ts';

let clockTicks: number | undefined;

/** CPU seconds a process has used (user + system), from /proc/<pid>/stat (fields 14 and 15). */
export function cpuSeconds(pid: number): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

/** This process's CPU seconds, every thread included. */
export function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** The pid of a local MariaDB server, from its pid file. */
export async function serverPid(endpoint: DbEndpoint): Promise<number> {
  const [row] = await withSession(endpoint, (session) =>
    session.query<{ f: string }>('SELECT @@pid_file AS f'),
  );
  return Number(readFileSync(row!.f, 'utf8').trim());
}

/**
 * The pid of the local process listening on a TCP port (for the Kafka broker, which has no pid
 * query): the socket's inode from /proc/net/tcp*, then the process holding that inode. Undefined
 * when the listener is not on this machine or not visible.
 */
export function listeningPid(port: number): number | undefined {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN.
      if (fields.length > 9 && fields[3] === '0A' && Number.parseInt(fields[1]!.split(':')[1]!, 16) === port)
        inodes.add(fields[9]!);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let descriptors: string[];
    try {
      descriptors = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of descriptors) {
      try {
        const target = readlinkSync(`/proc/${entry}/fd/${fd}`);
        if (target.startsWith('socket:[') && inodes.has(target.slice(8, -1))) return Number(entry);
      } catch {
        // The descriptor closed while it was read.
      }
    }
  }
  return undefined;
}

/** A process and all its descendants (a Python peer and the JVM it starts), from /proc. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const parent = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // The process ended while the table was read.
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

/** CPU seconds of a process tree (processes that already ended are not counted). */
export function treeCpuSeconds(root: number): number {
  let total = 0;
  for (const pid of processTree(root)) {
    try {
      total += cpuSeconds(pid);
    } catch {
      // ended meanwhile
    }
  }
  return total;
}

/** Resident bytes of a process tree, from /proc/<pid>/statm. */
export function treeRssBytes(root: number): number {
  let pages = 0;
  for (const pid of processTree(root)) {
    try {
      pages += Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    } catch {
      // ended meanwhile
    }
  }
  return pages * 4096;
}

/**
 * CPU seconds the whole machine has been busy (every core: user, nice, system, irq, softirq,
 * steal), from /proc/stat. Minus the processes a benchmark measures, what other work took.
 */
export function machineBusySeconds(): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const fields = readFileSync('/proc/stat', 'utf8')
    .split('\n', 1)[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  // user nice system idle iowait irq softirq steal: idle (3) and iowait (4) are not busy.
  const busy = fields
    .slice(0, 8)
    .reduce((sum, value, index) => (index === 3 || index === 4 ? sum : sum + value), 0);
  return busy / clockTicks;
}
