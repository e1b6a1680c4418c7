/**
 * Use case: publish a CA's full or delta CRL (certutil -crl). One publisher at a time
 * per CA across every node (CrlStore.withPublisherLock); the CRL number comes from the
 * database under that lock, so it only goes up, across restarts and nodes, and full and
 * delta CRLs share one sequence (RFC 5280 §5.2.3). Published CRLs are stored in `crls`
 * and served from there; the publication is audited and announced to exit modules.
 *
 * The issuing CA signs with its loaded key. Any other CA (the offline-capable root)
 * has its key loaded from keys/<id>.key.pem for this one publication and closed again.
 */
import type { CaCertificate } from '../ca/CaCertificate.js';
import { generateCrl, type CrlPlan, type CrlSigner } from '../ca/crl/generateCrl.js';
import type { Config } from '../config/Config.js';
import { TesseraError } from '../errors/TesseraError.js';
import { openSigner } from '../keys/openSigner.js';
import { CrlStore, type CrlKind, type StoredCrl } from '../store/CrlStore.js';
import type { AuditEvent } from '../store/records.js';
import type { Tessera } from '../Tessera.js';
import { actorName, type Actor } from './Actor.js';
import { forgetCurrentCrl } from './currentCrl.js';

/** CRL validity of a CA other than the online issuing CA (an offline root): 180 days. */
export const OFFLINE_CRL_VALIDITY_HOURS = 180 * 24;
/** How many CRLs of each kind are kept per CA (the newest is always kept: it holds the number). */
export const CRLS_KEPT = 3;

export interface PublishCrlOptions {
  /** Default: the issuing CA. */
  readonly caId?: string;
  readonly kind?: CrlKind;
  readonly actor?: Actor;
  /** Validity for a CA other than the issuing CA (default OFFLINE_CRL_VALIDITY_HOURS). */
  readonly validityHours?: number;
}

export type PublishedCrl = StoredCrl;

/** Where a CA's delta CRLs are served (AD CS names them <ca>+.crl). */
export function deltaCrlUrl(config: Config, caId: string): string {
  return `${config.publicUrl.replace(/\/+$/, '')}/pki/${caId}+.crl`;
}

/** Only the online issuing CA publishes delta CRLs; an offline root publishes full CRLs rarely. */
export function publishesDeltas(t: Tessera, caId: string): boolean {
  return caId === t.config.issuingCa;
}

function auditEvent(o: PublishCrlOptions, caId: string, c: StoredCrl): AuditEvent {
  return {
    actor: o.actor ? actorName(o.actor) : 'system',
    action: 'crl.published',
    target: caId,
    source: o.actor?.source ?? null,
    details: {
      ca: caId,
      kind: c.kind,
      number: c.number,
      baseNumber: c.baseNumber,
      entries: c.entries,
      thisUpdate: c.thisUpdate.toISOString(),
      nextUpdate: c.nextUpdate.toISOString(),
    },
  };
}

/** The CRL signer of a CA and how to release it. */
export async function crlSignerFor(
  t: Tessera,
  caId: string,
  ca: CaCertificate,
): Promise<{ signer: CrlSigner; close: () => Promise<void> }> {
  if (caId === t.config.issuingCa) {
    try {
      const issuing = t.issuing;
      return {
        signer: { algorithm: issuing.signatureAlgorithm, sign: (d) => issuing.signData(d) },
        close: async () => {},
      };
    } catch {
      // Opened without the issuing key (a CLI command): load it for this publication.
    }
  }
  const entry = t.config.cas.find((c) => c.id === caId);
  if (!entry) throw new TesseraError('NOT_FOUND', `CA ${caId} is not configured`);
  const signer = await openSigner(entry, t.paths);
  if (!signer.publicKey.equals(ca.spki)) {
    await signer.close();
    throw new TesseraError('CONFIG_INVALID', `the key for CA "${caId}" does not match its certificate`);
  }
  return { signer, close: () => signer.close() };
}

export async function publishCrl(t: Tessera, o: PublishCrlOptions = {}): Promise<PublishedCrl> {
  return (await publishCrlIf(t, o))!;
}

/**
 * Publish only if `due` says so, asked under the publisher lock with the database as it
 * is then (so several nodes running the same schedule publish once, not once each).
 * Resolves to undefined when nothing was due.
 */
