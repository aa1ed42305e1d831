/**
 * A pipeline spec: where records come from, how they become rows, where the rows go. Specs are
 * JSON (a file, the API, the CLI), checked once here against a JSON Schema with every problem
 * listed, and then handled as frozen, fully defaulted data.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { ConfigError } from '../base/errors.ts';
import { hasUnsafeSql } from '../writer/author-sql.ts';
import { WRITE_MODES, type WriteMode } from '../writer/rows.ts';
import { avroType } from './avro.ts';
import type { DeadLetterSpec } from './dead-letters.ts';
import { type SaslSpec, SECURITY_SCHEMA, securityProblems, type TlsSpec } from './kafka-security.ts';
import type { RegistryEntry, RegistrySpec } from './schema-registry.ts';

export interface PipelineSpec {
  readonly name: string;
  readonly source: SourceSpec;
  readonly format: FormatSpec;
  readonly transform?: TransformSpec;
  readonly target: TargetSpec;
  readonly batch: BatchSpec;
  readonly errors: ErrorPolicySpec;
}

/** Per topic, per partition, the first offset to load. */
export type ExplicitOffsets = Readonly<Record<string, Readonly<Record<string, number>>>>;

export interface SourceSpec {
  readonly brokers: readonly string[];
  readonly topics: readonly string[];
  /** Where a partition without a stored offset starts. */
  readonly startFrom: 'earliest' | 'latest' | ExplicitOffsets;
  /** Kafka consumer group; offsets committed there are for lag tools only. */
  readonly groupId: string;
  /**
   * How long the group waits for a silent member before giving its partitions to others. A
   * process that was killed holds its partitions this long; the broker bounds it from below
   * (group.min.session.timeout.ms).
   */
  readonly sessionTimeoutMs: number;
  /** TLS to the brokers: true (Node's trusted CAs) or the files to use. */
  readonly tls?: boolean | TlsSpec;
  /** SASL authentication; the password comes from an environment variable. */
  readonly sasl?: SaslSpec;
}

export interface JsonColumn {
  readonly column: string;
  /** `a.b[0].c` or `$.a.b`; `$` is the whole record as JSON text. */
  readonly path: string;
  /** Used when the path is missing (null when not given); an explicit JSON null stays NULL. */
  readonly default?: string | number | boolean | null;
}

export type FormatSpec =
  | { readonly kind: 'json'; readonly columns: readonly JsonColumn[] }
  | {
      readonly kind: 'csv';
      readonly columns: readonly string[];
      readonly delimiter: string;
      readonly quote: string;
      /** Each record starts with a header line naming its columns (records holding whole files). */
      readonly header: boolean;
    }
  | { readonly kind: 'raw'; readonly column: string }
  | {
      /**
       * Avro with the writer's schema here, or from a schema registry by the id each record
       * carries; confluent wire: magic byte and schema id first.
       */
      readonly kind: 'avro';
      readonly schema?: unknown;
      readonly wire: 'plain' | 'confluent';
      readonly schemaId?: number;
      readonly registry?: RegistrySpec;
      /** Filled in at run time by the batch decoder: the registry's answers so far. */
      readonly schemas?: Readonly<Record<string, RegistryEntry>>;
      readonly columns: readonly JsonColumn[];
    };

export type TransformSpec =
  | {
      readonly kind: 'js';
      /** A module exporting `transform(record)` (per record) or `transformBatch(records)`. */
      readonly module: string;
      readonly per: 'record' | 'batch';
      readonly threads: number;
    }
  | {
      /** Any program: records in on stdin (8-byte little-endian length + payload), lines out. */
      readonly kind: 'program';
      readonly command: string;
      readonly args: readonly string[];
      readonly timeoutMs: number;
    };

export interface TargetSpec {
  /** One server: `mysql://user:password@host:port/database`. */
  readonly url?: string;
  /** A Spider cluster: the head's URL and each leaf's, in the order of the head's server entries. */
  readonly cluster?: { readonly head: string; readonly leaves: readonly string[] };
  readonly table: string;
  readonly mode: WriteMode;
  /** upsert: the columns updated on a duplicate key (default: every loaded column). */
  readonly updateColumns?: readonly string[];
  /** Target column ← SQL expression over the decoded fields (SingleStore's SET). */
  readonly set?: Readonly<Record<string, string>>;
  /** SQL condition over the decoded fields; rows where it is not true are filtered out. */
  readonly where?: string;
  /** Cluster: rows to the leaf owning their shard key (exactly once per leaf), or through the head. */
  readonly via: 'leaves' | 'head';
}

