/**
 * TokenCache: the single-use, short-lived URLs the CRI Exec/Attach/PortForward calls return.
 * Upstream's streaming server keeps requests the same way (60 s, bounded in-flight): a URL is a
 * capability, so it must be unguessable, used once, and die soon.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../base/clock.js';
import { CriCode, CriError } from '../../kubelet/cri/errors.js';

/** Tokens expire this long after they were issued. */
export const TOKEN_TTL_MS = 60_000;
/** Issued and not yet used tokens kept at most. */
export const MAX_IN_FLIGHT = 1000;

/**
 * newSecretToken is 128 random bits, URL-safe. Deliberately NOT the seeded Prng: a token is a
 * secret, and a seeded stream would make it guessable.
 */
export function newSecretToken(): string {
  return randomBytes(16).toString('base64url');
}

/** TokenCache maps tokens to requests of type T. */
export class TokenCache<T> {
  private readonly entries = new Map<string, { value: T; expiresMs: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly newToken: () => string = newSecretToken,
    private readonly ttlMs = TOKEN_TTL_MS,
    private readonly maxInFlight = MAX_IN_FLIGHT,
  ) {}

  /** insert stores value and returns its token; RESOURCE_EXHAUSTED when too many are pending. */
  insert(value: T): string {
    this.evictExpired();
    if (this.entries.size >= this.maxInFlight) {
      const why = 'maximum number of in-flight streaming requests exceeded';
      throw new CriError(CriCode.RESOURCE_EXHAUSTED, why);
    }
    const token = this.newToken();
    this.entries.set(token, { value, expiresMs: this.clock.nowMs() + this.ttlMs });
    return token;
  }

  /** consume returns the token's request once; expired or unknown tokens give undefined. */
  consume(token: string): T | undefined {
    const e = this.entries.get(token);
    if (!e) return undefined;
    this.entries.delete(token);
    return this.clock.nowMs() <= e.expiresMs ? e.value : undefined;
  }

  /** size counts pending tokens (tests). */
  get size(): number {
    return this.entries.size;
  }

  private evictExpired(): void {
    const now = this.clock.nowMs();
    for (const [token, e] of this.entries) if (e.expiresMs < now) this.entries.delete(token);
  }
}
