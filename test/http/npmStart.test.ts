/**
 * `npm start` as a new user runs it (README.md "Quick start"): a data directory is created with the demo
 * organisation and printed credentials, the site answers over HTTPS with a certificate
 * chaining to the new root, and a second start reuses the directory.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { tmpDir } from '../support/openssl.js';

const ROOT = join(import.meta.dirname, '..', '..');
let child: ChildProcess | undefined;

function npmStart(
  dataDir: string,
  port: number,
  httpPort: number,
  signinPort: number,
): Promise<{ child: ChildProcess; output: () => string }> {
  const c = spawn(
    'npm',
    [
      'start',
      '--',
      '--port',
      String(port),
      '--http-port',
      String(httpPort),
      '--signin-port',
      String(signinPort),
      '--quiet',
    ],
    { cwd: ROOT, env: { ...process.env, TESSERA_DATA: dataDir }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  child = c;
  let out = '';
  return new Promise((resolve, reject) => {
    c.stdout!.on('data', (d) => {
      out += d.toString();
      // The banner's last line: everything the test reads from the output is there by then.
      if (out.includes('first request an Enrollment Agent certificate')) resolve({ child: c, output: () => out });
    });
    c.stderr!.on('data', (d) => (out += d.toString()));
    c.once('exit', (code) => reject(new Error(`npm start exited ${code}:\n${out}`)));
    setTimeout(() => reject(new Error(`npm start did not come up in 120 s:\n${out}`)), 120_000).unref();
  });
}

const running = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

function stop(c: ChildProcess): Promise<void> {
  if (!running(c)) return Promise.resolve();
  return new Promise((resolve) => {
    c.once('exit', () => resolve());
    // npm runs node as a child: signal the whole process group.
    process.kill(-c.pid!, 'SIGTERM');
  });
}

function get(
  url: string,
  ca: string,
  auth?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { ca, auth }, (res) => {
      let d = '';
      res.on('data', (c) => (d += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: d }));
    })
      .on('error', reject)
      .end();
  });
}

afterEach(async () => {
  if (child && running(child)) await stop(child).catch(() => {});
});

describe('npm start', () => {
  it('creates the demo organisation, serves it over HTTPS, and reuses it on the next start', async () => {
    const data = join(tmpDir('npm-start-'), 'data');
    const port = await freePort();
    const httpPort = await freePort();
    const signinPort = await freePort();
    const first = await npmStart(data, port, httpPort, signinPort);
    const out = first.output();
    for (const user of ['alice', 'bob', 'carol', 'agent', 'manager', 'admin'])
      expect(out).toMatch(new RegExp(`\\n  ${user} +\\S+-\\S+`));
    expect(out).toMatch(/Root CA SHA-256 fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    const creds = readFileSync(join(data, 'demo-credentials.txt'), 'utf8');
    expect(statSync(join(data, 'demo-credentials.txt')).mode & 0o777).toBe(0o600);
    expect(creds).toMatch(/^alice\t\S+/m);

    const rootPem = readFileSync(join(data, 'certs', 'chain.pem'), 'utf8');
    const root = await get(`https://localhost:${port}/`, rootPem);
    expect(root.status).toBe(302);
    expect(root.headers.location).toBe('/certsrv/');
    // The home page, signed in as alice with the password printed once.
    const alicePassword = /\n {2}alice +(\S+)/.exec(out)![1];
    const home = await get(`https://localhost:${port}/certsrv/`, rootPem, `alice:${alicePassword}`);
    expect(home.status).toBe(200);
    expect(home.body).toContain('Request a certificate');
    expect(home.body).toContain('Tessera Demo Issuing CA');
    // The demo runs the smart card sign-in listener too, linked from the home page.
    expect(out).toContain(`/signin`);
    expect(home.body).toContain(`:${signinPort}/signin`);
    // The seed's first method starts on its template: the request form selects Smartcard User.
    const form = await get(`https://localhost:${port}/certsrv/certrqma.asp`, rootPem, `alice:${alicePassword}`);
    expect(/<option value="[^"]*" data-name="([^"]+)"[^>]* selected[ >]/.exec(form.body)?.[1]).toBe('SmartcardUser');
    // The seed's second method out of the box, and the output says so: agent is offered both
    // smart card templates at the station (Enroll), and the restrictions let it enroll bob.
    expect(out).toContain(
      'agent may enroll members of Smartcard Users (alice, bob) for Smartcard User and Smartcard Logon',
    );
    expect(out).toContain(`/certsrv/certsces.asp`);
    const agentPassword = /\n {2}agent +(\S+)/.exec(out)![1];
    const stationPage = await get(`https://localhost:${port}/certsrv/certsces.asp`, rootPem, `agent:${agentPassword}`);
    expect(stationPage.status).toBe(200);
    expect([...stationPage.body.matchAll(/data-name="([^"]+)"/g)].map((m) => m[1])).toEqual(
      expect.arrayContaining(['SmartcardUser', 'SmartcardLogon']),
    );
    const rules = spawnSync(process.execPath, [join(ROOT, 'bin', 'tessera.js'), '--json', 'agent', 'list'], {
      env: { ...process.env, TESSERA_DATA: data },
      encoding: 'utf8',
    });
    expect(rules.status, rules.stderr).toBe(0);
    expect(
      (JSON.parse(rules.stdout) as { rules: { agent: string; target: string; template: string }[] }).rules
        .map((r) => `${r.agent} → ${r.target}: ${r.template}`)
        .sort(),
    ).toEqual([
      'Enrollment Agents → Smartcard Users: SmartcardLogon',
      'Enrollment Agents → Smartcard Users: SmartcardUser',
    ]);
    const ca = await get(`https://localhost:${port}/api/v1/ca`, rootPem);
    expect(ca.status).toBe(200);
    expect(JSON.parse(ca.body).name).toBe('CN=Tessera Demo Issuing CA,O=Tessera Demo');
    const fingerprint = /Root CA SHA-256 fingerprint: (\S+)/.exec(out)![1];
    await stop(first.child);

    const second = await npmStart(data, port, httpPort, signinPort);
    expect(second.output()).toContain(`Using the existing data directory ${data}`);
    expect(second.output()).not.toMatch(/Demo accounts/);
    expect(second.output()).toContain(fingerprint);
    expect(readFileSync(join(data, 'demo-credentials.txt'), 'utf8')).toBe(creds);
    await stop(second.child);
  }, 300_000);
});
