/**
 * TLS and SASL settings for the brokers, from a pipeline spec. The spec is stored in the state
 * tables and shown by status, so it names secrets only by the environment variable that holds
 * them (passwordEnv, keyPasswordEnv) and key material only by file: they are read when a client
 * is made, in the process that runs the pipeline, and never written anywhere.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { ConfigError } from '../base/errors.ts';

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

export interface TlsSpec {
  /** PEM file of the CA that signed the brokers' certificates (default: Node's trusted CAs). */
  readonly caFile?: string;
  /** Client certificate and key (PEM) for brokers that authenticate clients by certificate. */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** Environment variable holding the client key's passphrase. */
  readonly keyPasswordEnv?: string;
  /** Host name checked against the certificate when it differs from the broker address. */
  readonly servername?: string;
  /** false accepts any certificate (a test broker with a self-signed one); default true. */
  readonly rejectUnauthorized: boolean;
}

export interface SaslSpec {
  readonly mechanism: (typeof SASL_MECHANISMS)[number];
  readonly username?: string;
  /** Environment variable holding the user name (instead of `username`). */
  readonly usernameEnv?: string;
  /** Environment variable holding the password. */
  readonly passwordEnv: string;
}

/** The JSON Schema of `source.tls` and `source.sasl` (spec.ts). */
export const SECURITY_SCHEMA = {
  tls: {
    oneOf: [
      { type: 'boolean' },
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          caFile: { type: 'string', minLength: 1 },
          certFile: { type: 'string', minLength: 1 },
          keyFile: { type: 'string', minLength: 1 },
          keyPasswordEnv: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
          servername: { type: 'string', minLength: 1 },
          rejectUnauthorized: { type: 'boolean', default: true },
        },
      },
    ],
  },
  sasl: {
    type: 'object',
    additionalProperties: false,
    required: ['mechanism', 'passwordEnv'],
    properties: {
      mechanism: { enum: [...SASL_MECHANISMS] },
      username: { type: 'string', minLength: 1 },
      usernameEnv: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      passwordEnv: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    },
  },
} as const;

/** Problems a schema cannot say well: secrets written into the spec, a user given twice or not at all. */
export function securityProblems(source: Record<string, unknown> | undefined): string[] {
  const problems: string[] = [];
  const sasl = source?.sasl as Record<string, unknown> | undefined;
  const tls = source?.tls as Record<string, unknown> | boolean | undefined;
  const secret = (where: string, env: string) =>
    `${where}: secrets are not kept in a spec (it is stored and shown); put it in an environment variable and name that in ${env}`;
  if (sasl && typeof sasl === 'object') {
    if ('password' in sasl) problems.push(secret('/source/sasl/password', 'passwordEnv'));
    if ((sasl.username === undefined) === (sasl.usernameEnv === undefined))
      problems.push('/source/sasl: give exactly one of username or usernameEnv');
  }
  if (tls && typeof tls === 'object') {
    for (const field of ['key', 'cert', 'ca', 'passphrase', 'keyPassword'])
      if (field in tls)
        problems.push(
          field === 'passphrase' || field === 'keyPassword'
            ? secret(`/source/tls/${field}`, 'keyPasswordEnv')
            : `/source/tls/${field}: key material is read from a file: give ${field}File`,
        );
    if ((tls.certFile === undefined) !== (tls.keyFile === undefined))
      problems.push('/source/tls: certFile and keyFile go together');
  }
  return problems;
}

/**
 * kafkajs's `ssl` and `sasl` settings, with the secrets read now from `env` and the files from
 * disk. A variable that is not set or a file that cannot be read is a ConfigError naming it.
 */
export function kafkaSecurity(
  source: { readonly tls?: boolean | TlsSpec; readonly sasl?: SaslSpec },
  env: NodeJS.ProcessEnv = process.env,
): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const settings: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  const fromEnv = (field: string, name: string): string => {
    const value = env[name];
    if (value === undefined || value === '')
      throw new ConfigError(`source.${field}: the environment variable ${name} is not set`);
    return value;
  };
  const fromFile = (field: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new ConfigError(`source.tls.${field}: cannot read ${file}`, { cause: error });
    }
  };
  const { tls, sasl } = source;
  if (tls === true) settings.ssl = true;
  else if (tls && typeof tls === 'object') {
    const options: ConnectionOptions = { rejectUnauthorized: tls.rejectUnauthorized !== false };
    if (tls.caFile) options.ca = [fromFile('caFile', tls.caFile)];
    if (tls.certFile) options.cert = fromFile('certFile', tls.certFile);
    if (tls.keyFile) options.key = fromFile('keyFile', tls.keyFile);
    if (tls.keyPasswordEnv) options.passphrase = fromEnv('tls.keyPasswordEnv', tls.keyPasswordEnv);
    if (tls.servername) options.servername = tls.servername;
    settings.ssl = options;
  }
  if (sasl) {
    const username = sasl.usernameEnv ? fromEnv('sasl.usernameEnv', sasl.usernameEnv) : sasl.username;
    if (!username) throw new ConfigError('source.sasl: give username or usernameEnv');
    const password = fromEnv('sasl.passwordEnv', sasl.passwordEnv);
    settings.sasl = { mechanism: sasl.mechanism, username, password } as SASLOptions;
  }
  return settings;
}
