/**
 * Mapping a validated certificate to exactly one directory account (docs/security.md
 * §8.11; KB5014754; MS-PKCA §3.1.5.2.1):
 *
 *   strong  — the SID in szOID_NTDS_CA_SECURITY_EXT (1.3.6.1.4.1.311.25.2) or in a SAN URI
 *             `tag:microsoft.com,2022-09-14:sid:<SID>`, or an explicit mapping the
 *             administrator made for the account (altSecurityIdentities
 *             `X509:<I>issuer<SR>serial`, `X509:<SKI>ski`);
 *   weak    — the UPN alone (the implicit mapping), only when the service is configured
 *             to accept it, and then reported as weak.
 *
 * Every identity the certificate carries must point at the same account: a SID that is
 * not the SID of the account its UPN (or an explicit mapping) names is refused — the
 * KDC's KDC_ERR_CERTIFICATE_MISMATCH (MS-PKCA §3.1.5.2.1.6), which is what stops ESC9 and
 * ESC10 (a UPN moved onto another account before enrollment). Weak explicit forms
 * (`<I><S>`, `<S>`, `<RFC822>`) are not accepted at all (ESC14).
 */
import type { Directory, DirectoryUser } from '../directory/Directory.js';
import { TesseraError } from '../errors/TesseraError.js';
import type { ParsedCertificate } from '../x509/certificate.js';

/** What the mapping needs from a directory (Directory implements it). */
export type AccountLookup = Pick<Directory, 'findUser' | 'findUserBySid' | 'findUserByUpn'>;

export type ExplicitMapping =
  | {
      readonly kind: 'issuer-serial';
      readonly username: string;
      readonly text: string;
      readonly issuer: string;
      readonly serialReversed: string;
    }
  | { readonly kind: 'ski'; readonly username: string; readonly text: string; readonly ski: string };

/**
 * Parse one altSecurityIdentities value (MS-PKCA; KB5014754 "strong" forms only). The
 * issuer is written as Windows writes it, X.500 order (`DC=local,DC=tessera,CN=Tessera
 * Issuing CA`); the serial in reversed byte order, as Windows stores it. Throws an Error
 * naming the problem (configuration validation shows it).
 */
export function parseAltSecurityIdentity(username: string, text: string): ExplicitMapping {
  const t = text.trim();
  let m = /^X509:<I>(.+)<SR>([0-9A-Fa-f]+)$/.exec(t);
  if (m) {
    if (m[2].length % 2) throw new Error(`"${text}": the serial must be whole bytes of hex`);
    return { kind: 'issuer-serial', username, text: t, issuer: normaliseDn(m[1]), serialReversed: m[2].toLowerCase() };
  }
  m = /^X509:<SKI>([0-9A-Fa-f]+)$/.exec(t);
  if (m) {
    if (m[1].length % 2) throw new Error(`"${text}": the SKI must be whole bytes of hex`);
    return { kind: 'ski', username, text: t, ski: m[1].toLowerCase() };
  }
  if (/^X509:(<I>.*<S>|<S>|<RFC822>)/i.test(t))
    throw new Error(
      `"${text}": issuer+subject, subject and RFC822 mappings are weak ` +
        '(KB5014754, ESC14); use X509:<I>…<SR>… or X509:<SKI>…',
    );
  throw new Error(`"${text}" is not X509:<I>issuer<SR>serial or X509:<SKI>ski`);
}

/** DN text compared without case or spaces around separators. */
function normaliseDn(dn: string): string {
  return dn
    .split(/(?<!\\),/)
    .map((rdn) => rdn.trim().replace(/\s*=\s*/, '='))
    .join(',')
    .toLowerCase();
}

/** The serial as Windows writes it in `<SR>`: bytes in reverse order. */
export function reversedSerial(serialHex: string): string {
  return (serialHex.match(/../g) ?? []).reverse().join('');
}

