/**
 * Requests built by the page's code path (browser key → buildEnrollmentRequest), judged by
 * OpenSSL (`openssl req -verify`, `openssl cms -verify`) and accepted by a real Tessera CA
 * through the same submit the certsrv pages call, with the CertAttrib the page posts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openssl } from '../../support/openssl.js';
import { LOCAL, newTestCa, type TestCa } from '../../support/tessera.js';
import { browserKeyOnDisk, writeDer } from '../clientSupport.js';
import { setTemplateGrant } from '../../../src/ra/admin/templates.js';
import { submit } from '../../../src/ra/submit.js';
import type { RequestHash } from '../../../src/x509/buildCsr.js';
import { encodePkiData } from '../../../src/x509/cmc/buildCmcRequest.js';
import { decodeRequest } from '../../../src/x509/request.js';
import { BROWSER_PROVIDER, buildEnrollmentRequest } from '../../../src/client/web/buildRequest.js';
import { buildCertAttrib } from '../../../src/client/web/certAttrib.js';
import { keySpecNumber, parseTemplate, type KeyAlg } from '../../../src/client/web/template.js';

const SMARTCARD_USER = parseTemplate('SmartcardUser', {
  name: 'SmartcardUser',
  display: 'Smartcard User',
  keySpec: 'exchange',
  rsaMin: '2048',
  ecCurves: 'P-256,P-384',
  agentSignatures: '0',
});
const SIG_NAMES: Record<string, string> = {
  'rsa SHA-1': 'sha1WithRSAEncryption',
  'rsa SHA-256': 'sha256WithRSAEncryption',
  'P-256 SHA-256': 'ecdsa-with-SHA256',
  'P-384 SHA-384': 'ecdsa-with-SHA384',
  'P-256 SHA-1': 'ecdsa-with-SHA1',
};

async function pageRequest(alg: KeyAlg, hash: RequestHash, format: 'cmc' | 'pkcs10') {
  const k = await browserKeyOnDisk(alg, hash);
  const req = await buildEnrollmentRequest({
    key: { spki: k.key.spki, keyKind: k.key.keyKind, signPkcs10: k.key.sign, signCmc: () => k.key.sign },
    hash,
    format,
    template: SMARTCARD_USER,
    keySpec: keySpecNumber('0'),
    provider: BROWSER_PROVIDER,
  });
  return { k, req };
}

describe('requests built by the page', () => {
  it.each([
    ['rsa', 'SHA-1'],
    ['rsa', 'SHA-256'],
    ['P-256', 'SHA-256'],
    ['P-384', 'SHA-384'],
  ] as const)(
    'PKCS#10, %s with %s: openssl req -verify accepts it; template, key spec and provider are in it',
    async (alg, hash) => {
      const { k, req } = await pageRequest(alg, hash, 'pkcs10');
      expect(req.der).toEqual(req.csr);
      const v = openssl(['req', '-inform', 'DER', '-verify', '-noout', '-text'], Buffer.from(req.der));
      expect(v.stderr + v.stdout).toMatch(/verify OK/);
      expect(v.stdout).toContain(`Signature Algorithm: ${SIG_NAMES[`${alg} ${hash}`]}`);
      // Empty subject: the CA takes names from the directory.
      expect(v.stdout).toMatch(/Subject:\s*\n/);
      const asn1 = openssl(['asn1parse', '-inform', 'DER'], Buffer.from(req.der)).stdout;
      expect(asn1).toContain('1.3.6.1.4.1.311.13.2.2'); // enrollment CSP: key spec + provider
      expect(asn1).toContain('1.3.6.1.4.1.311.20.2'); // template name extension
      const d = decodeRequest(Buffer.from(req.der));
      expect(d.format).toBe('pkcs10');
      expect(Buffer.from(d.csr.spki).equals(Buffer.from(k.key.spki))).toBe(true);
    },
  );

  it.each([
    ['rsa', 'SHA-1'],
    ['P-256', 'SHA-256'],
  ] as const)(
    'CMC, %s with %s: openssl cms -verify checks the proof of possession; the content is the PKIData around the PKCS#10',
    async (alg, hash) => {
      const { k, req } = await pageRequest(alg, hash, 'cmc');
      const out = join(k.dir, 'content.der');
      const v = openssl(
        ['cms', '-verify', '-noverify', '-inform', 'DER', '-binary', '-certfile', k.popCertFile, '-out', out],
        Buffer.from(req.der),
      );
      expect(v.stderr).toContain('Verification successful');
      expect(readFileSync(out).equals(Buffer.from(encodePkiData({ csr: req.csr })))).toBe(true);
      const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER'], Buffer.from(req.der)).stdout;
      expect(printed).toContain('eContentType: id-cct-PKIData');
      expect(printed).toContain(hash === 'SHA-1' ? 'algorithm: sha1' : 'algorithm: sha256');
      const csrFile = writeDer(k.dir, 'inner.der', req.csr);
      expect(openssl(['req', '-inform', 'DER', '-in', csrFile, '-verify', '-noout']).stderr).toMatch(/verify OK/);
    },
  );

  describe('accepted by a real CA with the CertAttrib the page posts', () => {
    let ca: TestCa;
    beforeAll(async () => {
      ca = await newTestCa({ keyAlgorithm: 'RSA-2048' });
      await setTemplateGrant(ca.t, LOCAL, 'SmartcardUser', 'Domain Users', true);
      await ca.user('alice');
    });
    afterAll(async () => ca?.close());

    it.each([
      ['rsa', 'SHA-1', 'cmc'],
      ['P-256', 'SHA-256', 'pkcs10'],
    ] as const)('%s %s %s → issued for the Smartcard User template, for the page key', async (alg, hash, format) => {
      const { k, req } = await pageRequest(alg, hash, format);
      const alice = (await ca.t.directory.findUser('alice'))!;
      const attrib = buildCertAttrib('SmartcardUser', [], 'Mozilla/5.0 (X11; Linux x86_64) Chrome/Test');
      const r = await submit(ca.t, {
        request: Buffer.from(req.der).toString('base64'),
        attributes: attrib,
        requester: alice,
        source: 'test',
      });
      expect(r.disposition, `${r.code} ${r.message}`).toBe('issued');
      const certFile = writeDer(k.dir, 'cert.der', r.certificate!);
      const pub = openssl(['x509', '-inform', 'DER', '-in', certFile, '-noout', '-pubkey']).stdout;
      expect(pub).toContain(Buffer.from(k.key.spki).toString('base64').slice(0, 60));
      const row = await ca.t.store.requests.get(r.requestId);
      expect(row?.format).toBe(format);
    });
  });
});
