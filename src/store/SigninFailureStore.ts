import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface FailureCount {
  readonly failures: number;
  readonly lastFailureAt: Date;
}

/** The row counting one address's failures for every user. Sign-in names are never empty. */
const ANY_USER = '';

/**
 * Failed password sign-ins per (user, client address) and per address (migration 005),
 * for the sign-in throttle (entry/http/auth/SignInThrottle.ts). A count starts again
 * when its last failure is older than the caller's `forgetBefore`.
 */
export class SigninFailureStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** The pair's and the address's counts, in one read. */
  async get(usernameKey: string, address: string): Promise<{ pair?: FailureCount; address?: FailureCount }> {
    const rows = await this.db
      .selectFrom('signin_failures')
      .select(['username_key', 'failures', 'last_failure_at'])
      .where('address', '=', address)
      .where('username_key', 'in', [usernameKey, ANY_USER])
      .execute();
    const out: { pair?: FailureCount; address?: FailureCount } = {};
    for (const r of rows)
      out[r.username_key === ANY_USER ? 'address' : 'pair'] = {
        failures: Number(r.failures),
        lastFailureAt: new Date(Number(r.last_failure_at)),
      };
    return out;
  }

  /** Count one failure for the pair and for the address; returns the new counts. */
  async record(
    usernameKey: string,
    address: string,
    at: Date,
    forgetBefore: { readonly pair: Date; readonly address: Date },
  ): Promise<{ pair: number; address: number }> {
    return {
      pair: await this.#bump(usernameKey, address, at, forgetBefore.pair),
      address: await this.#bump(ANY_USER, address, at, forgetBefore.address),
    };
  }

  /** A right password from this address: the pair starts again (the address count stays). */
  async clear(usernameKey: string, address: string): Promise<void> {
    await this.db
      .deleteFrom('signin_failures')
      .where('username_key', '=', usernameKey)
      .where('address', '=', address)
      .execute();
  }

  /** Forget counts whose last failure is older than `before`. */
  async purge(before: Date): Promise<number> {
    const r = await this.db
      .deleteFrom('signin_failures')
      .where('last_failure_at', '<', before.getTime())
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** One atomic upsert (SQLite ≥ 3.35 and PostgreSQL both have ON CONFLICT … RETURNING). */
  async #bump(usernameKey: string, address: string, at: Date, forgetBefore: Date): Promise<number> {
    const t = at.getTime();
    const r = await this.db
      .insertInto('signin_failures')
      .values({ username_key: usernameKey, address, failures: 1, last_failure_at: t })
      .onConflict((oc) =>
        oc.columns(['username_key', 'address']).doUpdateSet({
          failures: sql<number>`case when signin_failures.last_failure_at \
< ${forgetBefore.getTime()} then 1 else signin_failures.failures + 1 end`,
          last_failure_at: t,
        }),
      )
      .returning('failures')
      .executeTakeFirstOrThrow();
    return Number(r.failures);
  }
}