export async function publishCrlIf(
  t: Tessera,
  o: PublishCrlOptions,
  due?: (crls: CrlStore, revocationVersion: number) => Promise<boolean>,
): Promise<PublishedCrl | undefined> {
  const caId = o.caId ?? t.config.issuingCa;
  const kind = o.kind ?? 'full';
  if (!t.cas.some((c) => c.id === caId && c.active)) throw new TesseraError('NOT_FOUND', `there is no CA "${caId}"`);
  const online = publishesDeltas(t, caId);
  if (kind === 'delta' && !online) throw new TesseraError('CRL_DELTA_UNSUPPORTED', caId);
  if (o.validityHours !== undefined && !(o.validityHours > 0))
    throw new TesseraError('INPUT_INVALID', 'validity must be a positive number of hours');
  const ca = t.caCertificate(caId);
  const { signer, close } = await crlSignerFor(t, caId, ca);
  let published: PublishedCrl | undefined;
  try {
    published = await t.store.crls.withPublisherLock(caId, async (db) => {
      const crls = new CrlStore(db, t.store.dialect);
      // Everything below reads one snapshot, taken after the previous publisher committed.
      const number = (await crls.lastNumber(caId)) + 1;
      const version = await crls.revocationVersion();
      if (due && !(await due(crls, version))) return undefined;
      // RFC 5280 §5.1.2.4–5: whole seconds; nextUpdate from the configured validity.
      const thisUpdate = new Date(Math.floor(t.now().getTime() / 1000) * 1000);
      const hours = online
        ? kind === 'full'
          ? t.config.crl.validityHours
          : t.config.crl.deltaValidityHours
        : (o.validityHours ?? OFFLINE_CRL_VALIDITY_HOURS);
      const nextUpdate = new Date(thisUpdate.getTime() + Math.round(hours * 3600) * 1000);
      let plan: CrlPlan;
      if (kind === 'full') {
        const previous = await crls.latest(caId, 'full');
        const expiredBefore = previous && previous.thisUpdate < thisUpdate ? previous.thisUpdate : thisUpdate;
        plan = {
          kind,
          number,
          thisUpdate,
          nextUpdate,
          expiredBefore,
          freshestCrlUrls: online ? [deltaCrlUrl(t.config, caId)] : undefined,
        };
      } else {
        const base = await crls.latest(caId, 'full');
        if (!base) throw new TesseraError('CRL_BASE_MISSING', caId);
        plan = { kind, number, thisUpdate, nextUpdate, baseNumber: base.number, baseVersion: base.revocationVersion };
      }
      const g = await generateCrl(crls, caId, ca, signer, plan);
      const row: StoredCrl = {
        caId,
        number,
        kind,
        baseNumber: plan.kind === 'delta' ? plan.baseNumber : null,
        thisUpdate,
        nextUpdate,
        entries: g.entries,
        revocationVersion: version,
        der: g.der,
      };
      await crls.insert(row);
      await crls.prune(caId, kind, CRLS_KEPT);
      return row;
    });
  } finally {
    await close();
  }
  if (!published) return undefined;
  const p = published;
  // Audited right after the publication commits: in the publisher's REPEATABLE READ
  // snapshot (PostgreSQL), taking the audit chain's head row FOR UPDATE would fail
  // whenever anyone else audited something while a large CRL was being built.
  await t.store.transaction((tx) => tx.audit.append(auditEvent(o, caId, p)));
  forgetCurrentCrl(t, caId);
  t.exits.emit({ kind: 'crl', caId, number: published.number, delta: kind === 'delta' });
  return published;
}

/**
 * At `tessera init`: a full CRL for every CA (the root's signed with its key, loaded for
 * this once), then the issuing CA's first delta CRL.
 */
export async function publishInitialCrls(t: Tessera, actor: Actor): Promise<PublishedCrl[]> {
  const out: PublishedCrl[] = [];
  for (const ca of t.cas)
    if (ca.active && ca.id !== t.config.issuingCa) out.push(await publishCrl(t, { caId: ca.id, actor }));
  out.push(await publishCrl(t, { caId: t.config.issuingCa, actor }));
  out.push(await publishCrl(t, { caId: t.config.issuingCa, kind: 'delta', actor }));
  return out;
}
