/**
 * The command line end to end: `tessera agent allow/list/remove/protect` on the data
 * directory, and `tessera enroll-on-behalf` against a real Tessera HTTPS server (REST API,
 * HTTP Basic as the agent, TLS trusting the root given with --ca-cert). OpenSSL judges the
 * certificate and the key file the command writes.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toPem } from '../../src/x509/pem.js';
import { cli } from '../cli/runCli.js';
import { certText, openssl, tmpDir } from '../support/openssl.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { newTestCa, type TestCa } from '../support/tessera.js';
import { agentWorld, newKey, verifyLeaf, type AgentWorld } from './support.js';

const PASSWORD = 'correct horse battery';

describe('tessera agent and tessera enroll-on-behalf', () => {
  let ca: TestCa;
  let w: AgentWorld;
  let server: TestServer;
  const work = tmpDir('eobo-cli-');
  const agentCertFile = join(work, 'agent.cer');
  const agentKeyFile = join(work, 'agent.key.pem');
  let ruleId: number;

  beforeAll(async () => {
    ca = await newTestCa({ keyAlgorithm: 'RSA-2048' });
    w = await agentWorld(ca);
    await ca.user('carl');
    await ca.user('plain');
    writeFileSync(agentCertFile, toPem(w.agentCert.der, 'CERTIFICATE'));
    writeFileSync(agentKeyFile, w.agentCert.key.pem);
    server = await startTestServer(ca);
  });
  afterAll(async () => {
    await server?.close();
    await ca?.close();
  });

  const onBehalf = (forUser: string, extra: string[] = [], opts: { password?: string } = {}) =>
    cli(
      ca.dir,
      [
        '--json',
        'enroll-on-behalf',
        '--server',
        server.url,
        '--user',
        'helpdesk',
        '--password-stdin',
        '--agent-cert',
        agentCertFile,
        '--agent-key',
        agentKeyFile,
        '--for',
        forUser,
        '--template',
        'SmartcardLogon',
        ...extra,
      ],
      { stdin: `${opts.password ?? PASSWORD}\n` },
    );

  it('agent allow / list: a CA administrator adds a rule; others may not', async () => {
    const denied = await cli(ca.dir, [
      '--json',
      'agent',
      'allow',
      '--agent',
      'Help Desk',
      '--for',
      'Smartcard Users',
      '--template',
      'SmartcardLogon',
      '--as',
      'plain',
    ]);
    expect(denied.status).toBe(1);
    expect(denied.error().code).toBe('FORBIDDEN');
    const r = await cli(ca.dir, [
      '--json',
      'agent',
      'allow',
      '--agent',
      'Help Desk',
      '--for',
      'Smartcard Users',
      '--template',
      'SmartcardLogon',
    ]);
    expect(r.status, r.stderr).toBe(0);
    ruleId = r.json().id;
    expect(r.json()).toMatchObject({
      agent: 'Help Desk',
      agentKind: 'group',
      target: 'Smartcard Users',
      targetKind: 'group',
      template: 'SmartcardLogon',
      allowPrivileged: false,
    });
    const list = await cli(ca.dir, ['agent', 'list']);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toMatch(
      new RegExp(`^${ruleId}\\s+group:Help Desk\\s+group:Smartcard Users\\s+SmartcardLogon`, 'm'),
    );
    expect(list.stdout).toContain(
      'Privileged groups (never enrolled on behalf without an exception): CA Administrators (role), Certificate Managers (role)',
    );
    const bad = await cli(ca.dir, [
      '--json',
      'agent',
      'allow',
      '--agent',
      'Help Desk',
      '--for',
      'Smartcard Users',
      '--template',
      'SmartcardLogon',
      '--allow-privileged',
    ]);
    expect(bad.error().code).toBe('INPUT_INVALID');
  });

  it("enroll-on-behalf: bob's certificate over HTTPS, bob's names, the key written beside it", async () => {
    const keyFile = join(work, 'bob.key.pem');
    const certFile = join(work, 'bob.cer.pem');
    const r = await onBehalf(`${w.domain}\\bob`, [
      '--ca-cert',
      server.rootFile,
      '--out-key',
      keyFile,
      '--out',
      certFile,
      '--key-alg',
      'P-256',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const out = r.json();
    expect(out).toMatchObject({
      disposition: 'issued',
      for: `${w.domain}\\bob`,
      template: 'SmartcardLogon',
      keyFile,
      certificateFile: certFile,
    });
    const pem = readFileSync(certFile, 'utf8');
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    expect(verifyLeaf(der, ca.chainPem).stdout).toContain('OK');
    expect(certText(der)).toContain('othername: UPN::bob@tessera.local');
    // The key file is the certificate's key, readable by its owner only.
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const certPub = openssl(['x509', '-noout', '-pubkey', '-in', certFile]).stdout;
    const keyPub = openssl(['pkey', '-pubout', '-in', keyFile]).stdout;
    expect(keyPub).toBe(certPub);
    const row = await ca.t.store.requests.get(out.requestId);
    expect({
      requester: row!.requester,
      subjectUser: row!.subjectUser,
      agent: row!.agent,
      format: row!.format,
    }).toEqual({ requester: 'helpdesk', subjectUser: 'bob', agent: 'helpdesk', format: 'cmc' });
    // Never overwrite a key file.
    const again = await onBehalf(`${w.domain}\\bob`, ['--ca-cert', server.rootFile, '--out-key', keyFile]);
    expect(again.error().code).toBe('FILE_NOT_WRITABLE');
    expect(readFileSync(keyFile, 'utf8')).toContain('PRIVATE KEY');
  });

  it('a refusal from the server keeps its code, and the unused key file is removed', async () => {
    const keyFile = join(work, 'carl.key.pem');
    const r = await onBehalf(`${w.domain}\\carl`, ['--ca-cert', server.rootFile, '--out-key', keyFile]);
    expect(r.status).toBe(1);
    expect(r.error().code).toBe('AGENT_NOT_PERMITTED');
    expect(existsSync(keyFile)).toBe(false);
    const denied = (await ca.t.store.requests.list({ disposition: 'denied', limit: 1 }))[0];
    expect({ requester: denied.requester, subjectUser: denied.subjectUser, code: denied.code }).toEqual({
      requester: 'helpdesk',
      subjectUser: 'carl',
      code: 'AGENT_NOT_PERMITTED',
    });
  });

  it('checks its inputs before contacting the server: a key that is not the certificate’s, an unknown key algorithm', async () => {
    const wrongKey = join(work, 'wrong.key.pem');
    writeFileSync(wrongKey, newKey().pem);
    const r = await cli(
      ca.dir,
      [
        '--json',
        'enroll-on-behalf',
        '--server',
        server.url,
        '--user',
        'helpdesk',
        '--password-stdin',
        '--agent-cert',
        agentCertFile,
        '--agent-key',
        wrongKey,
        '--for',
        'x',
        '--template',
        'SmartcardLogon',
      ],
      { stdin: `${PASSWORD}\n` },
    );
    expect(r.error()).toMatchObject({
      code: 'INPUT_INVALID',
      detail: expect.stringContaining('does not belong to --agent-cert'),
    });
    expect((await onBehalf('x', ['--key-alg', 'rsa:1024'])).error().code).toBe('INPUT_INVALID');
  });

  it('refuses a server whose TLS certificate it cannot verify (no --ca-cert), and a wrong password', async () => {
    const untrusted = await onBehalf(`${w.domain}\\bob`, ['--out-key', join(work, 'u.key.pem')]);
    expect(untrusted.error().code).toBe('SERVER_UNTRUSTED');
    const badPassword = await onBehalf(
      `${w.domain}\\bob`,
      ['--ca-cert', server.rootFile, '--out-key', join(work, 'p.key.pem')],
      { password: 'wrong password!' },
    );
    expect(badPassword.error().code).toBe('AUTH_FAILED');
    expect(existsSync(join(work, 'p.key.pem'))).toBe(false);
  });

  it('agent remove: without the rule the same request is refused', async () => {
    const removed = await cli(ca.dir, ['--json', 'agent', 'remove', String(ruleId)]);
    expect(removed.status, removed.stderr).toBe(0);
    const r = await onBehalf(`${w.domain}\\bob`, [
      '--ca-cert',
      server.rootFile,
      '--out-key',
      join(work, 'bob2.key.pem'),
    ]);
    expect(r.error().code).toBe('AGENT_NOT_PERMITTED');
    expect((await cli(ca.dir, ['--json', 'agent', 'remove', String(ruleId)])).error().code).toBe('NOT_FOUND');
  });

  it('agent protect / unprotect: the privileged list', async () => {
    const { createGroup } = await import('../../src/ra/admin/groups.js');
    const { LOCAL } = await import('../support/tessera.js');
    await createGroup(ca.t, LOCAL, 'Tier0');
    const p = await cli(ca.dir, ['--json', 'agent', 'protect', 'Tier0']);
    expect(p.json()).toEqual({ group: 'Tier0', privileged: true, changed: true });
    expect((await cli(ca.dir, ['--json', 'agent', 'list'])).json().privilegedGroups).toContainEqual({
      name: 'Tier0',
      source: 'configured',
    });
    expect((await cli(ca.dir, ['--json', 'agent', 'unprotect', 'CA Administrators'])).error().code).toBe(
      'INPUT_INVALID',
    );
    expect((await cli(ca.dir, ['--json', 'agent', 'unprotect', 'Tier0'])).json().changed).toBe(true);
  });
});
