/**
 * Smart card sign-in with independent clients and the key ON a SoftHSM2 card
 * (docs/signin.md "The sign-in listener"): `tessera serve --signin-port` runs as its own process; alice's card is
 * enrolled through Tessera (`tessera enroll`, key generated on the card); then
 *
 *   - curl and `openssl s_client`, both through libengine-pkcs11-openssl with the private
 *     key on the card, sign in to the mTLS listener and get alice's identity back, and
 *     curl's session cookie opens /certsrv as alice;
 *   - Debian's libpam-pkcs11 (`pklogin_finder`, the mapping step of pam_pkcs11) reads the
 *     card, checks the certificate against the Tessera CA and CRL in its hash-linked
 *     ca_dir / crl_dir, and its `ms` (UPN) mapper finds alice — the same certificate works
 *     for Linux smart card logon.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTemplateGrant } from '../../src/ra/admin/templates.js';
import { publishCrl } from '../../src/ra/publishCrl.js';
import { revoke } from '../../src/ra/revoke.js';
import { toPem } from '../../src/x509/pem.js';
import { tessera } from '../card/helpers/cli.js';
import { openssl, tmpDir } from '../support/openssl.js';
import { freePort } from '../support/ports.js';
import { newSoftHsm, SOFTHSM2_MODULE, type SoftHsm } from '../support/softhsm.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PASSWORD = 'correct horse battery';
const PIN = '12345678';

let hsm: SoftHsm;
let ca: TestCa;
let serve: ChildProcess;
let serveOutput = '';
const work = tmpDir('signin-card-');
const ports = { https: 0, http: 0, signin: 0 };
let chainFile = '';
let certFile = '';
let keyId = '';

/** Run a command to completion with the card's environment (and more). */
function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  input = '',
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { env });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => c.kill('SIGKILL'), 60_000);
    c.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status: status ?? -1, stdout, stderr });
    });
    c.stdin.end(input);
  });
}

beforeAll(async () => {
  hsm = newSoftHsm('signin-card-');
  ports.https = await freePort();
  ports.http = await freePort();
  ports.signin = await freePort();
  // The certificates' CRL and OCSP URLs point at the server's plain-HTTP listener.
  ca = await newTestCa({ keyAlgorithm: 'RSA-2048', publicUrl: `http://127.0.0.1:${ports.http}` });
  await setTemplateGrant(ca.t, LOCAL, 'SmartcardUser', 'Domain Users', true);
  await ca.user('alice', { password: PASSWORD });
  chainFile = join(work, 'chain.pem');
  writeFileSync(chainFile, ca.chainPem);

  serve = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'test', 'card', 'helpers', 'tessera-cli.ts'),
      '-d',
      ca.dir,
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      String(ports.https),
      '--http-port',
      String(ports.http),
      '--signin-port',
      String(ports.signin),
      '--quiet',
    ],
    { cwd: ROOT, env: { ...hsm.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tessera serve did not start:\n${serveOutput}`)), 90_000);
    const on = (d: Buffer) => {
      serveOutput += d.toString();
      if (serveOutput.includes('Root CA SHA-256 fingerprint')) {
        clearTimeout(timer);
        resolve();
      }
    };
    serve.stdout!.on('data', on);
    serve.stderr!.on('data', on);
    serve.once('exit', (code) => reject(new Error(`tessera serve exited ${code}:\n${serveOutput}`)));
  });

  // Alice's card: created, then enrolled through Tessera — the key is generated on the card.
  const created = await tessera(['--json', 'card', 'create', '--label', 'Alice VSC', '--pin-stdin', '--so-pin-stdin'], {
    env: hsm.env,
    input: `${PIN}\n87654321\n`,
  });
  expect(created.status, created.stderr).toBe(0);
  const enrolled = await tessera(
    [
      '--json',
      'enroll',
      '--server',
      `https://localhost:${ports.https}`,
      '--user',
      'alice',
      '--password-stdin',
      '--pin-stdin',
      '--ca-cert',
      chainFile,
      '--card',
      'Alice VSC',
      '--format',
      'pkcs10',
      '--key-size',
      '2048',
      '--friendly-name',
      'Smartcard Certificate',
    ],
    { env: hsm.env, input: `${PASSWORD}\n${PIN}\n` },
  );
  expect(enrolled.status, enrolled.stderr).toBe(0);
  expect(enrolled.json.disposition).toBe('issued');
  certFile = join(work, 'alice.pem');
  writeFileSync(certFile, enrolled.json.certificate.pem);
  keyId = enrolled.json.certificate.id;
}, 240_000);

