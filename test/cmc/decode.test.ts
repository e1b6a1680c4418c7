/**
 * Decoding CMC and PKCS#7 requests made by other implementations: the Windows certreq
 * samples from the Microsoft documentation, `openssl cms -sign`, and PKI.js (the
 * Certipy-shaped PKCS#7 enroll-on-behalf form); and every structural refusal with its code.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodePkiData } from '../../src/x509/cmc/buildCmcRequest.js';
import { CMC_OID } from '../../src/x509/cmc/cmcOids.js';
import { readSignerCertificate } from '../../src/x509/cmc/signerCertificate.js';
import { formatName } from '../../src/x509/name.js';
import { OID } from '../../src/x509/oids.js';
import { decodeRequestBytes } from '../../src/x509/pem.js';
import { decodeRequest } from '../../src/x509/request.js';
import { csrFor, newKey } from '../agents/support.js';
import { openssl, opensslCsr, tmpDir } from '../support/openssl.js';
import { control, crm, nestedContent, pkiData, regInfo, signedCmc, tamperSignedData, tcr } from './craft.js';
import { pkcs7OnBehalf } from './pkijsPkcs7.js';
import { codeOf } from '../support/codeOf.js';

const testdata = join(import.meta.dirname, 'testdata');
const fixture = (name: string) => readFileSync(join(testdata, name));

describe('Windows certreq samples (MicrosoftDocs cmc-encoded-asn-1.md, cmc-eobo-encoded-asn-1.md)', () => {
  it('the DER fixtures are what make-fixtures.mjs produces from the hex dumps', () => {
    const r = spawnSync(process.execPath, [join(testdata, 'make-fixtures.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('decodes the CMC request: one PKCS#10, proof of possession verified, Microsoft attributes read', () => {
    const d = decodeRequest(fixture('windows-cmc.der'));
    expect(d.format).toBe('cmc');
    expect(d.bodyPartId).toBe(1);
    expect(d.requesterName).toBeNull();
    expect(d.signers).toEqual([]);
    expect(formatName(d.csr.subject)).toContain('CN=TestCN');
    expect(d.csr.key).toEqual({ kind: 'rsa', bits: 1024 });
    expect(d.csr.signatureAlgorithm.oid).toBe(OID.sha1WithRSAEncryption);
    expect(d.csr.microsoft.templateName).toBe('User');
    expect(d.csr.microsoft.csp).toEqual({ keySpec: 1, provider: 'Microsoft Enhanced Cryptographic Provider v1.0' });
    expect(d.csr.microsoft.clientInfo?.user).toBe('JDOMCSC\\administrator');
    expect(d.attributes['cmc-controls']).toBe(CMC_OID.msAddAttributes);
  });

  it('decodes the CMC enroll-on-behalf request: RequesterName from regInfo, the agent signature verified', () => {
    const d = decodeRequest(fixture('windows-cmc-eobo.der'));
    expect(d.format).toBe('cmc');
    expect(d.requesterName).toBe('Domain\\TargetUser');
    expect(d.csr.subject).toEqual([]); // the CA builds the target's names from the directory
    expect(d.signers).toHaveLength(1);
    expect(d.signers[0].signatureValid).toBe(true);
    const ea = readSignerCertificate(d.signers[0].certificate);
    expect(ea.serial).toBe('588cf81a000000000b57');
    expect(ea.ekus).toEqual([OID.certificateRequestAgent]);
    // The regInfo pair is RequesterName, not an ordinary attribute the policy would see.
    expect(d.attributes.requestername).toBeUndefined();
  });

  it('refuses the EOBO sample when one byte of the signed PKIData changes (the RequesterName)', () => {
    const der = Buffer.from(fixture('windows-cmc-eobo.der'));
    const at = der.indexOf(Buffer.from('TargetUser'));
    expect(at).toBeGreaterThan(0);
    der[at] = 'X'.charCodeAt(0);
    expect(codeOf(() => decodeRequest(der))).toBe('CMC_POP_INVALID');
  });

  it('reports an agent signature that does not verify without refusing the decode (the RA denies it)', () => {
    const der = Buffer.from(fixture('windows-cmc-eobo.der'));
    der[der.length - 5] ^= 0x01; // inside the last SignerInfo's signature: the agent's
    const d = decodeRequest(der);
    expect(d.signers[0].signatureValid).toBe(false);
    expect(d.signers[0].detail).toMatch(/does not verify/);
  });
});

describe('CMC signed by openssl cms -sign (an independent CMS implementation)', () => {
  function opensslCmc(
    opts: {
      keyid?: boolean;
      nocerts?: boolean;
      key?: 'P-256' | 'rsa:2048';
      agent?: boolean;
      regInfoText?: string;
    } = {},
  ) {
    const dir = tmpDir('cmc-openssl-');
    const { csr, keyFile } = opensslCsr(opts.key ?? 'P-256', { subject: '/CN=ignored' });
    const csrDer = decodeRequestBytes(csr);
    const pki = encodePkiData({ csr: csrDer, regInfo: opts.regInfoText ?? 'RequesterName=TESSERA%5Cbob&' });
    writeFileSync(join(dir, 'pkidata.der'), pki);
    // A self-signed certificate for the request key: the SignerInfo identifies it by SKI or issuer/serial.
    execFileSync(
      'openssl',
      ['req', '-x509', '-new', '-key', keyFile, '-subj', '/CN=pop', '-days', '1', '-out', join(dir, 'pop.pem')],
      { stdio: 'pipe' },
    );
    const args = [
      'cms',
      '-sign',
      '-in',
      join(dir, 'pkidata.der'),
      '-binary',
      '-nodetach',
      '-econtent_type',
      CMC_OID.idCctPKIData,
      '-outform',
      'DER',
      '-md',
      'sha256',
      '-signer',
      join(dir, 'pop.pem'),
      '-inkey',
      keyFile,
    ];
    let agentPem: string | undefined;
    if (opts.agent) {
      const agentKey = join(dir, 'agent.key');
      execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', agentKey], {
        stdio: 'pipe',
      });
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-new',
          '-key',
          agentKey,
          '-subj',
          '/CN=agent',
          '-days',
          '1',
          '-addext',
          `extendedKeyUsage=${OID.certificateRequestAgent}`,
          '-out',
          join(dir, 'agent.pem'),
        ],
        { stdio: 'pipe' },
      );
      args.push('-signer', join(dir, 'agent.pem'), '-inkey', agentKey);
      agentPem = readFileSync(join(dir, 'agent.pem'), 'utf8');
    }
    if (opts.keyid) args.push('-keyid');
    if (opts.nocerts) args.push('-nocerts');
    args.push('-out', join(dir, 'cmc.der'));
    const r = openssl(args);
    expect(r.status, r.stderr).toBe(0);
    return { der: readFileSync(join(dir, 'cmc.der')), csrDer, agentPem };
  }

  it('decodes a PKIData signed with the request key, sid = subjectKeyIdentifier, no certificates', () => {
    const { der, csrDer } = opensslCmc({ keyid: true, nocerts: true });
    expect(openssl(['cms', '-cmsout', '-print', '-inform', 'DER'], der).stdout).toContain(
      'eContentType: id-cct-PKIData',
    );
    const d = decodeRequest(der);
    expect(d.format).toBe('cmc');
    expect(d.csr.der.equals(csrDer)).toBe(true);
    expect(d.requesterName).toBe('TESSERA\\bob');
    expect(d.signers).toEqual([]);
    expect(d.bodyPartId).toBe(1);
  });

  it('treats a signer whose certificate holds the request key as proof of possession (issuerAndSerialNumber)', () => {
    const d = decodeRequest(opensslCmc({ key: 'rsa:2048' }).der);
    expect(d.signers).toEqual([]);
  });

  it('verifies a second SignerInfo made by a certificate carried in the request (an agent)', () => {
    const { der, agentPem } = opensslCmc({ agent: true });
    const d = decodeRequest(der);
    expect(d.signers).toHaveLength(1);
    expect(d.signers[0].signatureValid).toBe(true);
    expect(d.signers[0].certificate.equals(decodeRequestBytes(agentPem!))).toBe(true);
  });

  it('refuses regInfo that is not name=value pairs with valid percent-encoding', () => {
    expect(codeOf(() => decodeRequest(opensslCmc({ regInfoText: 'RequesterName=%ZZ&' }).der))).toBe(
      'REQUEST_MALFORMED',
    );
  });
});

describe('PKCS#7 enroll-on-behalf (Certipy / CertEnroll shape, built with PKI.js)', () => {
  function agentCert() {
    const dir = tmpDir('p7-agent-');
    const key = newKey('RSA-2048');
    writeFileSync(join(dir, 'k.pem'), key.pem);
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-new',
        '-key',
        join(dir, 'k.pem'),
        '-subj',
        '/CN=agent',
        '-days',
        '1',
        '-addext',
        `extendedKeyUsage=${OID.certificateRequestAgent}`,
        '-outform',
        'DER',
        '-out',
        join(dir, 'c.der'),
      ],
      { stdio: 'pipe' },
    );
    return { der: readFileSync(join(dir, 'c.der')), key };
  }

  it('reads RequesterName from the agent SignerInfo signed attributes and verifies the signature', async () => {
    const agent = agentCert();
    const csr = await csrFor(newKey(), 'SmartcardLogon');
    const der = await pkcs7OnBehalf({
      csr,
      requesterName: 'TESSERA\\bob',
      agentCertificate: agent.der,
      agentKey: agent.key.privateKey,
    });
    // openssl agrees it is a valid SignedData over the PKCS#10.
    const v = openssl(['cms', '-verify', '-noverify', '-inform', 'DER', '-binary'], der);
    expect(v.stderr).toContain('Verification successful');
    expect(Buffer.from(v.stdout, 'latin1').equals(csr)).toBe(true);
    const d = decodeRequest(der);
    expect(d.format).toBe('pkcs7');
    expect(d.requesterName).toBe('TESSERA\\bob');
    expect(d.csr.der.equals(csr)).toBe(true);
    expect(d.signers).toHaveLength(1);
    expect(d.signers[0].signatureValid).toBe(true);
    expect(d.signers[0].certificate.equals(agent.der)).toBe(true);
    expect(d.signers[0].detail).toBe('asserted application policies 1.3.6.1.5.5.7.3.2');
    expect(d.bodyPartId).toBeNull();
  });

  it('refuses the BER form (a constructed OCTET STRING) with REQUEST_NOT_DER: requests are DER only', async () => {
    const agent = agentCert();
    const der = await pkcs7OnBehalf({
      csr: await csrFor(newKey()),
      requesterName: 'TESSERA\\bob',
      agentCertificate: agent.der,
      agentKey: agent.key.privateKey,
      ber: true,
    });
    expect(openssl(['cms', '-verify', '-noverify', '-inform', 'DER', '-binary', '-out', '/dev/null'], der).status).toBe(
      0,
    );
    expect(codeOf(() => decodeRequest(der))).toBe('REQUEST_NOT_DER');
  });

  it('ignores a RequesterName that is not authenticated (an unsigned attribute)', async () => {
    const agent = agentCert();
    const der = await pkcs7OnBehalf({
      csr: await csrFor(newKey()),
      requesterName: 'TESSERA\\bob',
      agentCertificate: agent.der,
      agentKey: agent.key.privateKey,
      unsigned: true,
    });
    expect(decodeRequest(der).requesterName).toBeNull();
  });

  it('checks the versions of a PKCS#7 over id-data by RFC 5652 too: SignedData 1 and SignerInfo 1 with issuerAndSerialNumber', async () => {
    const agent = agentCert();
    const der = await pkcs7OnBehalf({
      csr: await csrFor(newKey()),
      requesterName: 'TESSERA\\bob',
      agentCertificate: agent.der,
      agentKey: agent.key.privateKey,
    });
    expect(decodeRequest(der).format).toBe('pkcs7');
    const as3 = tamperSignedData(der, { version: 3 });
    expect(() => decodeRequest(as3)).toThrow(
      expect.objectContaining({
        code: 'CMC_SIGNED_DATA_INVALID',
        detail: 'SignedData.version is 3, but its contents make it version 1 (RFC 5652 §5.1)',
      }),
    );
    const signer3 = tamperSignedData(der, { signerVersions: [3] });
    expect(() => decodeRequest(signer3)).toThrow(
      expect.objectContaining({
        code: 'CMC_SIGNED_DATA_INVALID',
        detail: expect.stringContaining('a SignerInfo whose sid is an issuerAndSerialNumber has version 1'),
      }),
    );
  });

  it('refuses a PKCS#7 whose content is not a valid PKCS#10', async () => {
    const agent = agentCert();
    const csr = Buffer.from(await csrFor(newKey()));
    csr[csr.length - 3] ^= 0xff; // break the PKCS#10's own signature
    const der = await pkcs7OnBehalf({
      csr,
      requesterName: 'TESSERA\\bob',
      agentCertificate: agent.der,
      agentKey: agent.key.privateKey,
    });
    expect(codeOf(() => decodeRequest(der))).toBe('CSR_BAD_SIGNATURE');
  });
});

describe('structural refusals, each with its code', () => {
  const key = newKey();
  const pop = { as: { requestSpki: key.spki }, key };
  const csr = () => csrFor(key);

  it('CMC_MULTIPLE_REQUESTS for two TaggedRequests', async () => {
    const c = await csr();
    expect(codeOf(() => decodeRequest(Buffer.alloc(0)))).toBe('REQUEST_EMPTY');
    const der = await signedCmc(pkiData({ requests: [tcr(1, c), tcr(2, c)] }), [pop]);
    expect(codeOf(() => decodeRequest(der))).toBe('CMC_MULTIPLE_REQUESTS');
  });

  it('CMC_CRMF_UNSUPPORTED for a CRMF CertReqMsg', async () => {
    const der = await signedCmc(pkiData({ requests: [crm()] }), [pop]);
    expect(codeOf(() => decodeRequest(der))).toBe('CMC_CRMF_UNSUPPORTED');
  });

  it('CMC_NO_REQUEST for a PKIData without a request', async () => {
    const der = await signedCmc(pkiData({ controls: [regInfo(1, 'RequesterName=X&')] }), [pop]);
    expect(codeOf(() => decodeRequest(der))).toBe('CMC_NO_REQUEST');
  });

  it('CMC_NESTED_UNSUPPORTED for content in cmsSequence', async () => {
    const der = await signedCmc(pkiData({ requests: [tcr(1, await csr())], cms: [nestedContent(2)] }), [pop]);
    expect(codeOf(() => decodeRequest(der))).toBe('CMC_NESTED_UNSUPPORTED');
  });

  it('CMC_CONTROL_UNSUPPORTED for a control Tessera does not implement (addExtensions, a private OID)', async () => {
    const c = await csr();
    for (const type of [CMC_OID.addExtensions, CMC_OID.identityProofV2, '1.2.3.4.5']) {
      const der = await signedCmc(
        pkiData({ controls: [control(2, type, new Uint8Array([0x30, 0x00]))], requests: [tcr(1, c)] }),
        [pop],
      );
      expect(
        codeOf(() => decodeRequest(der)),
        type,
      ).toBe('CMC_CONTROL_UNSUPPORTED');
    }
  });

  it('records transactionId and senderNonce for the response', async () => {
    const der = await signedCmc(
      pkiData({
        controls: [
          control(2, CMC_OID.transactionId, new Uint8Array([0x02, 0x02, 0x01, 0x00])),
          control(3, CMC_OID.senderNonce, new Uint8Array([0x04, 0x03, 1, 2, 3])),
        ],
        requests: [tcr(1, await csr())],
      }),
      [pop],
    );
    const d = decodeRequest(der);
    expect(d.attributes['cmc-transactionid']).toBe('0100');
    expect(d.attributes['cmc-sendernonce']).toBe('010203');
  });

  it('REQUEST_MALFORMED for a bodyPartID used twice', async () => {
    const der = await signedCmc(pkiData({ controls: [regInfo(1, 'a=b&')], requests: [tcr(1, await csr())] }), [pop]);
    expect(codeOf(() => decodeRequest(der))).toBe('REQUEST_MALFORMED');
  });

  it('REQUEST_MALFORMED for two regInfo controls naming different targets', async () => {
    const der = await signedCmc(
      pkiData({
        controls: [regInfo(2, 'RequesterName=a&'), regInfo(3, 'RequesterName=b&')],
        requests: [tcr(1, await csr())],
      }),
      [pop],
    );
    expect(codeOf(() => decodeRequest(der))).toBe('REQUEST_MALFORMED');
  });

  it('CMC_UNSIGNED for a SignedData without SignerInfos', async () => {
    const der = await signedCmc(pkiData({ requests: [tcr(1, await csr())] }), []);
    expect(codeOf(() => decodeRequest(der))).toBe('CMC_UNSIGNED');
  });

  it('CMC_POP_INVALID when the request-key SignerInfo is signed by another key', async () => {
    const der = await signedCmc(pkiData({ requests: [tcr(1, await csr())] }), [
      { as: { requestSpki: key.spki }, key: newKey() },
    ]);
    expect(codeOf(() => decodeRequest(der))).toBe('CMC_POP_INVALID');
  });

  it('CMC_POP_INVALID when the proof-of-possession signature bytes are altered', async () => {
    const der = await signedCmc(pkiData({ requests: [tcr(1, await csr())] }), [pop]);
    der[der.length - 10] ^= 0x40;
    expect(codeOf(() => decodeRequest(der))).toBe('CMC_POP_INVALID');
  });

  it('CMC_SIGNER_UNKNOWN when a SignerInfo names a certificate the request does not carry', async () => {
    const other = newKey();
    const der = await signedCmc(pkiData({ requests: [tcr(1, await csr())] }), [
      pop,
      { as: { requestSpki: other.spki }, key: other },
    ]);
    expect(codeOf(() => decodeRequest(der))).toBe('CMC_SIGNER_UNKNOWN');
  });

  it('REQUEST_FORMAT_UNSUPPORTED for a SignedData over another content type', async () => {
    const { encodeSignedData } = await import('../../src/x509/cmc/buildCmcRequest.js');
    const der = Buffer.from(
      encodeSignedData({
        eContentType: '1.2.840.113549.1.9.16.1.4',
        eContent: new Uint8Array([0x30, 0x00]),
        certificates: [],
        signerInfos: [],
      }),
    );
    expect(codeOf(() => decodeRequest(der))).toBe('CMC_UNSIGNED');
    const signed = await (await import('./craft.js')).signerFor(
      pop,
      '1.2.840.113549.1.9.16.1.4',
      new Uint8Array([0x30, 0x00]),
    );
    const der2 = Buffer.from(
      encodeSignedData({
        eContentType: '1.2.840.113549.1.9.16.1.4',
        eContent: new Uint8Array([0x30, 0x00]),
        certificates: [],
        signerInfos: [signed],
      }),
    );
    expect(codeOf(() => decodeRequest(der2))).toBe('REQUEST_FORMAT_UNSUPPORTED');
  });

  it('REQUEST_MALFORMED for a truncated CMC and for trailing bytes', async () => {
    const der = await signedCmc(pkiData({ requests: [tcr(1, await csr())] }), [pop]);
    expect(codeOf(() => decodeRequest(der.subarray(0, der.length - 1)))).toBe('REQUEST_MALFORMED');
    expect(codeOf(() => decodeRequest(Buffer.concat([der, Buffer.from([0])])))).toBe('REQUEST_MALFORMED');
  });

  it('REQUEST_TOO_DEEP, quickly, for 10,000 nested SEQUENCEs inside a control value', async () => {
    const depth = 10_000;
    // Built inside-out in one pass: each level is 30 <len> around the next.
    const lens: number[] = [];
    let len = 0;
    for (let i = 0; i < depth; i++) {
      lens.push(len);
      len += 2 + (len < 0x80 ? 0 : len < 0x100 ? 1 : len < 0x10000 ? 2 : 3);
    }
    const out: number[] = [];
    for (let i = depth - 1; i >= 0; i--) {
      const l = lens[i];
      out.push(0x30);
      if (l < 0x80) out.push(l);
      else if (l < 0x100) out.push(0x81, l);
      else if (l < 0x10000) out.push(0x82, l >> 8, l & 0xff);
      else out.push(0x83, l >> 16, (l >> 8) & 0xff, l & 0xff);
    }
    const nested = new Uint8Array(out);
    // The schema serializer itself recurses into ANY values, so a same-length placeholder
    // (an OCTET STRING with the same length octets) is encoded and then overwritten.
    const head = nested[1] < 0x80 ? 2 : 2 + (nested[1] & 0x7f);
    const placeholder = new Uint8Array(nested.length);
    placeholder.set(nested.subarray(0, head));
    placeholder[0] = 0x04;
    const content = Buffer.from(
      pkiData({ controls: [control(2, CMC_OID.regInfo, placeholder)], requests: [tcr(1, await csr())] }),
    );
    const at = content.indexOf(Buffer.from(placeholder));
    expect(at).toBeGreaterThan(0);
    content.set(nested, at);
    const der = await signedCmc(content, [pop]);
    const started = performance.now();
    expect(codeOf(() => decodeRequest(der))).toBe('REQUEST_TOO_DEEP');
    expect(performance.now() - started).toBeLessThan(100);
  });
});

describe('signer certificates of the wrong shape are malformed input, never a crash', () => {
  it('REQUEST_MALFORMED for an empty Extension inside a carried certificate', async () => {
    const { readSignerCertificate: read } = await import('../../src/x509/cmc/signerCertificate.js');
    const { explicit, integer, oid, seq, bitString, time } = await import('../../src/x509/der.js');
    const key = newKey();
    const name = seq();
    const tbs = seq(
      explicit(0, integer(2)),
      integer(1),
      seq(oid(OID.ecdsaWithSHA256)),
      name,
      seq(time(new Date(0)), time(new Date(86_400_000))),
      name,
      key.spki,
      explicit(3, seq(seq())),
    );
    const cert = seq(tbs, seq(oid(OID.ecdsaWithSHA256)), bitString(Buffer.from([0x30, 0x00])));
    expect(codeOf(() => read(cert))).toBe('REQUEST_MALFORMED');
  });
});
