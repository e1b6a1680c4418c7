import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pemBlocks } from '../../src/x509/pem.js';
import { certText, openssl, opensslCsr, tmpDir, tmpFile, verifyCert } from '../support/openssl.js';
import { newTestCa, type TestCa } from '../support/tessera.js';
import { cli } from './runCli.js';

describe.each(['sqlite', 'postgres'] as const)('tessera request, cert and audit on %s', (engine) => {
  let ca: TestCa;
  let out: string;
  const csrFile = (key: Parameters<typeof opensslCsr>[0] = 'P-256', opts: Parameters<typeof opensslCsr>[1] = {}) =>
    tmpFile(opensslCsr(key, opts).csr, 'req.pem');
  const submit = (user: string, file: string, ...extra: string[]) =>
    cli(ca.dir, ['--json', 'request', 'submit', '--csr', file, '--as', user, ...extra]);

  beforeAll(async () => {
    ca = await newTestCa({ engine });
    out = tmpDir('cli-out-');
    await ca.user('alice');
    await ca.user('bob');
    await ca.user('carol');
    await ca.user('dave');
    // bob and carol are certificate managers; carol also requests certificates herself.
    for (const m of ['bob', 'carol'])
      expect((await cli(ca.dir, ['group', 'add-member', 'Certificate Managers', m])).status).toBe(0);
    expect((await cli(ca.dir, ['group', 'add', 'Smartcard Users'])).status).toBe(0);
    expect((await cli(ca.dir, ['template', 'grant', 'SmartcardUser', 'Smartcard Users'])).status).toBe(0);
    for (const u of ['alice', 'carol'])
      expect((await cli(ca.dir, ['group', 'add-member', 'Smartcard Users', u])).status).toBe(0);
  });
  afterAll(async () => {
    await ca?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('submits an openssl CSR, prints ID, disposition and serial, and writes a certificate openssl verifies', async () => {
    const file = join(out, 'alice.pem');
    const r = await cli(ca.dir, [
      'request',
      'submit',
      '--csr',
      csrFile('rsa:2048'),
      '--template',
      'SmartcardUser',
      '--as',
      'alice',
      '--out',
      file,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Request ID:\s+\d+\nDisposition: issued\nMessage:\s+Issued\nSerial:\s+[0-9a-f]{32,40}\n/);
    expect(r.stdout).toContain(`Certificate written to ${file}`);
    const [der] = pemBlocks(readFileSync(file, 'utf8'), 'CERTIFICATE');
    expect(verifyCert(der, ca.chainPem).stdout).toContain('OK');
    const text = certText(der);
    expect(text).toContain('othername: UPN::alice@tessera.local');
    expect(text).toContain('Microsoft Smartcard Login');
    // An --out that cannot be written fails the command but says how to get the certificate.
    const lost = await cli(ca.dir, [
      '--json',
      'request',
      'submit',
      '--csr',
      csrFile(),
      '--template',
      'SmartcardUser',
      '--as',
      'alice',
      '--out',
      join(out, 'missing-dir', 'x.pem'),
    ]);
    expect(lost.status).toBe(1);
    expect(lost.error().code).toBe('FILE_NOT_WRITABLE');
    const [latest] = await ca.t.store.requests.list({ limit: 1 });
    expect(latest.disposition).toBe('issued');
    expect(lost.error().detail).toContain(
      `request ${latest.id} was issued: tessera cert export ${latest.serial} --out FILE`,
    );
    expect(text).toContain('1.3.6.1.4.1.311.25.2');
  });

  it('accepts DER and headerless base64 files, and takes the template from --attrib', async () => {
    const pem = opensslCsr('P-384').csr;
    const der = pemBlocks(pem, 'CERTIFICATE REQUEST')[0];
    const a = await submit('alice', tmpFile(der, 'req.der'), '--template', 'SmartcardUser');
    expect(a.status, a.stderr).toBe(0);
    expect(a.json()).toMatchObject({ disposition: 'issued', template: 'SmartcardUser' });
    expect(a.json().certificate).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    const b = await submit(
      'alice',
      tmpFile(der.toString('base64'), 'req.b64'),
      '--attrib',
      'CertificateTemplate:SmartcardUser',
      '--attrib',
      'FriendlyName:Smartcard Certificate',
    );
    expect(b.json()).toMatchObject({ disposition: 'issued', template: 'SmartcardUser' });
    const stored = (await ca.t.store.requests.get(b.json().requestId))!;
    expect(stored.attributes).toMatchObject({
      certificatetemplate: 'SmartcardUser',
      friendlyname: 'Smartcard Certificate',
    });
  });

  it('denies a disabled user (USER_DISABLED) with exit status 3, recorded and audited', async () => {
    expect((await cli(ca.dir, ['user', 'disable', 'carol'])).status).toBe(0);
    const r = await submit('carol', csrFile(), '--template', 'SmartcardUser');
    expect(r.status).toBe(3);
    expect(r.json()).toMatchObject({
      disposition: 'denied',
      code: 'USER_DISABLED',
      message: 'The account is disabled.',
      serial: null,
      certificate: null,
    });
    const id = r.json().requestId;
    expect((await ca.t.store.requests.get(id))!.disposition).toBe('denied');
    const audit = await ca.t.store.audit.list({ requestId: id });
    expect(audit.map((a) => a.action)).toEqual(['request.denied']);
    expect((await ca.t.store.certificates.list({ subjectUser: 'carol' })).length).toBe(0);
    // Human output says the same, and still exits 3.
    const human = await cli(ca.dir, [
      'request',
      'submit',
      '--csr',
      csrFile(),
      '--template',
      'SmartcardUser',
      '--as',
      'carol',
      '--out',
      join(out, 'never.pem'),
    ]);
    expect(human.status).toBe(3);
    expect(human.stdout).toMatch(/Disposition: denied\nCode:\s+USER_DISABLED\n/);
    expect(human.stdout).toContain('was not written');
    expect(() => readFileSync(join(out, 'never.pem'))).toThrow();
    expect((await cli(ca.dir, ['user', 'enable', 'carol'])).status).toBe(0);
  });

  it('lets group membership decide Enroll: dave is denied, then issued once in the granted group', async () => {
    const file = csrFile();
    const denied = await submit('dave', file, '--template', 'SmartcardUser');
    expect(denied.status).toBe(3);
    expect(denied.json().code).toBe('ENROLL_DENIED');
    expect((await cli(ca.dir, ['group', 'add-member', 'Smartcard Users', 'dave'])).status).toBe(0);
    const issued = await submit('dave', file, '--template', 'SmartcardUser');
    expect(issued.status).toBe(0);
    expect(issued.json().disposition).toBe('issued');
    expect((await cli(ca.dir, ['group', 'remove-member', 'Smartcard Users', 'dave'])).status).toBe(0);
    expect((await submit('dave', file, '--template', 'SmartcardUser')).json().code).toBe('ENROLL_DENIED');
  });

  it('records undecodable input as a denied request with its code; a missing file changes nothing', async () => {
    const garbage = await submit('alice', tmpFile(randomBytes(4096), 'junk.bin'), '--template', 'SmartcardUser');
    expect(garbage.status).toBe(3);
    expect(garbage.json().code).toMatch(/^REQUEST_(MALFORMED|NOT_DER)$/);
    const before = await ca.t.store.requests.list({ limit: 1 });
    const missing = await cli(ca.dir, ['request', 'submit', '--csr', join(out, 'absent.pem'), '--as', 'alice']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/The input file cannot be read\. \(.*absent\.pem: ENOENT\) \[FILE_NOT_READABLE\]/);
    expect((await ca.t.store.requests.list({ limit: 1 }))[0].id).toBe(before[0].id);
    const unknownUser = await cli(ca.dir, ['request', 'submit', '--csr', csrFile(), '--as', 'mallory']);
    expect(unknownUser.stderr).toContain('[USER_UNKNOWN]');
    expect((await cli(ca.dir, ['request', 'submit', '--csr', csrFile()])).status).toBe(2);
  });

  describe('approval', () => {
    let pendingId: number;
    beforeAll(async () => {
      expect((await cli(ca.dir, ['template', 'set', 'SmartcardUser', 'issuance.managerApproval=true'])).status).toBe(0);
    });
    afterAll(async () => {
      await cli(ca.dir, ['template', 'set', 'SmartcardUser', 'issuance.managerApproval=false']);
    });

    it('leaves a request pending (exit 0) until a certificate manager approves it', async () => {
      const r = await submit('alice', csrFile(), '--template', 'SmartcardUser');
      expect(r.status).toBe(0);
      expect(r.json()).toMatchObject({ disposition: 'pending', serial: null });
      expect(r.json().message).toMatch(/^Taken Under Submission\./);
      pendingId = r.json().requestId;
      const list = await cli(ca.dir, ['--json', 'request', 'list', '--pending']);
      expect(list.json().map((x: { id: number }) => x.id)).toEqual([pendingId]);
    });

    it('refuses approval by the local administrator, a non-manager, and the requester herself', async () => {
      const local = await cli(ca.dir, ['--json', 'request', 'approve', String(pendingId)]);
      expect(local.status).toBe(1);
      expect(local.error()).toMatchObject({ code: 'FORBIDDEN', detail: expect.stringContaining('--as USER') });
      expect(
        (await cli(ca.dir, ['--json', 'request', 'approve', String(pendingId), '--as', 'dave'])).error().code,
      ).toBe('FORBIDDEN');
      // Separation of duties: carol, a manager, cannot approve her own request.
      const own = await submit('carol', csrFile(), '--template', 'SmartcardUser');
      const conflict = await cli(ca.dir, [
        '--json',
        'request',
        'approve',
        String(own.json().requestId),
        '--as',
        'carol',
      ]);
      expect(conflict.status).toBe(1);
      expect(conflict.error().code).toBe('APPROVAL_CONFLICT');
      expect((await ca.t.store.requests.get(own.json().requestId))!.disposition).toBe('pending');
      // bob denies it instead, with a reason the requester sees.
      const deny = await cli(ca.dir, [
        'request',
        'deny',
        String(own.json().requestId),
        '--as',
        'bob',
        '--reason',
        'Use your existing card.',
      ]);
      expect(deny.status, deny.stderr).toBe(0);
      expect(deny.stdout).toContain(
        'Message:     The request was denied by a certificate manager. Use your existing card.',
      );
      const shown = await cli(ca.dir, ['request', 'show', String(own.json().requestId)]);
      expect(shown.stdout).toMatch(/Disposition:\s+denied\nCode:\s+DENIED_BY_MANAGER\n/);
      expect(shown.stdout).toMatch(/Resolved by:\s+bob\n/);
      const again = await cli(ca.dir, ['--json', 'request', 'deny', String(own.json().requestId), '--as', 'bob']);
      expect(again.error().code).toBe('REQUEST_NOT_PENDING');
    });

    it('issues on approval by a manager and shows who did what', async () => {
      const file = join(out, 'approved.pem');
      const r = await cli(ca.dir, ['request', 'approve', String(pendingId), '--as', 'bob', '--out', file]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/Disposition: issued\n/);
      const [der] = pemBlocks(readFileSync(file, 'utf8'), 'CERTIFICATE');
      expect(verifyCert(der, ca.chainPem).stdout).toContain('OK');
      const show = await cli(ca.dir, ['--json', 'request', 'show', String(pendingId)]);
      expect(show.json()).toMatchObject({
        id: pendingId,
        disposition: 'issued',
        requester: 'alice',
        subjectUser: 'alice',
        template: 'SmartcardUser',
        resolvedBy: 'bob',
        certificateStatus: 'issued',
      });
      expect(show.json().requestDer).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
      const audit = (await ca.t.store.audit.list({ requestId: pendingId })).map((a) => `${a.actor}:${a.action}`);
      expect(audit).toEqual(['bob:certificate.issued', 'alice:request.pending']);
      expect((await cli(ca.dir, ['--json', 'request', 'approve', String(pendingId), '--as', 'bob'])).error().code).toBe(
        'REQUEST_NOT_PENDING',
      );
      expect((await cli(ca.dir, ['--json', 'request', 'show', '999999'])).error().code).toBe('REQUEST_NOT_FOUND');
      expect((await cli(ca.dir, ['request', 'show', 'abc'])).status).toBe(2);
    });
  });

  it('lists requests by requester with a limit', async () => {
    const r = await cli(ca.dir, ['--json', 'request', 'list', '--requester', 'ALICE', '--limit', '2']);
    const rows = r.json<{ requester: string; id: number; requestDer?: unknown }[]>();
    expect(rows).toHaveLength(2);
    expect(rows.every((x) => x.requester === 'alice')).toBe(true);
    expect(rows[0].id).toBeGreaterThan(rows[1].id);
    expect(rows[0].requestDer).toBeUndefined();
    const table = await cli(ca.dir, ['request', 'list', '--limit', '1']);
    expect(table.stdout.split('\n')[0]).toMatch(
      /^ID\s+SUBMITTED\s+REQUESTER\s+SUBJECT\s+TEMPLATE\s+DISPOSITION\s+CODE\s+SERIAL$/,
    );
    expect((await cli(ca.dir, ['request', 'list', '--limit', '0'])).status).toBe(2);
  });

  describe('certificates', () => {
    let serial: string;
    beforeAll(async () => {
      const r = await submit('alice', csrFile('P-256'), '--template', 'SmartcardUser');
      serial = r.json().serial;
    });

    it('lists and shows a certificate with subject, UPN, SID, EKUs and validity', async () => {
      const alice = (await ca.t.directory.findUser('alice'))!;
      const list = await cli(ca.dir, ['--json', 'cert', 'list', '--user', 'alice', '--status', 'issued']);
      expect(list.json().map((c: { serial: string }) => c.serial)).toContain(serial);
      expect(
        list
          .json()
          .every((c: { subjectUser: string; status: string }) => c.subjectUser === 'alice' && c.status === 'issued'),
      ).toBe(true);
      expect((await cli(ca.dir, ['cert', 'list', '--status', 'lost'])).status).toBe(2);

      const colons = serial.match(/../g)!.join(':').toUpperCase();
      const show = await cli(ca.dir, ['cert', 'show', colons]);
      expect(show.status, show.stderr).toBe(0);
      expect(show.stdout).toMatch(/Status:\s+issued\n/);
      expect(show.stdout).toMatch(/Subject:\s+E=alice@example\.com,CN=Alice,CN=Users,DC=tessera,DC=local\n/);
      expect(show.stdout).toMatch(/Subject alt\. name:\s+UPN:alice@tessera\.local, email:alice@example\.com\n/);
      expect(show.stdout).toContain(`SID extension:        ${alice.sid}`);
      expect(show.stdout).toContain(
        'Extended key usage:   Client Authentication (1.3.6.1.5.5.7.3.2), Secure Email (1.3.6.1.5.5.7.3.4), Smart Card Logon (1.3.6.1.4.1.311.20.2.2)',
      );
      expect(show.stdout).toMatch(/Key usage:\s+digitalSignature, keyAgreement \(critical\)\n/);
      expect(show.stdout).toMatch(/Certificate template: SmartcardUser\n/);
      expect(show.stdout).toMatch(/Public key:\s+ECDSA P-256\n/);
      // newTestCa's issuing CA has a P-256 key, so Tessera signs with ECDSA and SHA-256.
      expect(show.stdout).toMatch(/Signature:\s+ecdsaWithSHA256\n/);
      expect(show.stdout).toMatch(/CRL distribution:\s+http:\/\/pki\.test\.invalid\/pki\/issuing\.crl\n/);
      // The decoded validity is the certificate's own, as OpenSSL reads it.
      const rec = (await ca.t.store.certificates.get(serial))!;
      const endDate = openssl(['x509', '-inform', 'DER', '-noout', '-enddate'], rec.der!)
        .stdout.trim()
        .replace('notAfter=', '');
      const json = (await cli(ca.dir, ['--json', 'cert', 'show', serial])).json();
      expect(new Date(json.decoded.notAfter).getTime()).toBe(new Date(endDate).getTime());
      expect(json.decoded).toMatchObject({ upn: 'alice@tessera.local', sid: alice.sid, serial });
      expect((await cli(ca.dir, ['--json', 'cert', 'show', '0badc0de'])).error().code).toBe('CERT_NOT_FOUND');
      expect((await cli(ca.dir, ['cert', 'show', 'xyz'])).status).toBe(2);
    });

    it('exports PEM with chain, DER and PKCS#7, each judged by openssl', async () => {
      const pemFile = join(out, 'chain.pem');
      expect((await cli(ca.dir, ['cert', 'export', serial, '--chain', '--out', pemFile])).stdout).toContain(
        'with 2 CA certificate(s)',
      );
      const blocks = pemBlocks(readFileSync(pemFile, 'utf8'), 'CERTIFICATE');
      expect(blocks).toHaveLength(3);
      const leafFile = join(out, 'leaf.pem');
      expect((await cli(ca.dir, ['cert', 'export', serial, '--out', leafFile])).status).toBe(0);
      expect(openssl(['verify', '-CAfile', pemFile, leafFile]).stdout).toContain(': OK');

      const derFile = join(out, 'leaf.cer');
      await cli(ca.dir, ['cert', 'export', serial, '--format', 'der', '--out', derFile]);
      expect(openssl(['x509', '-inform', 'DER', '-in', derFile, '-noout', '-serial']).stdout.trim().toLowerCase()).toBe(
        `serial=${serial}`,
      );

      const p7b = join(out, 'chain.p7b');
      await cli(ca.dir, ['cert', 'export', serial, '--format', 'p7b', '--out', p7b]);
      const printed = openssl(['pkcs7', '-inform', 'DER', '-in', p7b, '-print_certs', '-noout']);
      expect(printed.status).toBe(0);
      expect(printed.stdout.match(/subject=/g)).toHaveLength(3);

      const stdout = await cli(ca.dir, ['cert', 'export', serial]);
      expect(stdout.stdout).toBe(readFileSync(leafFile, 'utf8'));
      expect((await cli(ca.dir, ['--json', 'cert', 'export', serial, '--format', 'der', '--chain'])).error().code).toBe(
        'INPUT_INVALID',
      );
      expect(
        (await cli(ca.dir, ['--json', 'cert', 'export', serial, '--out', join(out, 'no-such-dir', 'x.pem')])).error()
          .code,
      ).toBe('FILE_NOT_WRITABLE');
    });

    it('revokes and releases under the ra rules', async () => {
      // dave is neither the subject nor a manager: the certificate is invisible to him.
      expect((await cli(ca.dir, ['--json', 'cert', 'revoke', serial, '--as', 'dave'])).error().code).toBe(
        'CERT_NOT_FOUND',
      );
      // alice may not put her own certificate on hold (a manager's decision).
      expect(
        (
          await cli(ca.dir, ['--json', 'cert', 'revoke', serial, '--as', 'alice', '--reason', 'certificateHold'])
        ).error().code,
      ).toBe('FORBIDDEN');
      expect((await cli(ca.dir, ['cert', 'revoke', serial, '--reason', 'stolen'])).status).toBe(2);

      const hold = await cli(ca.dir, ['cert', 'revoke', serial, '--reason', 'certificateHold', '--as', 'bob']);
      expect(hold.status, hold.stderr).toBe(0);
      expect((await ca.t.store.certificates.get(serial))!.status).toBe('revoked');
      expect((await cli(ca.dir, ['cert', 'show', serial])).stdout).toMatch(
        /Status:\s+revoked \(certificateHold\)\nRevoked:/,
      );
      expect((await cli(ca.dir, ['--json', 'cert', 'release', serial, '--as', 'alice'])).error().code).toBe(
        'FORBIDDEN',
      );
      expect((await cli(ca.dir, ['cert', 'release', serial, '--as', 'bob'])).stdout).toBe(
        `Released ${serial} from hold\n`,
      );
      expect((await ca.t.store.certificates.get(serial))!.status).toBe('issued');

      // alice revokes her own certificate for key compromise; it cannot be released.
      const own = await cli(ca.dir, ['--json', 'cert', 'revoke', serial, '--as', 'alice', '--reason', 'keyCompromise']);
      expect(own.json()).toMatchObject({ serial, reason: 'keyCompromise' });
      expect((await cli(ca.dir, ['--json', 'cert', 'revoke', serial])).error().code).toBe('INPUT_INVALID');
      expect((await cli(ca.dir, ['--json', 'cert', 'release', serial])).error().code).toBe('INPUT_INVALID');
      const revoked = await cli(ca.dir, ['--json', 'cert', 'list', '--status', 'revoked']);
      expect(revoked.json().find((c: { serial: string }) => c.serial === serial)).toMatchObject({
        revocationReason: 'keyCompromise',
      });
      const trail = (await ca.t.store.audit.list({ serial })).map((a) => `${a.actor}:${a.action}`);
      expect(trail.slice(0, 4)).toEqual([
        'alice:certificate.revoked',
        'bob:certificate.released',
        'bob:certificate.revoked',
        'alice:certificate.issued',
      ]);
    });
  });

  it('lists audit records with filters and verifies the chain', async () => {
    const byBob = await cli(ca.dir, ['--json', 'audit', 'list', '--actor', 'bob']);
    const actions = byBob.json<{ actor: string; action: string }[]>();
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.every((a) => a.actor === 'bob')).toBe(true);
    expect(actions.map((a) => a.action)).toContain('request.denied');
    const denied = await cli(ca.dir, ['--json', 'audit', 'list', '--action', 'request.denied', '--limit', '3']);
    expect(denied.json()).toHaveLength(3);
    const table = await cli(ca.dir, ['audit', 'list', '--limit', '1']);
    expect(table.stdout.split('\n')[0]).toMatch(
      /^SEQ\s+AT\s+ACTOR\s+ACTION\s+TARGET\s+REQUEST\s+SERIAL\s+SOURCE\s+DETAILS$/,
    );
    const verify = await cli(ca.dir, ['audit', 'verify']);
    expect(verify.status).toBe(0);
    const count = (await ca.t.store.audit.verify()).records;
    expect(verify.stdout).toBe(`Audit log OK: ${count} records verified\n`);
  });
});
