/**
 * CMC requests that cannot even be decoded, submitted through ra/submit.ts: each is stored
 * as a denied request with its code, audited with the submitter, and issues nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTemplateGrant } from '../../src/ra/admin/templates.js';
import { CMC_OID } from '../../src/x509/cmc/cmcOids.js';
import { explicit, integer, nul, octets, oid, seq, setOf } from '../../src/x509/der.js';
import { OID } from '../../src/x509/oids.js';
import type { DirectoryUser } from '../../src/directory/Directory.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';
import { csrFor, eoboCmc, expectRefused, newKey, submitAs } from '../agents/support.js';
import { control, crm, pkiData, signedCmc, tamperSignedData, tcr } from './craft.js';

describe('undecodable CMC, refused through submit', () => {
  let ca: TestCa;
  let alice: DirectoryUser;
  const key = newKey();
  const pop = { as: { requestSpki: key.spki }, key };
  beforeAll(async () => {
    ca = await newTestCa();
    await setTemplateGrant(ca.t, LOCAL, 'SmartcardUser', 'Domain Users', true);
    alice = await ca.user('alice');
  });
  afterAll(async () => ca?.close());

  const cases: [string, () => Promise<Uint8Array | string>][] = [
    [
      'CMC_MULTIPLE_REQUESTS',
      async () => signedCmc(pkiData({ requests: [tcr(1, await csrFor(key)), tcr(2, await csrFor(key))] }), [pop]),
    ],
    ['CMC_CRMF_UNSUPPORTED', async () => signedCmc(pkiData({ requests: [crm()] }), [pop])],
    ['CMC_UNSIGNED', async () => signedCmc(pkiData({ requests: [tcr(1, await csrFor(key))] }), [])],
    [
      'CMC_POP_INVALID',
      async () =>
        signedCmc(pkiData({ requests: [tcr(1, await csrFor(key))] }), [
          { as: { requestSpki: key.spki }, key: newKey() },
        ]),
    ],
    [
      'CMC_CONTROL_UNSUPPORTED',
      async () =>
        signedCmc(
          pkiData({
            controls: [control(2, CMC_OID.addExtensions, new Uint8Array([0x30, 0]))],
            requests: [tcr(1, await csrFor(key))],
          }),
          [pop],
        ),
    ],
    [
      'REQUEST_MALFORMED',
      async () => {
        const der = Buffer.from(await signedCmc(pkiData({ requests: [tcr(1, await csrFor(key))] }), [pop]));
        return der.subarray(0, der.length - 20);
      },
    ],
    [
      'REQUEST_TOO_DEEP',
      async () => {
        // ContentInfo { signedData, [0] SignedData { 3, 60 nested [0] wrappers } }: beyond the 48-level cap.
        let inner: Buffer = seq();
        for (let i = 0; i < 60; i++) inner = explicit(0, inner);
        return seq(oid('1.2.840.113549.1.7.2'), explicit(0, seq(integer(3), inner)));
      },
    ],
  ];

  for (const [code, make] of cases) {
    it(`${code}: denied, audited with the submitter, nothing issued`, async () => {
      const before = await ca.t.store.certificates.countByStatus();
      const r = await submitAs(ca.t, alice, await make(), 'SmartcardUser');
      await expectRefused(ca.t, r, code, { requester: 'alice', target: null });
      expect(await ca.t.store.certificates.countByStatus()).toEqual(before);
      const row = await ca.t.store.requests.get(r.requestId);
      expect(row?.requester).toBe('alice');
    });
  }

  describe('SignedData fields outside every signature (RFC 5652 §5.1, §5.3): CMC_SIGNED_DATA_INVALID', () => {
    const good = async () => signedCmc(pkiData({ requests: [tcr(1, await csrFor(key))] }), [pop]);
    const sha = (o: string, ...params: Buffer[]) => seq(oid(o), ...params);
    const tampered: [string, (der: Buffer) => Buffer, RegExp][] = [
      [
        'SignedData version 71',
        (der) => tamperSignedData(der, { version: 71 }),
        /^SignedData\.version is 71, but its contents make it version 3 \(RFC 5652 §5\.1\)$/,
      ],
      [
        'SignedData version 1 around CMC content (id-cct-PKIData makes it 3)',
        (der) => tamperSignedData(der, { version: 1 }),
        /^SignedData\.version is 1, but its contents make it version 3/,
      ],
      [
        'SignerInfo version −95',
        (der) => tamperSignedData(der, { signerVersions: [-95] }),
        /^SignerInfo 1: version is -95, but a SignerInfo whose sid is a subjectKeyIdentifier has version 3 \(RFC 5652 §5\.3\)$/,
      ],
      [
        'SignerInfo version 1 with a subjectKeyIdentifier sid',
        (der) => tamperSignedData(der, { signerVersions: [1] }),
        /^SignerInfo 1: version is 1, but/,
      ],
      [
        'random bytes in the digestAlgorithms set',
        (der) =>
          tamperSignedData(der, {
            digestAlgorithms: setOf(octets(Buffer.from('9f3c1e7a5b0d2c4e6f8a1b3c5d7e9f0a', 'hex')), sha(OID.sha256)),
          }),
        /^digestAlgorithms item 1 is not an AlgorithmIdentifier \{ OBJECT IDENTIFIER, parameters \}$/,
      ],
      [
        'digestAlgorithms without the signer’s SHA-256',
        (der) => tamperSignedData(der, { digestAlgorithms: setOf(sha(OID.sha384)) }),
        /^SignerInfo 1 uses digest algorithm 2\.16\.840\.1\.101\.3\.4\.2\.1, which SignedData\.digestAlgorithms does not list/,
      ],
      ['an empty digestAlgorithms set', (der) => tamperSignedData(der, { digestAlgorithms: setOf() }), /does not list/],
      [
        'digest algorithm parameters that are not NULL',
        (der) => tamperSignedData(der, { digestAlgorithms: setOf(sha(OID.sha256, integer(5))) }),
        /parameters are absent or NULL \(RFC 5754 §2\)/,
      ],
      [
        'digestAlgorithms that is not a SET',
        (der) => tamperSignedData(der, { digestAlgorithms: seq(sha(OID.sha256)) }),
        /^SignedData\.digestAlgorithms is not a SET OF DigestAlgorithmIdentifier$/,
      ],
    ];
    for (const [name, tamper, detail] of tampered) {
      it(`${name}: denied, audited with the reason, nothing issued`, async () => {
        const before = await ca.t.store.certificates.countByStatus();
        const r = await submitAs(ca.t, alice, tamper(await good()), 'SmartcardUser');
        await expectRefused(ca.t, r, 'CMC_SIGNED_DATA_INVALID', { requester: 'alice', target: null });
        const audit = (await ca.t.store.audit.list({ requestId: r.requestId })).find(
          (a) => a.action === 'request.denied',
        )!;
        expect((audit.details as { detail: string }).detail).toMatch(detail);
        expect(await ca.t.store.certificates.countByStatus()).toEqual(before);
      });
    }

    it('the same request untampered, and with the fields rewritten to their right values, is issued', async () => {
      const der = await good();
      for (const request of [
        der,
        tamperSignedData(der, {
          version: 3,
          signerVersions: [3],
          digestAlgorithms: setOf(sha(OID.sha256, nul()), sha(OID.sha384)),
        }),
      ]) {
        const r = await submitAs(ca.t, alice, request, 'SmartcardUser');
        expect(r.disposition, `${r.code} ${r.message}`).toBe('issued');
      }
    });
  });

  it('takes the Windows certreq EOBO sample through decoding to target resolution (Domain\\TargetUser is not ours)', async () => {
    const { readFileSync } = await import('node:fs');
    const der = readFileSync(new URL('./testdata/windows-cmc-eobo.der', import.meta.url));
    const r = await submitAs(ca.t, alice, der, 'SmartcardUser');
    await expectRefused(ca.t, r, 'USER_UNKNOWN', { requester: 'alice', target: null });
    const audit = (await ca.t.store.audit.list({ requestId: r.requestId })).find((a) => a.action === 'request.denied')!;
    expect(audit.details).toMatchObject({
      agent: 'alice',
      detail: 'RequesterName Domain\\TargetUser',
      template: 'SmartcardUser',
    });
    expect((await ca.t.store.requests.get(r.requestId))?.format).toBe('cmc');
  });

  it('the same submit path issues a well-formed CMC (the refusals above are about their defects)', async () => {
    const r = await submitAs(ca.t, alice, (await eoboCmc({})).der, 'SmartcardUser');
    expect(r.disposition, `${r.code} ${r.message}`).toBe('issued');
    expect((await ca.t.store.requests.get(r.requestId))?.format).toBe('cmc');
  });

  it('accepts the CMC as PEM text with a NEW CERTIFICATE REQUEST label (certreq output)', async () => {
    const { toPem } = await import('../../src/x509/pem.js');
    const r = await submitAs(
      ca.t,
      alice,
      toPem((await eoboCmc({})).der, 'NEW CERTIFICATE REQUEST', '\r\n'),
      'SmartcardUser',
    );
    expect(r.disposition, `${r.code} ${r.message}`).toBe('issued');
  });
});
