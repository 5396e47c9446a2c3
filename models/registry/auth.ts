/**
 * Bearer tokens with two scopes: `read` (GET) and `admin` (every change).
 * Tokens come from config or env as comma-separated `token` or `name:token`
 * entries; the name is who the audit log says made a change (unnamed tokens
 * are named by a short fingerprint). The presented token is hashed and the
 * digest compared with every configured digest by `timingSafeEqual`, so
 * neither its length nor which entry matched leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { SwitchyardError } from '../../runtime/errors.js';

export type Scope = 'read' | 'admin';

export interface Principal {
  actor: string;
  scope: Scope;
}

interface Grant extends Principal {
  digest: Buffer;
}

export const MIN_TOKEN_LENGTH = 16;
const ACTOR_RULE = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

export interface NamedToken {
  actor: string;
  token: string;
}

/** Parses `name:token,token2`; `source` names the variable or option in error messages. */
export function parseTokenList(list: string | undefined, source: string): NamedToken[] {
  const entries = (list ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '');
  return entries.map((entry, i) => {
    const colon = entry.indexOf(':');
    const name = colon > 0 ? entry.slice(0, colon) : undefined;
    const token = colon > 0 ? entry.slice(colon + 1) : entry;
    if (name !== undefined && !ACTOR_RULE.test(name)) throw new Error(`${source} entry ${i + 1}: the name before ":" must be 1-64 letters, digits, "_", ".", "@" or "-"`);
    if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) throw new Error(`${source} entry ${i + 1}: a token is at least ${MIN_TOKEN_LENGTH} characters without spaces (e.g. \`openssl rand -hex 24\`)`);
    return { actor: name ?? `token:${digest(token).toString('hex').slice(0, 8)}`, token };
  });
}

export interface TokenConfig {
  admin: readonly NamedToken[];
  read: readonly NamedToken[];
  /** Allow GETs without a token even when tokens are configured. */
  anonymousReads: boolean;
}

export class TokenAuthority {
  private readonly grants: Grant[];

  constructor(private readonly config: TokenConfig) {
    // An admin grant is listed first so that a token given in both lists acts as admin.
    this.grants = [
      ...config.admin.map((t) => ({ actor: t.actor, scope: 'admin' as const, digest: digest(t.token) })),
      ...config.read.map((t) => ({ actor: t.actor, scope: 'read' as const, digest: digest(t.token) })),
    ];
  }

  get adminConfigured(): boolean {
    return this.config.admin.length > 0;
  }

  /** Reads are open when no token at all is configured, or when anonymous reads are allowed. */
  get readsOpen(): boolean {
    return this.grants.length === 0 || this.config.anonymousReads;
  }

  /** Returns who is calling, or throws 401 (no or unknown token) / 403 (read-only token for a change). */
  authorize(header: string | undefined, need: Scope): Principal {
    if (header === undefined || header === '') {
      if (need === 'read' && this.readsOpen) return { actor: 'anonymous', scope: 'read' };
      if (need === 'admin' && !this.adminConfigured) {
        throw new SwitchyardError('SY_ERR_UNAUTHENTICATED', 'this registry has no admin tokens configured (SWITCHYARD_ADMIN_TOKENS), so it refuses every change');
      }
      throw new SwitchyardError('SY_ERR_UNAUTHENTICATED', `${need === 'admin' ? 'changes need an admin' : 'reading needs a'} bearer token: send "Authorization: Bearer <token>" (the CLI reads --token or SWITCHYARD_TOKEN)`);
    }
    const match = /^Bearer +([^\s]+) *$/i.exec(header);
    if (!match) throw new SwitchyardError('SY_ERR_UNAUTHENTICATED', 'the Authorization header must be "Bearer <token>"');
    const presented = digest(match[1]!);
    let found: Grant | undefined;
    for (const grant of this.grants) {
      // No early exit: every digest is compared whatever matched before.
      if (timingSafeEqual(presented, grant.digest) && found === undefined) found = grant;
    }
    if (!found) throw new SwitchyardError('SY_ERR_UNAUTHENTICATED', 'the bearer token is not known to this registry');
    if (need === 'admin' && found.scope !== 'admin') {
      throw new SwitchyardError('SY_ERR_FORBIDDEN', `the token of "${found.actor}" is read-only; changes need an admin token (SWITCHYARD_ADMIN_TOKENS)`);
    }
    return { actor: found.actor, scope: found.scope };
  }
}

/** Tokens from the environment: SWITCHYARD_ADMIN_TOKENS and SWITCHYARD_READ_TOKENS. */
export function tokenConfigFromEnv(env: NodeJS.ProcessEnv, anonymousReads = false): TokenConfig {
  return {
    admin: parseTokenList(env.SWITCHYARD_ADMIN_TOKENS, 'SWITCHYARD_ADMIN_TOKENS'),
    read: parseTokenList(env.SWITCHYARD_READ_TOKENS, 'SWITCHYARD_READ_TOKENS'),
    anonymousReads,
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