export interface BatchSpec {
  /**
   * Bounds of one transaction. A fetch larger is cut; fetches of a partition that wait while
   * its writer is busy go into one transaction up to these bounds.
   */
  readonly maxRows: number;
  readonly maxBytes: number;
  /** How long the broker may hold a fetch to fill it. */
  readonly maxIntervalMs: number;
  /** Partitions writing to the database at the same time (the others decode meanwhile). */
  readonly parallelWrites: number;
  /**
   * Worker threads that decode records and build LOAD DATA text; 0 decodes on the main thread.
   * Default: one per core but one (kafkajs's), 1 to 4.
   */
  readonly decodeThreads?: number;
  /** Batches per partition kept in sluice_batches for status and inspection; older ones go. */
  readonly history: number;
}

export interface ErrorPolicySpec {
  /** skip: bad records go to the errors table and loading goes on; stop: the pipeline stops. */
  readonly policy: 'skip' | 'stop';
  /** More bad records than this in one batch stop the pipeline (0: no limit). */
  readonly maxPerBatch: number;
  /** Bad records also go to this Kafka topic (at least once), with where and why in headers. */
  readonly deadLetter?: DeadLetterSpec;
}

const IDENTIFIER = '^[A-Za-z_][A-Za-z0-9_$]{0,63}$';

