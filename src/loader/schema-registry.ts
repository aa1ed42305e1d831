/**
 * Writer schemas from a Confluent-compatible schema registry (Confluent Schema Registry, Karapace,
 * Apicurio's ccompat API, Redpanda): `GET <url>/schemas/ids/<id>` answers `{"schema": "<Avro JSON
 * text>", "schemaType"?}`. Records in Confluent's wire format carry the id of their writer's
 * schema; each id is fetched once per process and kept (a registry never changes the schema of an
 * id). A batch's ids are looked up before it is decoded, so decoding stays synchronous and the
 * schemas travel to the decode threads with the batch.
 */
import { SluiceError } from '../base/errors.ts';

export interface RegistrySpec {
  readonly url: string;
  /** Basic authentication: the user name, or the variable holding it. */
  readonly username?: string;
  readonly usernameEnv?: string;
  /** The variable holding the password (secrets never enter the spec). */
  readonly passwordEnv?: string;
}

/** What the registry holds for an id: an Avro schema, or why the id cannot be read. */
export type RegistryEntry = { readonly schema: unknown } | { readonly missing: string };

const TIMEOUT_MS = 10_000;

export class SchemaRegistry {
  private readonly entries = new Map<number, Promise<RegistryEntry>>();
  private readonly base: string;
  private readonly headers: Record<string, string>;

  constructor(spec: RegistrySpec) {
    this.base = spec.url.replace(/\/+$/, '');
    this.headers = { accept: 'application/vnd.schemaregistry.v1+json, application/json' };
    const username = spec.username ?? (spec.usernameEnv ? process.env[spec.usernameEnv] : undefined);
    if (username !== undefined) {
      const password = spec.passwordEnv ? (process.env[spec.passwordEnv] ?? '') : '';
      this.headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    }
  }

  /** The entries of `ids`, fetched where not known yet. A registry that cannot answer throws (retriable). */
  async lookup(ids: Iterable<number>): Promise<Map<number, RegistryEntry>> {
    const wanted = [...new Set(ids)];
    const answers = await Promise.all(wanted.map((id) => this.entry(id)));
    return new Map(wanted.map((id, index) => [id, answers[index]!]));
  }

  private entry(id: number): Promise<RegistryEntry> {
    let entry = this.entries.get(id);
    if (!entry) {
      entry = this.fetchEntry(id);
      this.entries.set(id, entry);
      // A failure is not kept: the batch is retried, and the lookup with it.
      entry.catch(() => this.entries.delete(id));
    }
    return entry;
  }

  private async fetchEntry(id: number): Promise<RegistryEntry> {
    const url = `${this.base}/schemas/ids/${id}`;
    let response: Response;
    try {
      response = await fetch(url, { headers: this.headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (error) {
      throw new SluiceError('SCHEMA_REGISTRY', `schema registry ${this.base}: ${(error as Error).message}`, {
        retriable: true,
        cause: error,
      });
    }
    const body = await response.text();
    // 404 with error_code 40403: the registry has no such id; the records that name it are bad.
    if (response.status === 404) return { missing: `schema id ${id} is not in the registry at ${this.base}` };
    if (!response.ok) {
      throw new SluiceError(
        'SCHEMA_REGISTRY',
        `schema registry ${url}: HTTP ${response.status} ${body.slice(0, 200)}`,
        // Refused credentials do not heal by themselves; a registry that is restarting does.
        { retriable: response.status !== 401 && response.status !== 403 },
      );
    }
    let answer: { schema?: unknown; schemaType?: unknown };
    try {
      answer = JSON.parse(body) as typeof answer;
    } catch (error) {
      throw new SluiceError('SCHEMA_REGISTRY', `schema registry ${url}: the answer is not JSON`, {
        cause: error,
      });
    }
    const type = answer.schemaType ?? 'AVRO';
    if (type !== 'AVRO')
      return { missing: `schema id ${id} is a ${String(type)} schema; this pipeline reads Avro` };
    if (typeof answer.schema !== 'string')
      throw new SluiceError('SCHEMA_REGISTRY', `schema registry ${url}: the answer has no schema`);
    try {
      return { schema: JSON.parse(answer.schema) };
    } catch {
      // A bare primitive schema such as "string" is JSON text too; anything else is refused by avsc later.
      return { schema: answer.schema };
    }
  }
}

/** The schema id of a payload in Confluent's wire format (magic byte 0), if it is in it. */
export function confluentSchemaId(payload: Uint8Array | null): number | undefined {
  if (payload === null || payload.length < 5 || payload[0] !== 0) return undefined;
  return (payload[1]! << 24) | (payload[2]! << 16) | (payload[3]! << 8) | payload[4]!;
}
