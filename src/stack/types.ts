import type { DbEndpoint } from '../db/endpoint.ts';

export type ComponentKind = 'mariadb' | 'kafka';
export type ComponentRole = 'single' | 'head' | 'leaf' | 'broker';

/** One server the stack runs (or uses): what the state file records and `status` reports. */
export interface ComponentRecord {
  readonly name: string;
  readonly kind: ComponentKind;
  readonly role: ComponentRole;
  /** 'local': started by us; 'external': given by SLUICE_* variables, never started or stopped. */
  readonly source: 'local' | 'external' | 'testcontainers';
  readonly host: string;
  readonly port: number;
  /** Kafka's controller port; unused for MariaDB. */
  readonly controllerPort?: number;
  readonly pid?: number;
  /** A string in the process's command line that proves the pid is still ours. */
  readonly marker?: string;
  readonly dir?: string;
  readonly logFile?: string;
}

/** Where every part of the stack answers: what tests, benchmarks and the demo connect to. */
export interface StackEndpoints {
  readonly single?: DbEndpoint;
  readonly cluster?: { readonly head: DbEndpoint; readonly leaves: readonly DbEndpoint[] };
  readonly kafka?: { readonly brokers: readonly string[] };
}

export interface ComponentStatus extends ComponentRecord {
  readonly running: boolean;
  readonly answering: boolean;
  /** Server version when it answers, e.g. '10.11.19-MariaDB' or 'Kafka 3.9.1 (cluster x)'. */
  readonly version?: string;
  readonly endpoint: string;
  readonly problem?: string;
}
