/**
 * Bearer tokens with roles. Each route says the role it needs in its config (`public`, `read`,
 * `admin`; admin may do everything read may). Tokens are compared as SHA-256 digests with
 * timingSafeEqual against every configured token, so neither the match nor its position shows in
 * the timing. With no tokens configured the server must listen on loopback only, and everyone is
 * admin (the CLI prints a warning).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { RequestError } from '../base/errors.ts';
import type { Role, TokenConfig } from './config.ts';

export type RouteRole = Role | 'public';

export interface Principal {
  readonly name: string;
  readonly role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    role?: RouteRole;
  }
}

const digest = (text: string) => createHash('sha256').update(text).digest();

export class TokenAuth {
  private readonly tokens: readonly { digest: Buffer; principal: Principal }[];

  constructor(tokens: readonly TokenConfig[]) {
    this.tokens = tokens.map((t) => ({
      digest: digest(t.token),
      principal: { name: t.name ?? t.role, role: t.role },
    }));
  }

  get open(): boolean {
    return this.tokens.length === 0;
  }

  /** The principal of a request, or a 401/403 RequestError. */
  authorize(request: FastifyRequest, needed: RouteRole): Principal | undefined {
    if (needed === 'public') return undefined;
    if (this.open) return { name: 'anonymous', role: 'admin' };
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new RequestError('UNAUTHORIZED', 'send Authorization: Bearer <token>');
    const given = digest(match[1]!);
    let found: Principal | undefined;
    for (const token of this.tokens) {
      if (timingSafeEqual(given, token.digest)) found = token.principal;
    }
    if (!found) throw new RequestError('UNAUTHORIZED', 'the token is not valid');
    if (needed === 'admin' && found.role !== 'admin') {
      throw new RequestError('FORBIDDEN', `this needs the admin role; the token has ${found.role}`);
    }
    return found;
  }
}
