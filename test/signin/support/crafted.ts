/**
 * A hand-made hierarchy ("Unit Root CA" → "Unit Issuing CA") whose CRLs and OCSP
 * responder are served by a real PkiServer, the accounts of a real Tessera directory,
 * and a validator over both — for the suites that test the validator's pieces with
 * crafted certificates.
 */
import type { DirectoryUser } from '../../../src/directory/Directory.js';
import { SmartCardValidator, type Possession, type ValidatorSettings } from '../../../src/signin/SmartCardValidator.js';
import { parseOcspRequest } from '../../../src/x509/ocsp.js';
import { OID } from '../../../src/x509/oids.js';
import { newTestCa, type TestCa } from '../../support/tessera.js';
import { hierarchy, makeCert, makeCrl, makeOcspResponse, PkiServer, type CertSpec, type Issued } from './pki.js';

export const TLS_POSSESSION: Possession = { proven: true, method: 'test: TLS CertificateVerify' };

export interface CraftedWorld {
  readonly ca: TestCa;
  readonly pki: PkiServer;
  readonly root: Issued;
  readonly issuing: Issued;
  readonly alice: DirectoryUser;
  readonly bob: DirectoryUser;
  /** A Smartcard-Logon-shaped leaf for `user` from the Unit Issuing CA, with overrides. */
  leaf(user: DirectoryUser, o?: Partial<CertSpec>): Issued;
  /** Serve fresh CRLs (nothing revoked unless listed) for both CAs. */
  publishCrls(o?: { revokedLeaves?: string[]; revokedCas?: string[] }): void;
  /** OCSP: "good" for everything, signed by the issuing CA, nonce echoed (the default). */
  ocspGood(): void;
  validator(o?: Partial<ValidatorSettings>, now?: () => Date): SmartCardValidator;
  close(): Promise<void>;
}

export async function craftedWorld(): Promise<CraftedWorld> {
  const ca = await newTestCa();
  const _alice = await ca.user('alice');
  const _bob = await ca.user('bob');
  const pki = await new PkiServer().start();
  const { root, issuing } = hierarchy(pki, 'Unit');
  const w: CraftedWorld = {
    ca,
    pki,
    root,
    issuing,
    alice: (await ca.t.directory.findUser('alice'))!,
    bob: (await ca.t.directory.findUser('bob'))!,
    leaf(user, o = {}) {
      return makeCert({
        subject: [
          { type: 'O', value: 'Unit Org' },
          { type: 'CN', value: user.displayName },
        ],
        issuer: issuing,
        ca: false,
        keyUsage: ['digitalSignature', 'keyEncipherment'],
        eku: [OID.clientAuth, OID.smartcardLogon],
        san: [{ type: 'upn', value: user.upn! }],
        ...(user.sid ? { sid: user.sid } : {}),
        crlUrls: [`${pki.url}/Unit-issuing.crl`],
        ocspUrl: `${pki.url}/ocsp`,
        notBefore: new Date(Date.now() - 60_000),
        ...o,
      });
    },
    publishCrls(o = {}) {
      pki.crls.set(
        'Unit-root.crl',
        makeCrl({ issuer: root, revoked: (o.revokedCas ?? []).map((serial) => ({ serial })) }),
      );
      pki.crls.set(
        'Unit-issuing.crl',
        makeCrl({ issuer: issuing, revoked: (o.revokedLeaves ?? []).map((serial) => ({ serial })) }),
      );
    },
    ocspGood() {
      pki.ocsp = (r) =>
        makeOcspResponse({ certId: r.certId, status: { kind: 'good' }, nonce: r.nonce, signer: issuing });
    },
    validator(o = {}, now) {
      return new SmartCardValidator(
        {
          trustAnchors: [root.der],
          authenticationCas: [issuing.der],
          revocation: { crlCacheMs: 0, timeoutMs: 2000 },
          ...o,
        },
        { accounts: ca.t.directory, ...(now ? { now } : {}) },
      );
    },
    async close() {
      await pki.close();
      await ca.close();
    },
  };
  w.publishCrls();
  w.ocspGood();
  return w;
}

export { parseOcspRequest };