/** Column ← path mappings (JSON and Avro formats). */
const JSON_COLUMNS = {
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['column', 'path'],
    properties: {
      column: { type: 'string', pattern: IDENTIFIER },
      path: { type: 'string', minLength: 1 },
      default: { type: ['string', 'number', 'boolean', 'null'] },
    },
  },
} as const;

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'source', 'format', 'target'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
    source: {
      type: 'object',
      additionalProperties: false,
      required: ['brokers', 'topics'],
      properties: {
        brokers: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[^\\s:]+:\\d+$' } },
        topics: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,249}$' } },
        startFrom: {
          default: 'earliest',
          oneOf: [
            { enum: ['earliest', 'latest'] },
            {
              type: 'object',
              additionalProperties: {
                type: 'object',
                propertyNames: { pattern: '^\\d+$' },
                additionalProperties: { type: 'integer', minimum: 0 },
              },
            },
          ],
        },
        groupId: { type: 'string', minLength: 1 },
        sessionTimeoutMs: { type: 'integer', minimum: 1000, maximum: 300_000, default: 30_000 },
        ...SECURITY_SCHEMA,
      },
    },
    format: {
      type: 'object',
      required: ['kind'],
      properties: { kind: { enum: ['json', 'csv', 'tsv', 'raw', 'avro'] } },
      allOf: [
        {
          if: { properties: { kind: { const: 'json' } } },
          // biome-ignore lint/suspicious/noThenProperty: JSON Schema's keyword
          then: {
            additionalProperties: false,
            required: ['columns'],
            properties: {
              kind: {},
              columns: JSON_COLUMNS,
            },
          },
        },
        {
          if: { properties: { kind: { enum: ['csv', 'tsv'] } } },
          // biome-ignore lint/suspicious/noThenProperty: JSON Schema's keyword
          then: {
            additionalProperties: false,
            required: ['columns'],
            properties: {
              kind: {},
              columns: { type: 'array', minItems: 1, items: { type: 'string', pattern: IDENTIFIER } },
              delimiter: { type: 'string', minLength: 1, maxLength: 1 },
              quote: { type: 'string', minLength: 1, maxLength: 1 },
              header: { type: 'boolean', default: false },
            },
          },
        },
        {
          if: { properties: { kind: { const: 'avro' } } },
          // biome-ignore lint/suspicious/noThenProperty: JSON Schema's keyword
          then: {
            additionalProperties: false,
            required: ['columns'],
            anyOf: [{ required: ['schema'] }, { required: ['registry'] }],
            properties: {
              kind: {},
              schema: { type: ['object', 'array', 'string'] },
              wire: { enum: ['plain', 'confluent'] },
              schemaId: { type: 'integer', minimum: 0 },
              registry: {
                type: 'object',
                additionalProperties: false,
                required: ['url'],
                properties: {
                  url: { type: 'string', pattern: '^https?://' },
                  username: { type: 'string' },
                  usernameEnv: { type: 'string', minLength: 1 },
                  passwordEnv: { type: 'string', minLength: 1 },
                },
              },
              columns: JSON_COLUMNS,
            },
          },
        },
        {
          if: { properties: { kind: { const: 'raw' } } },
          // biome-ignore lint/suspicious/noThenProperty: JSON Schema's keyword
          then: {
            additionalProperties: false,
            required: ['column'],
            properties: { kind: {}, column: { type: 'string', pattern: IDENTIFIER } },
          },
        },
      ],
    },
    transform: {
      type: 'object',
      required: ['kind'],
      properties: { kind: { enum: ['js', 'program'] } },
      allOf: [
        {
          if: { properties: { kind: { const: 'js' } } },
          // biome-ignore lint/suspicious/noThenProperty: JSON Schema's keyword
          then: {
            additionalProperties: false,
            required: ['module'],
            properties: {
              kind: {},
              module: { type: 'string', minLength: 1 },
              per: { enum: ['record', 'batch'], default: 'record' },
              threads: { type: 'integer', minimum: 1, maximum: 64, default: 1 },
            },
          },
        },
        {
          if: { properties: { kind: { const: 'program' } } },
          // biome-ignore lint/suspicious/noThenProperty: JSON Schema's keyword
          then: {
            additionalProperties: false,
            required: ['command'],
            properties: {
              kind: {},
              command: { type: 'string', minLength: 1 },
              args: { type: 'array', items: { type: 'string' }, default: [] },
              timeoutMs: { type: 'integer', minimum: 1, default: 60_000 },
            },
          },
        },
      ],
    },
    target: {
      type: 'object',
      additionalProperties: false,
      required: ['table'],
      properties: {
        url: { type: 'string', pattern: '^(mysql|mariadb|singlestore)://' },
        cluster: {
          type: 'object',
          additionalProperties: false,
          required: ['head', 'leaves'],
          properties: {
            head: { type: 'string', pattern: '^(mysql|mariadb|singlestore)://' },
            leaves: {
              type: 'array',
              minItems: 1,
              items: { type: 'string', pattern: '^(mysql|mariadb|singlestore)://' },
            },
          },
        },
        table: { type: 'string', pattern: IDENTIFIER },
        mode: { enum: [...WRITE_MODES], default: 'append' },
        updateColumns: { type: 'array', minItems: 1, items: { type: 'string', pattern: IDENTIFIER } },
        set: {
          type: 'object',
          propertyNames: { pattern: IDENTIFIER },
          additionalProperties: { type: 'string', minLength: 1 },
        },
        where: { type: 'string', minLength: 1 },
        via: { enum: ['leaves', 'head'], default: 'leaves' },
      },
    },
    batch: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxRows: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 100_000 },
        maxBytes: { type: 'integer', minimum: 1024, default: 16 * 1024 * 1024 },
        maxIntervalMs: { type: 'integer', minimum: 1, maximum: 60_000, default: 200 },
        parallelWrites: { type: 'integer', minimum: 1, maximum: 256, default: 2 },
        decodeThreads: { type: 'integer', minimum: 0, maximum: 64 },
        history: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 1000 },
      },
    },
    errors: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        policy: { enum: ['skip', 'stop'], default: 'skip' },
        maxPerBatch: { type: 'integer', minimum: 0, default: 0 },
        deadLetter: {
          type: 'object',
          additionalProperties: false,
          required: ['topic'],
          properties: {
            topic: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,249}$' },
            partitions: { type: 'integer', minimum: 1, maximum: 10_000, default: 1 },
            compression: { enum: ['none', 'gzip', 'snappy', 'lz4', 'zstd'], default: 'none' },
          },
        },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validate = ajv.compile(schema);