afterAll(async () => {
  if (serve && serve.exitCode === null) {
    const exited = new Promise((r) => serve.once('exit', r));
    serve.kill('SIGTERM');
    await exited;
  }
  await ca?.close();
  hsm?.remove();
});

/** The RFC 7512 URI of alice's private key on the card, PIN included (as scripts pass it). */
const keyUri = () =>
  `pkcs11:token=Alice%20VSC;id=${keyId
    .match(/../g)!
    .map((b) => `%${b}`)
    .join('')};type=private;pin-value=${PIN}`;

describe('tessera serve --signin-port', () => {
  it('announces the sign-in listener', () => {
    expect(serveOutput).toContain(
      `Smart card sign-in ("Test my smart card"): https://127.0.0.1:${ports.signin}/signin`,
    );
  });
});

describe('independent TLS clients with the key on the card', () => {
  it("curl (OpenSSL + pkcs11 engine) signs in and gets alice's identity; its session cookie opens /certsrv as alice", async () => {
    const env = { ...hsm.env, OPENSSL_CONF: hsm.opensslEngineConf() };
    const jar = join(work, 'cookies.txt');
    const r = await run(
      'curl',
      [
        '--silent',
        '--show-error',
        '--fail-with-body',
        '--engine',
        'pkcs11',
        '--key-type',
        'ENG',
        '--key',
        keyUri(),
        '--cert',
        certFile,
        '--cacert',
        chainFile,
        '--resolve',
        `localhost:${ports.signin}:127.0.0.1`,
        '--cookie-jar',
        jar,
        `https://localhost:${ports.signin}/signin.json`,
      ],
      env,
    );
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({
      result: 'signed-in',
      user: { username: 'alice', upn: 'alice@tessera.local' },
      mapping: { kind: 'sid-extension', strength: 'strong' },
    });
    expect(json.checks.every((c: { status: string }) => c.status === 'passed')).toBe(true);
    // The revocation check asked Tessera's OCSP responder over HTTP.
    expect(json.checks.find((c: { id: string }) => c.id === 'revocation').summary).toMatch(/: OCSP;/);
    const home = await run(
      'curl',
      [
        '--silent',
        '--show-error',
        '--cacert',
        chainFile,
        '--resolve',
        `localhost:${ports.https}:127.0.0.1`,
        '--cookie',
        jar,
        '-H',
        'Accept: text/html',
        `https://localhost:${ports.https}/certsrv/`,
      ],
      hsm.env,
    );
    expect(home.status, home.stderr).toBe(0);
    expect(home.stdout).toContain('Alice (alice)');
    // The server's audit trail has the sign-in, by certificate serial.
    const serial = openssl(['x509', '-in', certFile, '-noout', '-serial'])
      .stdout.split('=')[1]
      .trim()
      .toLowerCase()
      .replace(/^0+/, '');
    const records = await ca.t.store.audit.list({ action: 'signin.succeeded', limit: 10 });
    expect(records.some((a) => a.actor === 'alice' && a.serial === serial)).toBe(true);
  });

  it('openssl s_client (pkcs11 engine, key on the card) signs in over TLS 1.3 and TLS 1.2', async () => {
    const env = { ...hsm.env, OPENSSL_CONF: hsm.opensslEngineConf() };
    for (const version of ['-tls1_3', '-tls1_2']) {
      const r = await run(
        'openssl',
        [
          's_client',
          version,
          '-connect',
          `127.0.0.1:${ports.signin}`,
          '-servername',
          'localhost',
          '-CAfile',
          chainFile,
          '-engine',
          'pkcs11',
          '-keyform',
          'engine',
          '-key',
          keyUri(),
          '-cert',
          certFile,
          '-quiet',
          '-ign_eof',
        ],
        env,
        'GET /signin.json HTTP/1.0\r\nHost: localhost\r\n\r\n',
      );
      expect(r.stdout, r.stderr).toMatch(/^HTTP\/1\.1 200 OK/);
      const body = JSON.parse(r.stdout.slice(r.stdout.indexOf('\r\n\r\n') + 4));
      expect(body).toMatchObject({ result: 'signed-in', user: { username: 'alice' } });
      expect(body.checks[0].summary).toContain(version === '-tls1_3' ? 'TLSv1.3' : 'TLSv1.2');
    }
  });

  it("without the card's key (no client certificate) the same listener refuses", async () => {
    const r = await run(
      'curl',
      [
        '--silent',
        '--cacert',
        chainFile,
        '--resolve',
        `localhost:${ports.signin}:127.0.0.1`,
        '-w',
        '\n%{http_code}',
        `https://localhost:${ports.signin}/signin.json`,
      ],
      hsm.env,
    );
    const [body, code] = r.stdout.split('\n');
    expect(code).toBe('401');
    expect(JSON.parse(body)).toMatchObject({
      result: 'refused',
      code: 'SIGNIN_REFUSED',
      failedCheck: { code: 'SIGNIN_CERT_MISSING' },
    });
    // Proof of possession was not performed: there was no certificate whose key could sign.
    expect(JSON.parse(body).checks[0]).toMatchObject({
      id: 'possession',
      status: 'failed',
      code: 'SIGNIN_CERT_MISSING',
    });
    const page = await run(
      'curl',
      [
        '--silent',
        '--cacert',
        chainFile,
        '--resolve',
        `localhost:${ports.signin}:127.0.0.1`,
        '-H',
        'Accept: text/html',
        `https://localhost:${ports.signin}/signin`,
      ],
      hsm.env,
    );
    expect(page.stdout).toMatch(
      /<tr data-check="possession" data-status="failed">.*✘ failed.*Not performed: No client certificate was presented/,
    );
    expect(page.stdout).not.toContain('✔ passed');
  });

  it('with the key on the card the page shows proof of possession passed', async () => {
    const env = { ...hsm.env, OPENSSL_CONF: hsm.opensslEngineConf() };
    const r = await run(
      'curl',
      [
        '--silent',
        '--show-error',
        '--fail-with-body',
        '--engine',
        'pkcs11',
        '--key-type',
        'ENG',
        '--key',
        keyUri(),
        '--cert',
        certFile,
        '--cacert',
        chainFile,
        '--resolve',
        `localhost:${ports.signin}:127.0.0.1`,
        '-H',
        'Accept: text/html',
        `https://localhost:${ports.signin}/signin`,
      ],
      env,
    );
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(
      /<tr data-check="possession" data-status="passed">.*✔ passed.*handshake: CertificateVerify signed/,
    );
  });
});

