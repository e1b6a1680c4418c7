import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certText, openssl, opensslCsr, tmpDir, tmpFile, verifyCert } from '../support/openssl.js';
import type { Template } from '../../src/template/Template.js';
import { newTestCa, type TestCa } from '../support/tessera.js';
import { cli } from './runCli.js';

/** The OID inside the v2 template extension, as OpenSSL reads it (the independent judge). */
function templateOidByOpenssl(der: Buffer): string | undefined {
  const file = tmpFile(der, 'cert.der');
  const lines = openssl(['asn1parse', '-inform', 'DER', '-in', file]).stdout.split('\n');
  const at = lines.findIndex((l) => l.includes(':1.3.6.1.4.1.311.21.7'));
  const octets = lines.slice(at + 1).find((l) => l.includes('OCTET STRING'));
  if (at < 0 || !octets) return undefined;
  const offset = /^\s*(\d+):/.exec(octets)![1];
  const inner = openssl(['asn1parse', '-inform', 'DER', '-in', file, '-strparse', offset]).stdout;
  return /OBJECT\s+:(\S+)/.exec(inner)?.[1];
}

describe('tessera template', () => {
  let ca: TestCa;
  beforeAll(async () => {
    ca = await newTestCa();
    await ca.user('alice');
  });
  afterAll(async () => ca?.close());

  it('lists the built-in templates with their EKUs by name', async () => {
    const r = await cli(ca.dir, ['template', 'list']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /SmartcardUser\s+Smartcard User\s+1\s+365d\s+yes\s+Client Authentication, Secure Email, Smart Card Logon/,
    );
    expect(r.stdout).toMatch(
      /WebServer\s+Web Server\s+1\s+365d\s+manager\s+yes\s+CA Administrators\s+Server Authentication/,
    );
    const names = (await cli(ca.dir, ['--json', 'template', 'list'])).json<{ name: string }[]>().map((t) => t.name);
    expect(names).toEqual(['EnrollmentAgent', 'SmartcardLogon', 'SmartcardUser', 'User', 'WebServer']);
  });

  it('shows a template in words, and as its definition with --json', async () => {
    const r = await cli(ca.dir, ['template', 'show', 'smartcarduser']);
    expect(r.status).toBe(0);
    for (const line of [
      /Extended key usage: Client Authentication \(1\.3\.6\.1\.5\.5\.7\.3\.2\), Secure Email \(1\.3\.6\.1\.5\.5\.7\.3\.4\), Smart Card Logon \(1\.3\.6\.1\.4\.1\.311\.20\.2\.2\)/,
      /Key usage:\s+digitalSignature, keyEncipherment \(critical\)/,
      /Key spec:\s+Exchange \(AT_KEYEXCHANGE\)/,
      /Key algorithms:\s+RSA 2048–8192 bits \(exponent 65537\), ECDSA P-256\/P-384/,
      /Subject name:\s+from the directory: fully distinguished name \+ e-mail/,
      /Subject alt\. name:\s+UPN \(otherName 1\.3\.6\.1\.4\.1\.311\.20\.2\.3\), e-mail \(rfc822Name\)/,
      /SID extension:\s+yes \(1\.3\.6\.1\.4\.1\.311\.25\.2, KB5014754 strong mapping\)/,
      /Issuance:\s+none \(issued on submission\)/,
      /Enroll:\s+\(nobody\)/,
    ]) {
      expect(r.stdout).toMatch(line);
    }
    const json = (await cli(ca.dir, ['--json', 'template', 'show', 'SmartcardUser'])).json();
    expect(json).toEqual(await ca.t.templates.get('SmartcardUser'));
    const missing = await cli(ca.dir, ['template', 'show', 'Nope']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('[TEMPLATE_UNKNOWN]');
  });

  it('refuses includeSid=false on SmartcardUser naming KB5014754, and changes nothing', async () => {
    const before = await ca.t.store.templates.get('SmartcardUser');
    const auditBefore = (await ca.t.store.audit.list({ limit: 1 }))[0].seq;
    const r = await cli(ca.dir, ['template', 'set', 'SmartcardUser', 'validityDays=500', 'includeSid=false']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('[TEMPLATE_INVALID]');
    expect(r.stderr).toContain(
      'includeSid: templates with Client Authentication or Smart Card Logon must include the SID extension (KB5014754, ESC9)',
    );
    const after = await ca.t.store.templates.get('SmartcardUser');
    // No partial state: the valid half of the command (validityDays) was not saved either.
    expect(after!.version).toBe(before!.version);
    expect(after!.definition).toEqual(before!.definition);
    expect((await ca.t.store.audit.list({ limit: 1 }))[0].seq).toBe(auditBefore);
  });

  it('names the rule for other unsafe settings', async () => {
    const cases: [string[], string][] = [
      [['ekus=2.5.29.37.0'], 'Any Purpose (2.5.29.37.0) is not allowed (ESC2)'],
      [['subjectName.source=request'], 'names from the request are not allowed with an authentication EKU (ESC1)'],
      [['keyAlgorithms.rsaMinBits=1024'], 'keyAlgorithms.rsaMinBits: at least 2048'],
      [['includeSid=maybe'], 'includeSid: true or false, not "maybe"'],
      [['validityDays=soon'], 'validityDays: a number, not "soon"'],
      [['issuance.colour=blue'], 'issuance.colour: no such template field'],
      [['name=Other'], 'name: a template keeps its name'],
      [['enabled=null'], 'enabled: cannot be null'],
    ];
    for (const [settings, message] of cases) {
      const r = await cli(ca.dir, ['--json', 'template', 'set', 'SmartcardUser', ...settings]);
      expect(r.status, settings.join(' ')).toBe(1);
      expect(r.error().code).toBe('TEMPLATE_INVALID');
      expect(r.error().detail).toContain(message);
    }
    expect((await cli(ca.dir, ['template', 'set', 'SmartcardUser', 'validityDays'])).stderr).toContain(
      '"validityDays" is not key=value',
    );
    expect((await cli(ca.dir, ['template', 'set', 'SmartcardUser'])).stderr).toContain('nothing to set');
    expect((await ca.t.store.templates.get('SmartcardUser'))!.version).toBe(1);
  });

  it('sets fields by dotted path, with JSON values and comma lists, and audits before and after', async () => {
    const r = await cli(ca.dir, [
      'template',
      'set',
      'SmartcardLogon',
      'validityDays=730',
      'renewalDays=60',
      'issuance.managerApproval=true',
      'keyAlgorithms.ecCurves=P-384',
      'keyAlgorithms.rsaMinBits=null',
      'displayName=Smart Card Logon (PIV)',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Saved SmartcardLogon (version 2)');
    expect(r.stdout).toContain('  keyAlgorithms.rsaMinBits: 2048 -> null');
    const t = (await ca.t.templates.get('SmartcardLogon'))!;
    expect(t).toMatchObject({
      validityDays: 730,
      renewalDays: 60,
      displayName: 'Smart Card Logon (PIV)',
      keyAlgorithms: { rsaMinBits: null, ecCurves: ['P-384'] },
    });
    expect(t.issuance.managerApproval).toBe(true);
    const [rec] = await ca.t.store.audit.list({ action: 'template.changed', limit: 1 });
    expect(rec.target).toBe('SmartcardLogon');
    expect(rec.details).toMatchObject({ version: 2, before: { validityDays: 365 }, after: { validityDays: 730 } });
    // The EKU list as a comma list.
    const ekus = await cli(ca.dir, [
      '--json',
      'template',
      'set',
      'SmartcardLogon',
      'ekus=1.3.6.1.4.1.311.20.2.2,1.3.6.1.5.5.7.3.2,1.3.6.1.5.2.3.4',
    ]);
    expect(ekus.status, ekus.stderr).toBe(0);
    expect(ekus.json().template.ekus).toEqual(['1.3.6.1.4.1.311.20.2.2', '1.3.6.1.5.5.7.3.2', '1.3.6.1.5.2.3.4']);
  });

  it('sets the RSA upper bound, exponent rule and wildcard flag on a definition stored before they existed', async () => {
    const stored = (await ca.t.store.templates.get('WebServer'))!.definition as Template;
    const { rsaMaxBits: _m, rsaPublicExponent: _e, ...oldKeys } = stored.keyAlgorithms;
    const { dnsWildcard: _w, ...oldSan } = stored.san;
    await ca.t.store.templates.put('WebServer', { ...stored, keyAlgorithms: oldKeys, san: oldSan }, 'test', new Date());
    const shown = (await cli(ca.dir, ['--json', 'template', 'show', 'WebServer'])).json();
    expect(shown.keyAlgorithms).toEqual({
      rsaMinBits: 2048,
      rsaMaxBits: 8192,
      rsaPublicExponent: '65537',
      ecCurves: ['P-256', 'P-384'],
    });
    const r = await cli(ca.dir, [
      'template',
      'set',
      'WebServer',
      'keyAlgorithms.rsaMaxBits=4096',
      'keyAlgorithms.rsaPublicExponent=odd',
      'san.dnsWildcard=true',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('  keyAlgorithms.rsaMaxBits: 8192 -> 4096');
    expect(r.stdout).toContain('  keyAlgorithms.rsaPublicExponent: 65537 -> odd');
    expect((await ca.t.store.templates.get('WebServer'))!.definition).toMatchObject({
      keyAlgorithms: { rsaMaxBits: 4096, rsaPublicExponent: 'odd' },
      san: { dnsWildcard: true },
    });
    expect((await cli(ca.dir, ['template', 'show', 'WebServer'])).stdout).toMatch(
      /Key algorithms:\s+RSA 2048–4096 bits \(odd exponent ≤ 2\^256 − 1\)/,
    );
    const bad = await cli(ca.dir, ['template', 'set', 'WebServer', 'keyAlgorithms.rsaMaxBits=32768']);
    expect(bad.stderr).toContain('keyAlgorithms.rsaMaxBits: 2048 to 16384 (default 8192)');
    const reset = await cli(ca.dir, [
      'template',
      'set',
      'WebServer',
      'keyAlgorithms.rsaMaxBits=8192',
      'keyAlgorithms.rsaPublicExponent=65537',
      'san.dnsWildcard=false',
    ]);
    expect(reset.status, reset.stderr).toBe(0);
  });

  it('replaces a definition from a JSON file (show --json, edit, set --file)', async () => {
    const def = (await cli(ca.dir, ['--json', 'template', 'show', 'User'])).json();
    def.validityDays = 90;
    def.renewalDays = 10;
    const dir = tmpDir();
    const file = join(dir, 'user.json');
    writeFileSync(file, JSON.stringify(def));
    const r = await cli(ca.dir, ['template', 'set', 'User', '--file', file]);
    expect(r.status, r.stderr).toBe(0);
    expect((await ca.t.templates.get('User'))!.validityDays).toBe(90);

    // A file for another template, a flag given as a string, and a file that is not JSON.
    writeFileSync(file, JSON.stringify({ ...def, name: 'SmartcardUser' }));
    expect((await cli(ca.dir, ['template', 'set', 'User', '--file', file])).stderr).toContain(
      'defines template "SmartcardUser", not User',
    );
    writeFileSync(file, JSON.stringify({ ...def, includeSid: 'false' }));
    expect((await cli(ca.dir, ['template', 'set', 'User', '--file', file])).stderr).toContain(
      'includeSid: true or false',
    );
    writeFileSync(file, '{ not json');
    expect((await cli(ca.dir, ['template', 'set', 'User', '--file', file])).stderr).toContain('is not JSON');
    const missing = await cli(ca.dir, ['--json', 'template', 'set', 'User', '--file', join(dir, 'absent.json')]);
    expect(missing.error().code).toBe('FILE_NOT_READABLE');
    expect((await ca.t.templates.get('User'))!.validityDays).toBe(90);
  });

  it('duplicates a template as schema version 2 with a 2.25 UUID OID and no Enroll grants', async () => {
    await cli(ca.dir, ['template', 'grant', 'SmartcardUser', 'Domain Users']);
    const r = await cli(ca.dir, [
      '--json',
      'template',
      'create',
      'CorpSmartcard',
      '--from',
      'SmartcardUser',
      '--display-name',
      'Corp Smart Card',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const t = r.json().template;
    expect(t).toMatchObject({
      name: 'CorpSmartcard',
      displayName: 'Corp Smart Card',
      schemaVersion: 2,
      majorVersion: 100,
      minorVersion: 0,
      enroll: [],
      includeSid: true,
    });
    expect(t.ekus).toEqual((await ca.t.templates.get('SmartcardUser'))!.ekus);
    // X.667: 2.25.<the 128-bit UUID in decimal>; a version 4 UUID has 0100 in bits 48–51.
    expect(t.oid).toMatch(/^2\.25\.[1-9]\d{0,38}$/);
    const uuid = BigInt(t.oid.slice(5)).toString(16).padStart(32, '0');
    expect(uuid[12]).toBe('4');
    const again = await cli(ca.dir, ['template', 'create', 'corpsmartcard', '--from', 'User']);
    expect(again.stderr).toContain('[ALREADY_EXISTS]');
    expect((await cli(ca.dir, ['template', 'create', 'X', '--from', 'Nope'])).stderr).toContain('[TEMPLATE_UNKNOWN]');
    expect((await cli(ca.dir, ['template', 'create', 'bad name', '--from', 'User'])).stderr).toContain(
      'name: letters, digits',
    );
    expect((await cli(ca.dir, ['template', 'create', 'Y'])).status).toBe(2);
  });

  it('grants and revokes Enroll; the copy issues a certificate whose v2 template extension OpenSSL reads', async () => {
    const alice = (await ca.t.directory.findUser('alice'))!;
    expect((await cli(ca.dir, ['template', 'grant', 'CorpSmartcard', 'No Such Group'])).stderr).toContain(
      'enroll group "No Such Group" does not exist',
    );
    expect((await cli(ca.dir, ['template', 'revoke-grant', 'CorpSmartcard', 'Domain Users'])).stderr).toContain(
      '[NOT_FOUND]',
    );
    const { csr } = opensslCsr('P-256');
    const csrFile = tmpFile(csr, 'req.pem');
    const denied = await cli(ca.dir, [
      '--json',
      'request',
      'submit',
      '--csr',
      csrFile,
      '--template',
      'CorpSmartcard',
      '--as',
      'alice',
    ]);
    expect(denied.json()).toMatchObject({ disposition: 'denied', code: 'ENROLL_DENIED' });

    const grant = await cli(ca.dir, ['template', 'grant', 'CorpSmartcard', 'Domain Users']);
    expect(grant.stdout).toBe('CorpSmartcard: Enroll granted to Domain Users; Enroll: Domain Users\n');
    const issued = await cli(ca.dir, [
      '--json',
      'request',
      'submit',
      '--csr',
      csrFile,
      '--template',
      'CorpSmartcard',
      '--as',
      'alice',
    ]);
    expect(issued.json()).toMatchObject({ disposition: 'issued' });
    const rec = (await ca.t.store.certificates.get(issued.json().serial))!;
    expect(verifyCert(rec.der!, ca.chainPem).stdout).toContain('OK');
    const tpl = (await ca.t.templates.get('CorpSmartcard'))!;
    expect(templateOidByOpenssl(rec.der!)).toBe(tpl.oid);
    expect(certText(rec.der!)).toContain(`othername: UPN::${alice.upn}`);

    const revoke = await cli(ca.dir, ['template', 'revoke-grant', 'CorpSmartcard', 'domain users']);
    expect(revoke.stdout).toBe('CorpSmartcard: Enroll revoked from domain users; Enroll: (nobody)\n');
    const after = await cli(ca.dir, [
      '--json',
      'request',
      'submit',
      '--csr',
      csrFile,
      '--template',
      'CorpSmartcard',
      '--as',
      'alice',
    ]);
    expect(after.json()).toMatchObject({ disposition: 'denied', code: 'ENROLL_DENIED' });
    expect(after.status).toBe(3);
  });
});
