/**
 * Use case: the audit record of a smart card sign-in attempt on the sign-in listener
 * (entry/http/signin/signinServer.ts, docs/signin.md): `signin.succeeded` with the account
 * mapping, or `signin.refused` with the reason code, the failed check and its detail — or
 * a refusal by the rate limit before any check ran. A sign-in is let through only once its
 * record is committed, so this throws when the store does.
 */
import type { SigninDecision } from '../signin/SmartCardValidator.js';
import type { Tessera } from '../Tessera.js';

export type SmartCardSignInAttempt =
  | { readonly source: string; readonly decision: SigninDecision; readonly presented: number }
  | { readonly source: string; readonly rateLimited: string };

export async function auditSmartCardSignIn(t: Tessera, a: SmartCardSignInAttempt): Promise<void> {
  if ('rateLimited' in a) {
    const details = { method: 'smartcard', code: 'RATE_LIMITED', detail: a.rateLimited };
    const record = { actor: 'anonymous', action: 'signin.refused', source: a.source, details };
    await t.store.transaction((tx) => tx.audit.append(record));
    return;
  }
  const d = a.decision;
  const failed = d.ok ? undefined : d.checks.find((c) => c.status === 'failed');
  const username = d.ok ? d.account.username : d.account;
  // The serial names a certificate of this CA's database only when this CA issued it.
  const ours = d.certificate && d.certificate.issuer === t.caCertificate(t.config.issuingCa).subject;
  await t.store.transaction((tx) =>
    tx.audit.append({
      actor: username ?? 'anonymous',
      action: d.ok ? 'signin.succeeded' : 'signin.refused',
      target: username ?? null,
      serial: ours ? d.certificate!.serial : null,
      source: a.source,
      details: {
        method: 'smartcard',
        ...(d.ok
          ? {
              mapping: {
                kind: d.mapping.kind,
                strength: d.mapping.strength,
                sid: d.mapping.sid ?? null,
                upn: d.mapping.upn ?? null,
              },
            }
          : { code: d.code, check: failed?.id ?? null, detail: d.detail.slice(0, 2000) }),
        certificate: d.certificate ?? null,
        presented: a.presented,
        // Soft-fail revocation: every sign-in it lets through says so in its record (docs/signin.md).
        ...(d.ok && d.warnings?.length ? { warnings: d.warnings } : {}),
      },
    }),
  );
}