export interface MappingPolicy {
  /** Accept a certificate whose only link to an account is its UPN (default false: KB5014754 full enforcement). */
  readonly allowWeakUpn: boolean;
  readonly explicit: readonly ExplicitMapping[];
}

export type MappingKind = 'sid-extension' | 'sid-uri' | 'explicit-issuer-serial' | 'explicit-ski' | 'upn';

export interface Mapping {
  readonly account: DirectoryUser;
  readonly kind: MappingKind;
  readonly strength: 'strong' | 'weak';
  /** The certificate's SID, when it has one. */
  readonly sid?: string;
  readonly upn?: string;
  /** The explicit mapping that matched. */
  readonly explicit?: string;
}

function explicitMatches(leaf: ParsedCertificate, policy: MappingPolicy): ExplicitMapping[] {
  const issuer = normaliseDn(leaf.issuerWindowsText);
  const reversed = reversedSerial(leaf.serial);
  const ski = leaf.subjectKeyId?.toString('hex');
  return policy.explicit.filter((m) => {
    if (m.kind === 'ski') return ski !== undefined && m.ski === ski;
    // Windows may keep the sign octet: "…00" reversed is the same serial.
    return m.issuer === issuer && (m.serialReversed === reversed || m.serialReversed === `${reversed}00`);
  });
}

const same = (a: DirectoryUser | undefined, b: DirectoryUser | undefined) =>
  !!a && !!b && a.username.toLowerCase() === b.username.toLowerCase();

/**
 * The account `leaf` signs in as. Throws SIGNIN_CERTIFICATE_MISMATCH, SIGNIN_MAPPING_AMBIGUOUS,
 * SIGNIN_WEAK_MAPPING, SIGNIN_NOT_MAPPED (details name accounts: for the audit log only), or
 * a directory error (DIRECTORY_UNAVAILABLE).
 */
