/**
 * Use case: a password sign-in failed (entry/http/auth/Authenticator.ts). The failure is
 * counted for the sign-in throttle (docs/security.md §6.4) and audited as `auth.failed` in
 * one transaction. The record keeps the true reason (USER_DISABLED, a directory's detail),
 * which the answer to the client never tells.
 */
import type { ErrorCode } from '../errors/registry.js';
import type { Store } from '../store/Store.js';
import type { Tessera } from '../Tessera.js';

export interface FailedSignIn {
  /** The name as typed, lower case. */
  readonly account: string;
  readonly source: string;
  readonly code: ErrorCode;
  readonly detail?: string;
}

/** `count` adds the failure to the throttle's counters in the same transaction and returns them. */
export async function recordFailedSignIn(
  t: Tessera,
  f: FailedSignIn,
  count: (tx: Store) => Promise<{ pair: number; address: number } | undefined>,
): Promise<void> {
  await t.store.transaction(async (tx) => {
    const n = await count(tx);
    await tx.audit.append({
      actor: f.account.slice(0, 128),
      action: 'auth.failed',
      source: f.source,
      details: {
        code: f.code,
        ...(f.detail ? { detail: f.detail.slice(0, 500) } : {}),
        ...(n ? { failures: n.pair, addressFailures: n.address } : {}),
      },
    });
  });
}
