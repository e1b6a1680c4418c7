/**
 * What Tessera emits, judged by OpenSSL: CMC requests from the browser-safe encoder and
 * CMC full responses signed by the CA (`openssl cms -verify`, `openssl pkcs7 -print_certs`).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCmcResponse, cmcFailInfo, cmcResponseFor } from '../../src/ca/buildCmcResponse.js';
import { setTemplateGrant } from '../../src/ra/admin/templates.js';
import { buildCmcRequest, encodePkiData, requesterNameRegInfo } from '../../src/x509/cmc/buildCmcRequest.js';
import { CMC_FAIL_INFO, CMC_OID, CMC_STATUS } from '../../src/x509/cmc/cmcOids.js';
import { CMCStatusInfo } from '../../src/x509/cmc/CMCStatusInfo.js';
import { PKIData } from '../../src/x509/cmc/PKIData.js';
import { PKIResponse } from '../../src/x509/cmc/PKIResponse.js';
import { pemBlocks, toPem } from '../../src/x509/pem.js';
import { decodeRequest } from '../../src/x509/request.js';
import { csrFor, issueTo, newKey, submitAs, type TestKey } from '../agents/support.js';
import { openssl, tmpDir } from '../support/openssl.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';
import { control, pkiData, signedCmc, tcr } from './craft.js';

/** A CMC request with a transactionId and a senderNonce, which the response must echo. */
async function craftSenderNonceRequest(): Promise<{ der: Buffer; key: TestKey }> {
  const key = newKey();
  const nonce = randomBytes(8);
  const content = pkiData({
    controls: [
      control(2, CMC_OID.transactionId, new Uint8Array([0x02, 0x02, 0x12, 0x34])),
      control(3, CMC_OID.senderNonce, new Uint8Array([0x04, 0x08, ...nonce])),
    ],
    requests: [tcr(1, await csrFor(key))],
  });
  return { der: await signedCmc(content, [{ as: { requestSpki: key.spki }, key }]), key };
}