describe('Linux smart card logon: libpam-pkcs11', () => {
  it("pklogin_finder checks the card's certificate against the Tessera CA and CRL and its ms (UPN) mapper finds alice; another CA, another domain or a revocation maps nobody", async () => {
    const dir = join(work, 'pam');
    const caDir = join(dir, 'cacerts');
    const crlDir = join(dir, 'crls');
    mkdirSync(caDir, { recursive: true });
    mkdirSync(crlDir, { recursive: true });
    // The CA certificates and the CRLs, fetched over HTTP from the URLs a relying party uses.
    const [issuing, root] = ca.t.chain();
    writeFileSync(join(caDir, 'tessera-issuing.pem'), toPem(issuing, 'CERTIFICATE'));
    writeFileSync(join(caDir, 'tessera-root.pem'), toPem(root, 'CERTIFICATE'));
    for (const name of ['issuing', 'root']) {
      const res = await fetch(`http://127.0.0.1:${ports.http}/pki/${name}.crl`);
      expect(res.status).toBe(200);
      writeFileSync(join(crlDir, `${name}.pem`), toPem(Buffer.from(await res.arrayBuffer()), 'X509 CRL'));
    }
    // OpenSSL hash links (<hash>.0 for certificates, <hash>.r0 for CRLs), as pam_pkcs11 expects.
    for (const d of [caDir, crlDir]) expect(openssl(['rehash', d]).status).toBe(0);
    const conf = join(dir, 'pam_pkcs11.conf');
    writeFileSync(
      conf,
      `pam_pkcs11 {
  nullok = false;
  debug = false;
  use_first_pass = false;
  card_only = true;
  use_pkcs11_module = softhsm;
  pkcs11_module softhsm {
    module = ${SOFTHSM2_MODULE};
    description = "SoftHSM2 virtual smart card";
    slot_description = "none";
    ca_dir = ${caDir};
    crl_dir = ${crlDir};
    support_threads = false;
    cert_policy = ca,crl_offline;
    token_type = "Virtual smart card";
  }
  use_mappers = ms;
  mapper_search_path = /usr/lib/x86_64-linux-gnu/pam_pkcs11;
  mapper ms {
    debug = false;
    module = internal;
    ignorecase = true;
    ignoredomain = false;
    domainname = "tessera.local";
  }
}
`,
    );
    const r = await run('pklogin_finder', [`config_file=${conf}`], hsm.env);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('alice');
    const variant = async (name: string, edit: (text: string) => string) => {
      const file = join(dir, `pam_pkcs11-${name}.conf`);
      writeFileSync(file, edit(readFileSync(conf, 'utf8')));
      return run('pklogin_finder', [`config_file=${file}`], hsm.env);
    };
    // The ms mapper checks the UPN's domain: another domain maps nobody.
    const otherDomain = await variant('domain', (t) =>
      t.replace('domainname = "tessera.local"', 'domainname = "example.org"'),
    );
    expect(otherDomain.stdout.trim()).toBe('');
    expect(otherDomain.status).not.toBe(0);
    // The "ca" policy: with another CA in ca_dir, the card's certificate is not trusted.
    const otherCaDir = join(dir, 'other-cacerts');
    mkdirSync(otherCaDir);
    writeFileSync(
      join(otherCaDir, 'other.pem'),
      openssl([
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(dir, 'other.key'),
        '-subj',
        '/CN=Other Root',
        '-days',
        '1',
      ]).stdout,
    );
    expect(openssl(['rehash', otherCaDir]).status).toBe(0);
    const otherCa = await variant('ca', (t) => t.replace(`ca_dir = ${caDir}`, `ca_dir = ${otherCaDir}`));
    expect(otherCa.stdout.trim()).toBe('');
    expect(otherCa.status).not.toBe(0);
    // The "crl_offline" policy: once Tessera's CRL lists the certificate, alice is not found.
    const serial = openssl(['x509', '-in', certFile, '-noout', '-serial'])
      .stdout.split('=')[1]
      .trim()
      .toLowerCase()
      .replace(/^0+/, '');
    await revoke(ca.t, LOCAL, serial, 'keyCompromise');
    await publishCrl(ca.t, { kind: 'full' });
    let crl: Buffer | undefined;
    for (let i = 0; i < 50 && !crl; i++) {
      const res = await fetch(`http://127.0.0.1:${ports.http}/pki/issuing.crl`);
      const der = Buffer.from(await res.arrayBuffer());
      if (
        openssl(['crl', '-inform', 'DER', '-noout', '-text'], der).stdout.toUpperCase().includes(serial.toUpperCase())
      )
        crl = der;
      else await new Promise((r) => setTimeout(r, 200));
    }
    expect(crl, 'the served CRL lists the revoked certificate').toBeDefined();
    writeFileSync(join(crlDir, 'issuing.pem'), toPem(crl!, 'X509 CRL'));
    expect(openssl(['rehash', crlDir]).status).toBe(0);
    const revoked = await run('pklogin_finder', [`config_file=${conf}`], hsm.env);
    expect(revoked.stdout.trim()).toBe('');
    expect(revoked.status).not.toBe(0);
  });
});

describe('after revocation (the last test: the card above was revoked)', () => {
  it('the sign-in listener refuses the card: OCSP says revoked', async () => {
    const env = { ...hsm.env, OPENSSL_CONF: hsm.opensslEngineConf() };
    const r = await run(
      'curl',
      [
        '--silent',
        '--engine',
        'pkcs11',
        '--key-type',
        'ENG',
        '--key',
        keyUri(),
        '--cert',
        certFile,
        '--cacert',
        chainFile,
        '--resolve',
        `localhost:${ports.signin}:127.0.0.1`,
        '-w',
        '\n%{http_code}',
        `https://localhost:${ports.signin}/signin.json`,
      ],
      env,
    );
    const [body, code] = r.stdout.split('\n');
    expect(code, r.stderr).toBe('403');
    expect(JSON.parse(body)).toMatchObject({
      result: 'refused',
      failedCheck: { id: 'revocation', code: 'SIGNIN_REVOKED' },
    });
    const [record] = (await ca.t.store.audit.list({ action: 'signin.refused', limit: 100 })).sort(
      (a, b) => b.seq - a.seq,
    );
    expect(record.details).toMatchObject({ code: 'SIGNIN_REVOKED', check: 'revocation' });
  });
});
