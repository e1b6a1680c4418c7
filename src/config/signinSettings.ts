/**
 * The `signin` section of tessera.json (Config.ts SigninSettings): the problems found at
 * start (docs/development.md "Rules the code keeps" 3 — refuse bad configuration and say
 * why). The validator settings it describes are validatorSettingsFor.ts.
 */
import { parseAltSecurityIdentity } from '../signin/mapAccount.js';
import type { SigninSettings } from './Config.js';

const nonNegative = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isFinite(v) && v >= 0);

export function signinSettingsProblems(s: SigninSettings): string[] {
  const p: string[] = [];
  if (typeof s !== 'object' || s === null) return ['signin: an object'];
  if (s.port !== undefined && (!Number.isInteger(s.port) || s.port < 0 || s.port > 65535))
    p.push('signin.port: 0–65535');
  if (s.host !== undefined && (typeof s.host !== 'string' || !s.host)) p.push('signin.host: an address');
  for (const k of ['trustAnchors', 'authenticationCas'] as const) {
    const v = s[k];
    if (v !== undefined && (!Array.isArray(v) || v.length === 0 || v.some((f) => typeof f !== 'string' || !f)))
      p.push(`signin.${k}: a non-empty list of PEM file names`);
  }
  if (s.eku !== undefined && !['smartcardLogon', 'clientAuthentication', 'either'].includes(s.eku))
    p.push('signin.eku: smartcardLogon, clientAuthentication or either');
  const m = s.mapping;
  if (m !== undefined) {
    if (m.allowWeakUpn !== undefined && typeof m.allowWeakUpn !== 'boolean')
      p.push('signin.mapping.allowWeakUpn: true or false');
    if (!nonNegative(m.creationToleranceSeconds)) p.push('signin.mapping.creationToleranceSeconds: 0 or more');
    for (const [user, values] of Object.entries(m.explicit ?? {})) {
      if (!Array.isArray(values)) {
        p.push(`signin.mapping.explicit.${user}: a list of X509:<I>…<SR>… / X509:<SKI>… strings`);
        continue;
      }
      for (const v of values) {
        try {
          parseAltSecurityIdentity(user, String(v));
        } catch (e) {
          p.push(`signin.mapping.explicit.${user}: ${(e as Error).message}`);
        }
      }
    }
  }
  const r = s.revocation;
  if (r !== undefined) {
    for (const k of ['timeoutMs', 'ocspMaxAgeSeconds', 'crlMaxAgeSeconds', 'crlCacheSeconds'] as const)
      if (!nonNegative(r[k])) p.push(`signin.revocation.${k}: 0 or more`);
    if (r.timeoutMs === 0) p.push('signin.revocation.timeoutMs: more than 0');
    if (r.requireOcspNonce !== undefined && typeof r.requireOcspNonce !== 'boolean')
      p.push('signin.revocation.requireOcspNonce: true or false');
    // Soft-fail is a mode, chosen by name, never a boolean someone flips by accident.
    if ('softFail' in (r as object))
      p.push(
        'signin.revocation.softFail: not a setting — write signin.revocation.mode ' +
          '"soft-fail" to let an unknown revocation status through (audited as a warning)',
      );
    if (r.mode !== undefined && r.mode !== 'hard-fail' && r.mode !== 'soft-fail')
      p.push('signin.revocation.mode: hard-fail or soft-fail');
    if (r.sources !== undefined && !['ocsp-then-crl', 'crl', 'ocsp'].includes(r.sources))
      p.push('signin.revocation.sources: ocsp-then-crl, crl or ocsp');
    if (r.crlFiles !== undefined && (!Array.isArray(r.crlFiles) || r.crlFiles.some((f) => typeof f !== 'string' || !f)))
      p.push('signin.revocation.crlFiles: a list of CRL files or directories');
  }
  for (const k of [
    'clockSkewSeconds',
    'notBeforeSkewSeconds',
    'attemptsPerMinutePerAddress',
    'attemptsPerMinutePerCertificate',
  ] as const)
    if (!nonNegative(s[k])) p.push(`signin.${k}: 0 or more`);
  return p;
}