/** A self-signed certificate for a request key, so openssl can check the proof-of-possession SignerInfo. */
function popCertPem(key: TestKey, dir: string): string {
  writeFileSync(join(dir, 'pop.key'), key.pem);
  const r = openssl(['req', '-x509', '-new', '-key', join(dir, 'pop.key'), '-subj', '/CN=pop', '-days', '1']);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

function cmsVerify(der: Uint8Array, args: string[]): { ok: boolean; content: Buffer; stderr: string } {
  const dir = tmpDir('cms-verify-');
  const out = join(dir, 'content.der');
  const r = openssl(['cms', '-verify', '-inform', 'DER', '-binary', '-out', out, ...args], Buffer.from(der));
  let content = Buffer.alloc(0);
  try {
    content = readFileSync(out);
  } catch {
    /* no content on failure */
  }
  return { ok: r.status === 0 && r.stderr.includes('Verification successful'), content, stderr: r.stderr };
}

describe('CMC requests built by buildCmcRequest', () => {
  it('are verified by openssl cms -verify and carry the PKIData unchanged (EC key, SHA-256)', async () => {
    const dir = tmpDir('cmc-enc-');
    const key = newKey('P-256');
    const csr = await csrFor(key, 'SmartcardLogon');
    const der = await buildCmcRequest({ csr, spki: key.spki, keyKind: key.keyKind, hash: key.hash, sign: key.sign });
    writeFileSync(join(dir, 'pop.pem'), popCertPem(key, dir));
    const v = cmsVerify(der, ['-noverify', '-certfile', join(dir, 'pop.pem')]);
    expect(v.stderr).toContain('Verification successful');
    expect(v.content.equals(Buffer.from(encodePkiData({ csr })))).toBe(true);
    const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER'], Buffer.from(der)).stdout;
    expect(printed).toContain('eContentType: id-cct-PKIData');
    expect(printed).toMatch(/d\.subjectKeyIdentifier/);
    // A wrong certificate for the same SKI is rejected by openssl: the signature is really the key's.
    const other = newKey('P-256');
    const otherDir = tmpDir('cmc-enc-');
    writeFileSync(join(otherDir, 'pop.pem'), popCertPem(other, otherDir));
    expect(cmsVerify(der, ['-noverify', '-certfile', join(otherDir, 'pop.pem')]).ok).toBe(false);
  });

  it('with an RSA key and SHA-384, and a custom bodyPartID', async () => {
    const dir = tmpDir('cmc-enc-');
    const key = { ...newKey('RSA-2048'), hash: 'SHA-384' as const };
    const rsaKey: TestKey = {
      ...key,
      sign: async (d) => (await import('node:crypto')).sign('sha384', d, key.privateKey),
    };
    const csr = await csrFor(rsaKey);
    const der = await buildCmcRequest({
      csr,
      spki: rsaKey.spki,
      keyKind: 'rsa',
      hash: 'SHA-384',
      sign: rsaKey.sign,
      bodyPartId: 7,
      regInfo: requesterNameRegInfo('TESSERA\\bob'),
    });
    writeFileSync(join(dir, 'pop.pem'), popCertPem(rsaKey, dir));
    expect(cmsVerify(der, ['-noverify', '-certfile', join(dir, 'pop.pem')]).stderr).toContain(
      'Verification successful',
    );
    const d = decodeRequest(Buffer.from(der));
    expect(d.bodyPartId).toBe(7);
    expect(d.requesterName).toBe('TESSERA\\bob');
    const sd = AsnConvert.parse(AsnConvert.parse(der, ContentInfo).content, SignedData);
    expect(sd.digestAlgorithms.map((a) => a.algorithm)).toEqual(['2.16.840.1.101.3.4.2.2']);
    const pki = AsnConvert.parse(sd.encapContentInfo.eContent!.single!.buffer, PKIData);
    expect(pki.controlSequence.map((c) => [c.bodyPartID, c.attrType])).toEqual([[8, CMC_OID.regInfo]]);
  });

  describe('with an enrollment agent signature (the Windows CMC EOBO shape)', () => {
    let ca: TestCa;
    beforeAll(async () => {
      ca = await newTestCa({ keyAlgorithm: 'RSA-2048' });
    });
    afterAll(async () => ca?.close());

    it('openssl verifies both SignerInfos, the agent chaining to the CA, and lists the agent certificate', async () => {
      const agentUser = await ca.user('agent1', { groups: ['Enrollment Agents'] });
      const agent = await issueTo(ca.t, agentUser, 'EnrollmentAgent', newKey('RSA-2048'));
      const key = newKey('P-256');
      const csr = await csrFor(key);
      const der = await buildCmcRequest({
        csr,
        spki: key.spki,
        keyKind: 'ec',
        hash: 'SHA-256',
        sign: key.sign,
        regInfo: requesterNameRegInfo('TESSERA\\bob'),
        agent: { certificate: agent.der, keyKind: 'rsa', hash: 'SHA-256', sign: agent.key.sign },
      });
      const dir = tmpDir('cmc-eobo-');
      const pop = popCertPem(key, dir);
      writeFileSync(join(dir, 'pop.pem'), pop);
      writeFileSync(join(dir, 'trust.pem'), ca.chainPem + pop);
      // The POP signer's self-signed certificate comes in by -certfile (CMC requests carry none);
      // -purpose any: the agent certificate's EKU is Certificate Request Agent, not S/MIME.
      const v = cmsVerify(der, [
        '-CAfile',
        join(dir, 'trust.pem'),
        '-certfile',
        join(dir, 'pop.pem'),
        '-purpose',
        'any',
      ]);
      expect(v.stderr).toContain('Verification successful');
      // RFC 5652 §5.1/§5.3: SignedData v3; the POP signer (SKI) v3, the agent (issuerAndSerialNumber) v1.
      const sd = AsnConvert.parse(AsnConvert.parse(der, ContentInfo).content, SignedData);
      expect(sd.version).toBe(3);
      expect(
        sd.signerInfos.map((s) => [s.version, !!s.sid.subjectKeyIdentifier, !!s.sid.issuerAndSerialNumber]).sort(),
      ).toEqual([
        [1, false, true],
        [3, true, false],
      ]);
      // `openssl pkcs7` (PKCS #7 v1.5) cannot read a subjectKeyIdentifier SignerInfo, so the
      // CMS tool writes out the certificates the request carries: exactly the agent's.
      const certsOut = join(dir, 'certs.pem');
      expect(
        openssl(
          [
            'cms',
            '-verify',
            '-noverify',
            '-inform',
            'DER',
            '-binary',
            '-certfile',
            join(dir, 'pop.pem'),
            '-certsout',
            certsOut,
            '-out',
            '/dev/null',
          ],
          Buffer.from(der),
        ).status,
      ).toBe(0);
      const carried = pemBlocks(readFileSync(certsOut, 'utf8'), 'CERTIFICATE');
      expect(carried.map((c) => c.equals(agent.der))).toEqual([true]);
      expect(openssl(['x509', '-noout', '-subject', '-in', certsOut]).stdout).toContain('CN = Agent1');
      const d = decodeRequest(Buffer.from(der));
      expect(d.signers.map((s) => [s.signatureValid, s.certificate.equals(agent.der)])).toEqual([[true, true]]);
    });
  });

  it('are browser-safe: the encoder bundles for the browser with no Node built-ins', async () => {
    const entry = resolve(dirname(new URL(import.meta.url).pathname), '../../src/x509/cmc/buildCmcRequest.ts');
    const root = resolve(dirname(entry), '../../..');
    // esbuild fails on any node: import when bundling for the browser platform.
    const r = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      metafile: true,
      absWorkingDir: root,
      tsconfig: join(root, 'tsconfig.json'),
    });
    expect(r.errors).toEqual([]);
    const code = r.outputFiles[0].text;
    expect(code).not.toMatch(/from ["']node:|require\(["']node:/);
    expect(code).toContain('1.3.6.1.5.5.7.12.2');
    // Our own modules in the bundle use Uint8Array and WebCrypto, never Node's Buffer.
    const ours = Object.keys(r.metafile!.inputs).filter((f) => f.startsWith('src/'));
    expect(ours).toContain('src/x509/cmc/makeSignerInfo.ts');
    const code_ = (f: string) =>
      readFileSync(join(root, f), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
    for (const f of ours) expect(code_(f), f).not.toMatch(/\bBuffer\b|from ['"]node:/);
  });
});

describe.each(['P-256', 'RSA-2048'] as const)('CMC full responses signed by a %s CA', (alg) => {
  let ca: TestCa;
  let dir: string;
  beforeAll(async () => {
    ca = await newTestCa({ keyAlgorithm: alg });
    await setTemplateGrant(ca.t, LOCAL, 'SmartcardUser', 'Domain Users', true);
    dir = tmpDir('cmc-resp-');
    writeFileSync(join(dir, 'chain.pem'), ca.chainPem);
  });
  afterAll(async () => ca?.close());

  function statusOf(der: Uint8Array): { info: CMCStatusInfo; types: string[]; values: Map<string, ArrayBuffer> } {
    const sd = AsnConvert.parse(AsnConvert.parse(der, ContentInfo).content, SignedData);
    expect(sd.encapContentInfo.eContentType).toBe(CMC_OID.idCctPKIResponse);
    const resp = AsnConvert.parse(sd.encapContentInfo.eContent!.single!.buffer, PKIResponse);
    const values = new Map(resp.controlSequence.map((c) => [c.attrType, c.attrValues[0]]));
    return {
      info: AsnConvert.parse(values.get(CMC_OID.statusInfo)!, CMCStatusInfo),
      types: resp.controlSequence.map((c) => c.attrType),
      values,
    };
  }

  it('success: openssl verifies the CA signature, the certificates are the issued one and the chain', async () => {
    const alice = await ca.user(`alice${alg.replace(/\W/g, '')}`);
    const { der: request, key } = await craftSenderNonceRequest();
    const r = await submitAs(ca.t, alice, request, 'SmartcardUser');
    expect(r.disposition, r.message).toBe('issued');
    const decoded = decodeRequest(request);
    const resp = await buildCmcResponse(ca.t.issuing, {
      status: 'success',
      bodyPartId: decoded.bodyPartId,
      certificate: r.certificate!,
      chain: ca.t.chain(),
      statusString: r.message,
      requestId: r.requestId,
      transactionId: decoded.attributes['cmc-transactionid'],
      senderNonce: decoded.attributes['cmc-sendernonce'],
    });
    const v = cmsVerify(resp, ['-CAfile', join(dir, 'chain.pem'), '-purpose', 'any']);
    expect(v.stderr).toContain('Verification successful');
    const certs = openssl(['pkcs7', '-inform', 'DER', '-print_certs', '-noout'], resp).stdout;
    expect(certs).toContain(`CN = Alice${alg.replace(/\W/g, '')}`);
    expect(certs).toContain('CN = Test Issuing CA');
    expect(certs).toContain('CN = Test Root CA');
    const s = statusOf(resp);
    expect(s.info.cMCStatus).toBe(CMC_STATUS.success);
    expect(s.info.bodyList).toEqual([1]);
    expect(s.types).toEqual([
      CMC_OID.statusInfo,
      CMC_OID.transactionId,
      CMC_OID.recipientNonce,
      CMC_OID.msAddAttributes,
    ]);
    // RFC 5272 §6.6: the sender's nonce comes back as recipientNonce, the transactionId as sent.
    expect(Buffer.from(s.values.get(CMC_OID.recipientNonce)!).toString('hex')).toBe(
      `0408${decoded.attributes['cmc-sendernonce']}`,
    );
    expect(Buffer.from(s.values.get(CMC_OID.transactionId)!).toString('hex')).toBe('02021234');
    expect(key).toBeDefined();
  });

  it('failed: status failed with a CMCFailInfo and the disposition message, still verifiable', async () => {
    const resp = await buildCmcResponse(ca.t.issuing, {
      status: 'failed',
      bodyPartId: 3,
      chain: ca.t.chain(),
      statusString: 'Denied by Policy Module',
      failInfo: cmcFailInfo('CMC_POP_INVALID'),
    });
    expect(cmsVerify(resp, ['-CAfile', join(dir, 'chain.pem'), '-purpose', 'any']).ok).toBe(true);
    const s = statusOf(resp);
    expect(s.info.cMCStatus).toBe(CMC_STATUS.failed);
    expect(s.info.bodyList).toEqual([3]);
    expect(s.info.statusString).toBe('Denied by Policy Module');
    expect(s.info.otherInfo?.failInfo).toBe(CMC_FAIL_INFO.popFailed);
    expect(cmcFailInfo('AGENT_NOT_PERMITTED')).toBe(CMC_FAIL_INFO.badRequest);
    expect(s.types).not.toContain(CMC_OID.msAddAttributes);
  });

  it('pending: PendInfo carries the request ID and a whole-second time', async () => {
    const now = new Date('2030-01-02T03:04:05.678Z');
    const resp = await buildCmcResponse(ca.t.issuing, {
      status: 'pending',
      bodyPartId: null,
      chain: ca.t.chain(),
      requestId: 4242,
      now,
    });
    expect(cmsVerify(resp, ['-CAfile', join(dir, 'chain.pem'), '-purpose', 'any']).ok).toBe(true);
    const s = statusOf(resp);
    expect(s.info.cMCStatus).toBe(CMC_STATUS.pending);
    expect(s.info.bodyList).toEqual([1]);
    expect(Buffer.from(s.info.otherInfo!.pendInfo!.pendToken.buffer).readUInt32BE(0)).toBe(4242);
    expect(s.info.otherInfo!.pendInfo!.pendTime.toISOString()).toBe('2030-01-02T03:04:05.000Z');
  });

  it('cmcResponseFor maps stored outcomes: issued → success with the certificate, denied → failed with its fail info, pending → pending', async () => {
    const bob = await ca.user(`bob${alg.replace(/\W/g, '')}`);
    const { der: request } = await craftSenderNonceRequest();
    const r = await submitAs(ca.t, bob, request, 'SmartcardUser');
    const row = (await ca.t.store.requests.get(r.requestId))!;
    const decoded = decodeRequest(row.requestDer!);
    const ok = await cmcResponseFor(ca.t.issuing, ca.t.chain(), r, {
      bodyPartId: decoded.bodyPartId,
      attributes: row.attributes,
    });
    expect(cmsVerify(ok, ['-CAfile', join(dir, 'chain.pem'), '-purpose', 'any']).ok).toBe(true);
    expect(statusOf(ok).info.cMCStatus).toBe(CMC_STATUS.success);
    // The stored request attributes carried the nonce through to the response.
    expect(Buffer.from(statusOf(ok).values.get(CMC_OID.recipientNonce)!).toString('hex')).toBe(
      `0408${row.attributes['cmc-sendernonce']}`,
    );
    const denied = await submitAs(ca.t, bob, request, 'NoSuchTemplate');
    const failed = statusOf(await cmcResponseFor(ca.t.issuing, ca.t.chain(), denied));
    expect([failed.info.cMCStatus, failed.info.otherInfo?.failInfo, failed.info.statusString]).toEqual([
      CMC_STATUS.failed,
      CMC_FAIL_INFO.badRequest,
      denied.message,
    ]);
    const pending = statusOf(
      await cmcResponseFor(ca.t.issuing, ca.t.chain(), {
        requestId: 77,
        disposition: 'pending',
        code: null,
        message: 'Taken Under Submission',
        certificate: null,
      }),
    );
    expect(pending.info.cMCStatus).toBe(CMC_STATUS.pending);
  });

  it('a tampered response fails openssl verification', async () => {
    const resp = await buildCmcResponse(ca.t.issuing, {
      status: 'failed',
      bodyPartId: 1,
      chain: ca.t.chain(),
      statusString: 'x',
    });
    const bad = Buffer.from(resp);
    const at = bad.indexOf(Buffer.from([0x0c, 0x01, 0x78])); // statusString "x"
    expect(at).toBeGreaterThan(0);
    bad[at + 2] = 0x79;
    expect(cmsVerify(bad, ['-CAfile', join(dir, 'chain.pem'), '-purpose', 'any']).ok).toBe(false);
    expect(toPem(resp, 'PKCS7')).toContain('BEGIN PKCS7');
  });
});
