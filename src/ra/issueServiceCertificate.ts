/**
 * Use case: the CA's own service certificates (the HTTPS server's TLS certificate, the
 * OCSP responder's signing certificate). Issued by the local administrator through the
 * same prepare → record intent → sign path, with a request row and an audit record, so
 * the database knows them like any other certificate.
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { IssuanceProfile } from '../ca/IssuanceProfile.js';
import type { Tessera } from '../Tessera.js';
import { decodeSpki } from '../x509/publicKey.js';
import { actorName, type Actor } from './Actor.js';

export interface ServiceCertificate {
  readonly serial: string;
  readonly der: Buffer;
  readonly privateKey: KeyObject;
  readonly notAfter: Date;
}

export async function issueServiceCertificate(
  t: Tessera,
  actor: Actor,
  kind: 'tls-server' | 'ocsp-signing',
  names: { commonName: string; dns?: readonly string[] },
  validityDays: number,
): Promise<ServiceCertificate> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const profile: IssuanceProfile = {
    template: { name: kind === 'tls-server' ? 'TesseraWebServer' : 'TesseraOCSPSigning', schemaVersion: 1, oid: null, majorVersion: 1, minorVersion: 0 },
    subject: [{ type: 'CN', value: names.commonName }],
    san: (names.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    sid: null,
    ekus: kind === 'tls-server' ? ['1.3.6.1.5.5.7.3.1'] : ['1.3.6.1.5.5.7.3.9'],
    keyUsage: ['digitalSignature'],
    applicationPolicies: false,
    validityDays,
    spki,
    key: decodeSpki(spki),
    subjectUser: null,
    ocspNoCheck: kind === 'ocsp-signing',
  };
  const ca = t.issuing;
  const now = t.now();
  const prepared = ca.prepare(profile, now);
  let requestId = 0;
  const issued = await ca.issue(prepared, (intent) =>
    t.store.transaction(async (tx) => {
      requestId = await tx.requests.insert({
        submittedAt: now,
        requester: actorName(actor),
        subjectUser: null,
        agent: null,
        template: profile.template.name,
        format: 'internal',
        requestDer: null,
        requestSha256: createHash('sha256').update(spki).digest('hex'),
        attributes: {},
        disposition: 'issuing',
        code: null,
        message: 'Issuing',
        source: actor.source,
      });
      await tx.certificates.reserve({ ...intent, requestId }, now);
    }),
  );
  await t.store.transaction(async (tx) => {
    await tx.certificates.markIssued(issued.serial, issued.der, t.now());
    await tx.requests.resolve(requestId, ['issuing'], { disposition: 'issued', code: null, message: 'Issued', serial: issued.serial, resolvedAt: t.now(), resolvedBy: actorName(actor) });
    await tx.audit.append({ actor: actorName(actor), action: 'certificate.issued', requestId, serial: issued.serial, source: actor.source, details: { template: profile.template.name, subject: issued.subject, dns: names.dns ?? [] } });
  });
  return { serial: issued.serial, der: issued.der, privateKey, notAfter: issued.notAfter };
}
