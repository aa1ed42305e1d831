/**
 * The soak's producer (bench/soak-kafka.ts), in a process of its own so the produce rate does not
 * depend on the pipeline's: events are due on a wall-clock schedule (`rate` per second, a slice
 * every 100 ms, none inside the pauses), and every send takes whatever is due by then, so a slow
 * send is made up by the next one instead of lowering the rate. Idempotent producer, `acks: -1`.
 *
 * Started by the soak with fork() and a JSON argument; it reports to its parent over IPC every
 * 250 ms: per partition the next offset produced, and per send and partition the offset of its
 * first record and when it was sent. On 'stop' it finishes the send in flight and exits after a
 * last report with the number of events sent (ids 1…sent).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { eventAt, eventJson, kafkaFor } from './data/events.ts';

export interface ProducerArgs {
  readonly brokers: string[];
  readonly topic: string;
  readonly partitions: number;
  readonly rate: number;
  /** Wall-clock start of the run (ms since the epoch) and its length. */
  readonly startedAt: number;
  readonly durationMs: number;
  /** Spans of the run (fractions of its length) in which nothing is produced. */
  readonly pauses: readonly (readonly [number, number])[];
}

export interface ProducerReport {
  readonly produced: number[];
  readonly sends: { partition: number; offset: number; at: number }[];
  /** Set in the last report: events sent in all. */
  readonly sent?: number;
  readonly failures: string[];
}

/** Most events in one request when catching up. */
const MAX_PER_SEND = 20_000;
const TICK_MS = 100;
const REPORT_MS = 250;

/** Events due between the run's start and `at`: `rate` per second outside the pauses, per 100 ms tick. */
export function dueBy(args: ProducerArgs, at: number): number {
  const perTick = args.rate / (1000 / TICK_MS);
  const totalTicks = args.durationMs / TICK_MS;
  // Ticks started so far (each one's slice is due at its start), less those inside a pause.
  const ticks = Math.floor((at - args.startedAt) / TICK_MS) + 1;
  let producing = ticks;
  for (const [from, to] of args.pauses) {
    const start = Math.floor(from * totalTicks);
    const end = Math.floor(to * totalTicks);
    producing -= Math.max(0, Math.min(ticks, end) - start);
  }
  return Math.round(Math.max(0, producing) * perTick);
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2]!) as ProducerArgs;
  const kafka = kafkaFor(args.brokers);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const produced = new Array<number>(args.partitions).fill(0);
  let sends: ProducerReport['sends'] = [];
  let failures: string[] = [];
  let stopping = false;
  let nextId = 1;
  process.on('message', (message) => {
    if (message === 'stop') stopping = true;
  });
  const report = (last: boolean) => {
    const body: ProducerReport = {
      produced: [...produced],
      sends,
      failures,
      ...(last ? { sent: nextId - 1 } : {}),
    };
    process.send!(body);
    sends = [];
    failures = [];
  };
  const reporter = setInterval(() => report(false), REPORT_MS);
  while (!stopping) {
    const now = Date.now();
    const count = Math.min(MAX_PER_SEND, dueBy(args, now) - (nextId - 1));
    if (count <= 0) {
      await sleep(TICK_MS - ((now - args.startedAt) % TICK_MS) + 1);
      continue;
    }
    const messages = [];
    const perPartition = new Array<number>(args.partitions).fill(0);
    for (let id = nextId; id < nextId + count; id++) {
      const partition = id % args.partitions;
      perPartition[partition]!++;
      messages.push({ key: String(id), value: eventJson(eventAt(1, id)), partition });
    }
    for (;;) {
      try {
        const at = Date.now();
        const metadata = await producer.send({ topic: args.topic, messages, acks: -1 });
        for (const entry of metadata) {
          const offset = Number(entry.baseOffset);
          sends.push({ partition: entry.partition, offset, at });
          produced[entry.partition] = Math.max(
            produced[entry.partition]!,
            offset + perPartition[entry.partition]!,
          );
        }
        break;
      } catch (error) {
        failures.push((error as Error).message);
        await sleep(1000);
      }
    }
    nextId += count;
  }
  await producer.disconnect();
  clearInterval(reporter);
  report(true);
  process.disconnect();
}

if (process.send) {
  main().catch((error: unknown) => {
    process.stderr.write(`soak producer: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