/**
 * Checks a spec and fills in its defaults; every problem is listed in one ConfigError.
 * The input is not changed.
 */
export function parsePipelineSpec(input: unknown): PipelineSpec {
  const spec = structuredClone(input) as Record<string, unknown>;
  // Said before the schema's "unknown field": a secret in a spec needs its own explanation.
  const secrets = securityProblems(spec?.source as Record<string, unknown> | undefined);
  if (secrets.length > 0) throw new ConfigError(`invalid pipeline spec:\n${secrets.join('\n')}`);
  if (!validate(spec)) {
    throw new ConfigError(`invalid pipeline spec:\n${describeProblems(validate.errors ?? [])}`);
  }
  const problems: string[] = [];
  const target = spec.target as Record<string, unknown>;
  if ((target.url === undefined) === (target.cluster === undefined)) {
    problems.push('/target: give exactly one of url (one server) or cluster (head and leaves)');
  }
  const format = spec.format as { kind: string; delimiter?: string; quote?: string };
  if (format.kind === 'tsv' || format.kind === 'csv') {
    format.delimiter ??= format.kind === 'tsv' ? '\t' : ',';
    format.quote ??= '"';
    format.kind = 'csv';
  }
  const avroFormat = spec.format as { kind: string; schema?: unknown; wire?: string; registry?: unknown };
  if (avroFormat.kind === 'avro' && avroFormat.registry !== undefined) {
    // A record names its writer's schema only in Confluent's framing.
    avroFormat.wire ??= 'confluent';
    if (avroFormat.wire !== 'confluent')
      problems.push('/format/wire: a schema registry needs wire "confluent" (the records carry schema ids)');
  }
  if (avroFormat.kind === 'avro') avroFormat.wire ??= 'plain';
  if (avroFormat.kind === 'avro' && avroFormat.schema !== undefined) {
    try {
      avroType(avroFormat.schema);
    } catch (error) {
      problems.push(`/format/schema: ${(error as Error).message.replace(/^format\.schema: /, '')}`);
    }
  }
  const columns = formatColumns(spec.format as FormatSpec);
  if (new Set(columns).size !== columns.length) problems.push('/format: a column is named twice');
  const set = (target.set as Record<string, string> | undefined) ?? {};
  const written = [...columns, ...Object.keys(set)];
  for (const column of (target.updateColumns as string[] | undefined) ?? []) {
    if (!written.includes(column)) problems.push(`/target/updateColumns: '${column}' is not a loaded column`);
  }
  for (const [column, expression] of Object.entries(set)) {
    if (hasUnsafeSql(expression))
      problems.push(`/target/set/${column}: one SQL expression, without ';' or comments`);
  }
  if (typeof target.where === 'string' && hasUnsafeSql(target.where)) {
    problems.push(`/target/where: one SQL condition, without ';' or comments`);
  }
  if (target.updateColumns && target.mode !== 'upsert') {
    problems.push('/target/updateColumns: only used with mode upsert');
  }
  if (problems.length > 0) throw new ConfigError(`invalid pipeline spec:\n${problems.join('\n')}`);
  const source = spec.source as Record<string, unknown>;
  source.groupId ??= `sluice-${spec.name as string}`;
  return deepFreeze(spec) as unknown as PipelineSpec;
}

/** The table columns a format produces, in order. */
export function formatColumns(format: FormatSpec): string[] {
  switch (format.kind) {
    case 'json':
    case 'avro':
      return format.columns.map((column) => column.column);
    case 'csv':
      return [...format.columns];
    case 'raw':
      return [format.column];
  }
}

function describeProblems(errors: readonly ErrorObject[]): string {
  // if/then failures repeat the branch's own errors; they add nothing for a person.
  const lines = errors
    .filter((error) => error.keyword !== 'if')
    .map((error) => {
      const where = error.instancePath || '/';
      if (error.keyword === 'additionalProperties') {
        return `${where}: unknown field '${(error.params as { additionalProperty: string }).additionalProperty}'`;
      }
      if (error.keyword === 'enum') {
        return `${where}: must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
      }
      return `${where}: ${error.message}`;
    });
  return [...new Set(lines)].join('\n');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