export async function mapAccount(
  leaf: ParsedCertificate,
  accounts: AccountLookup,
  policy: MappingPolicy,
): Promise<Mapping> {
  const sids = [
    ...new Set([...(leaf.sidExtension ? [leaf.sidExtension] : []), ...leaf.sidUris].map((s) => s.toUpperCase())),
  ];
  if (sids.length > 1)
    throw new TesseraError('SIGNIN_CERTIFICATE_MISMATCH', `the certificate carries different SIDs: ${sids.join(', ')}`);
  const sid = sids[0];
  const sidKind: MappingKind = leaf.sidExtension ? 'sid-extension' : 'sid-uri';
  if (leaf.upns.length > 1)
    throw new TesseraError('SIGNIN_MAPPING_AMBIGUOUS', `the certificate carries ${leaf.upns.length} UPNs`);
  const upn = leaf.upns[0];

  const explicit = explicitMatches(leaf, policy);
  const explicitUsers = [...new Set(explicit.map((m) => m.username.toLowerCase()))];
  if (explicitUsers.length > 1)
    throw new TesseraError('SIGNIN_MAPPING_AMBIGUOUS', `explicit mappings name ${explicitUsers.join(', ')}`);
  const [sidAccount, upnAccount, explicitAccount] = await Promise.all([
    sid ? accounts.findUserBySid(sid) : undefined,
    upn ? accounts.findUserByUpn(upn) : undefined,
    explicitUsers[0] ? accounts.findUser(explicitUsers[0]) : undefined,
  ]);
  const explicitText = explicit[0]?.text;
  const explicitKind: MappingKind | undefined = explicit[0]
    ? explicit[0].kind === 'ski'
      ? 'explicit-ski'
      : 'explicit-issuer-serial'
    : undefined;
  const base = { ...(sid ? { sid } : {}), ...(upn ? { upn } : {}) };

  if (sid) {
    // KB5014754: the SID decides; every other identity in the certificate must agree with it.
    if (!sidAccount) {
      if (upnAccount)
        throw new TesseraError(
          'SIGNIN_CERTIFICATE_MISMATCH',
          `the certificate's SID ${sid} belongs to no account, but its UPN ` +
            `${upn} names ${upnAccount.username} (SID ${upnAccount.sid ?? 'none'})`,
        );
      if (explicitAccount)
        throw new TesseraError(
          'SIGNIN_CERTIFICATE_MISMATCH',
          `the certificate's SID ${sid} belongs to no account, but ` +
            `${explicitText} maps it to ${explicitAccount.username}`,
        );
      throw new TesseraError(
        'SIGNIN_NOT_MAPPED',
        `no account has the SID ${sid}${upn ? ` and no account has the UPN ${upn}` : ''}`,
      );
    }
    if (upn && upnAccount && !same(upnAccount, sidAccount)) {
      throw new TesseraError(
        'SIGNIN_CERTIFICATE_MISMATCH',
        `the certificate's UPN ${upn} names ${upnAccount.username} (SID ${upnAccount.sid ?? 'none'}) ` +
          `but its SID ${sid} is ${sidAccount.username}'s (KDC_ERR_CERTIFICATE_MISMATCH)`,
      );
    }
    if (explicitAccount && !same(explicitAccount, sidAccount))
      throw new TesseraError(
        'SIGNIN_CERTIFICATE_MISMATCH',
        `${explicitText} maps the certificate to ${explicitAccount.username} ` +
          `but its SID ${sid} is ${sidAccount.username}'s`,
      );
    return { account: sidAccount, kind: sidKind, strength: 'strong', ...base };
  }
  if (explicitAccount) {
    if (upn && upnAccount && !same(upnAccount, explicitAccount))
      throw new TesseraError(
        'SIGNIN_CERTIFICATE_MISMATCH',
        `${explicitText} maps the certificate to ${explicitAccount.username} ` +
          `but its UPN ${upn} names ${upnAccount.username}`,
      );
    return { account: explicitAccount, kind: explicitKind!, strength: 'strong', ...base, explicit: explicitText! };
  }
  if (explicit.length)
    throw new TesseraError(
      'SIGNIN_NOT_MAPPED',
      `${explicitText} names the account ${explicitUsers[0]}, which does not exist`,
    );
  if (upnAccount) {
    // KB5014754 full enforcement: a UPN alone can be moved onto another account (ESC9/ESC10).
    if (!policy.allowWeakUpn)
      throw new TesseraError(
        'SIGNIN_WEAK_MAPPING',
        `only the UPN ${upn} links the certificate to ${upnAccount.username}; ` +
          'no SID extension, SID URI or explicit mapping',
      );
    return { account: upnAccount, kind: 'upn', strength: 'weak', ...base };
  }
  throw new TesseraError(
    'SIGNIN_NOT_MAPPED',
    upn ? `no account has the UPN ${upn}` : 'the certificate carries no SID, no UPN and matches no explicit mapping',
  );
}

/**
 * The account may sign in: enabled (docs/security.md §8.12), and created
 * before the certificate was issued — otherwise the certificate was made for an earlier
 * holder of the name (KB5014754; Samba "kdc certificate binding enforcement"). Certificate
 * authorities backdate notBefore (AD CS ClockSkewMinutes 10, Tessera 5 minutes), hence the
 * tolerance.
 */
export function checkAccount(leaf: ParsedCertificate, account: DirectoryUser, creationToleranceMs: number): void {
  if (!account.enabled) throw new TesseraError('USER_DISABLED', `${account.username} is disabled`);
  if (leaf.notBefore.getTime() + creationToleranceMs < account.createdAt.getTime()) {
    throw new TesseraError(
      'SIGNIN_CERT_PREDATES_ACCOUNT',
      `the certificate (notBefore ${leaf.notBefore.toISOString()}) predates the ` +
        `account ${account.username} (created ${account.createdAt.toISOString()})`,
    );
  }
}
