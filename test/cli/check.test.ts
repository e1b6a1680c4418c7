/**
 * `tessera check`, the self-audit of docs/security.md §3, run as the CLI runs it
 * against real data directories:
 *
 *   - a default `tessera init` and the `npm start` demo (setup/createDemo.ts) have no ESC
 *     finding and no high finding (exit 0), and the plain-HTTP listener is probed;
 *   - crafted bad states each produce the expected finding and exit status 1 with
 *     SELF_AUDIT_FAILED: template definitions written straight into the store past
 *     validation (ESC1, ESC2, ESC3, ESC9, ESC15, ESC17, template-invalid, startup), a user
 *     in both the CA Administrators and Certificate Managers groups (ESC7), a broad agent
 *     restriction (ESC3), the CA Administrators role on the everyone group (ESC4), a keys
 *     directory open to other users, and stale CRLs and OCSP signer under an injected
 *     clock (`--at`).
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowAgent, removeAgentRestriction } from '../../src/ra/admin/agentRestrictions.js';
import { ocspSigningKeysFor } from '../../src/ra/ocspResponderFor.js';
import { createDemo } from '../../src/setup/createDemo.js';
import { BUILTIN_TEMPLATES } from '../../src/template/builtinTemplates.js';
import type { Template } from '../../src/template/Template.js';
import { tmpDir } from '../support/openssl.js';
import { LOCAL, newTestCa, setGroupMember, type TestCa } from '../support/tessera.js';
import { cli, type CliResult } from './runCli.js';

interface JsonFinding {
  severity: string;
  rule: string;
  object: string;
  finding: string;
  fix: string;
}
interface JsonReport {
  at: string;
  findings: JsonFinding[];
  rules: { rule: string; status: string; note?: string }[];
  summary: Record<string, number>;
}

const ESC_RULES = ['ESC1', 'ESC2', 'ESC3', 'ESC4', 'ESC6', 'ESC7', 'ESC9', 'ESC13', 'ESC15', 'ESC16', 'ESC17'];

async function check(dir: string, extra: string[] = []): Promise<{ r: CliResult; report: JsonReport }> {
  const r = await cli(dir, ['--json', 'check', ...extra]);
  return { r, report: r.json() as JsonReport };
}

function expectClean(report: JsonReport): void {
  expect(
    report.findings.filter((f) => f.rule.startsWith('ESC')),
    'no ESC finding',
  ).toEqual([]);
  expect(
    report.findings.filter((f) => f.severity === 'high'),
    'no high finding',
  ).toEqual([]);
  const byRule = new Map(report.rules.map((x) => [x.rule, x.status]));
  for (const esc of ESC_RULES) expect(['pass', 'not-applicable'], esc).toContain(byRule.get(esc));
}

describe('tessera check on a default install', () => {
  it('`tessera init` with the defaults: zero ESC findings, zero high findings, exit 0; the HTTP listener is probed', async () => {
    const dir = join(tmpDir('check-init-'), 'data');
    const init = await cli(dir, ['init']);
    expect(init.status, init.stderr).toBe(0);
    const { r, report } = await check(dir);
    expect(r.status, r.stderr).toBe(0);
    expectClean(report);
    expect(report.rules.find((x) => x.rule === 'http-listener')).toMatchObject({
      status: 'pass',
      note: expect.stringContaining('POST /certsrv/certfnsh.asp'),
    });
    expect(report.rules.find((x) => x.rule === 'startup')?.status).toBe('pass');
    // What a fresh install still has to do, by design: take the root key offline, move the passphrase out.
    expect(report.findings.map((f) => [f.severity, f.rule])).toEqual([
      ['medium', 'passphrase-file'],
      ['medium', 'root-key-online'],
      ['info', 'ocsp-signer'],
    ]);
    // The human table names severity, rule and fix.
    const text = await cli(dir, ['check']);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^Severity\s+Rule\s+Object\s+Finding\s+Fix$/m);
    expect(text.stdout).toMatch(
      /^medium\s+root-key-online\s+keys\/root\.key\.pem\s+.*Move keys\/root\.key\.pem to offline media/m,
    );
    expect(text.stdout).toContain('0 high, 2 medium, 0 low, 1 info');
  });

  it('the `npm start` demo organisation (setup/createDemo.ts): zero ESC findings, zero high findings', async () => {
    const dir = join(tmpDir('check-demo-'), 'data');
    await createDemo(dir, { keyAlgorithm: 'P-256', rootKeyAlgorithm: 'P-256', hostnames: ['localhost'] });
    const { r, report } = await check(dir);
    expect(r.status, r.stderr).toBe(0);
    expectClean(report);
    // The demo's administrator is also an auditor, but no one is both administrator and manager.
    expect(report.rules.find((x) => x.rule === 'ESC7')).toMatchObject({ status: 'pass' });
    expect(report.rules.find((x) => x.rule === 'ESC4')?.note).toContain('(admin)');
  });
});

describe('tessera check on crafted bad states', () => {
  let ca: TestCa;
  const smartcardLogon = BUILTIN_TEMPLATES.find((t) => t.name === 'SmartcardLogon')!;
  const webServer = BUILTIN_TEMPLATES.find((t) => t.name === 'WebServer')!;
  /** A valid, harmless definition put over a crafted one afterwards (the store has no delete). */
  const harmless = (name: string): Template => ({
    ...smartcardLogon,
    name,
    displayName: name,
    enroll: [],
    enabled: false,
  });
  /** Straight into the store, past validateTemplate — as a bug or a hand-edited database would. */
  const putRaw = (name: string, definition: unknown) =>
    ca.t.store.transaction((tx) => tx.templates.put(name, definition, 'test', new Date()).then(() => undefined));

  beforeAll(async () => {
    ca = await newTestCa();
  });
  afterAll(async () => {
    await ca?.close();
  });

  const findingsOf = (report: JsonReport, rule: string) => report.findings.filter((f) => f.rule === rule);

  it('starts clean', async () => {
    const { r, report } = await check(ca.dir);
    expect(r.status, r.stderr).toBe(0);
    expectClean(report);
  });

  it('ESC1 + ESC9 + ESC15: supplied names, client authentication, no SID, open to Domain Users — and the server would not start', async () => {
    await putRaw('OpenLogon', {
      ...smartcardLogon,
      name: 'OpenLogon',
      subjectName: { source: 'request', format: 'commonName', includeEmail: false },
      san: { upn: false, email: false, dns: true, sidUri: false },
      includeSid: false,
      enroll: ['Domain Users'],
    });
    const { r, report } = await check(ca.dir);
    expect(r.status).toBe(1);
    expect(r.error().code).toBe('SELF_AUDIT_FAILED');
    expect(r.error().detail).toContain('ESC1 (template OpenLogon)');
    expect(findingsOf(report, 'ESC1')).toEqual([
      expect.objectContaining({
        severity: 'high',
        object: 'template OpenLogon',
        fix: expect.stringContaining('subjectName.source=directory'),
      }),
    ]);
    expect(findingsOf(report, 'ESC9')).toEqual([
      expect.objectContaining({
        severity: 'high',
        object: 'template OpenLogon',
        fix: expect.stringContaining('includeSid=true'),
      }),
    ]);
    expect(findingsOf(report, 'ESC15')).toEqual([
      expect.objectContaining({ severity: 'medium', object: 'template OpenLogon' }),
    ]);
    expect(findingsOf(report, 'template-invalid')).toEqual([
      expect.objectContaining({ severity: 'high', finding: expect.stringContaining('ESC1') }),
    ]);
    // Tessera refuses to open the data directory: reported, and the HTTP probe is skipped.
    expect(findingsOf(report, 'startup')).toEqual([
      expect.objectContaining({ severity: 'high', finding: expect.stringContaining('CONFIG_INVALID') }),
    ]);
    expect(report.rules.find((x) => x.rule === 'http-listener')?.status).toBe('skipped');
    // The same template with manager approval is not exploitable alone (Certipy's gate), but still invalid.
    await putRaw('OpenLogon', {
      ...((await ca.t.store.templates.get('OpenLogon'))!.definition as object),
      issuance: { managerApproval: true, agentSignatures: 0, agentPolicy: null },
    });
    const gated = (await check(ca.dir)).report;
    expect(findingsOf(gated, 'ESC1')).toEqual([]);
    expect(findingsOf(gated, 'ESC16')).toEqual([
      expect.objectContaining({ severity: 'medium', object: 'template OpenLogon' }),
    ]);
    await putRaw('OpenLogon', harmless('OpenLogon'));
    expectClean((await check(ca.dir)).report);
  });

  it('ESC2 + ESC3: no EKU (any purpose) enrollable by Domain Users', async () => {
    await putRaw('AnyPurpose', { ...smartcardLogon, name: 'AnyPurpose', ekus: [], enroll: ['Domain Users'] });
    const { r, report } = await check(ca.dir);
    expect(r.status).toBe(1);
    expect(findingsOf(report, 'ESC2')).toEqual([
      expect.objectContaining({
        severity: 'high',
        object: 'template AnyPurpose',
        finding: expect.stringContaining('no EKU'),
      }),
    ]);
    expect(findingsOf(report, 'ESC3')).toEqual([
      expect.objectContaining({
        severity: 'high',
        object: 'template AnyPurpose',
        finding: expect.stringContaining('Domain Users'),
      }),
    ]);
    await putRaw('AnyPurpose', harmless('AnyPurpose'));
  });

  it('ESC3: the EnrollmentAgent template granted to Domain Users without approval', async () => {
    const agentTpl = BUILTIN_TEMPLATES.find((t) => t.name === 'EnrollmentAgent')!;
    await putRaw('EnrollmentAgent', { ...agentTpl, enroll: ['Enrollment Agents', 'Domain Users'] });
    const { report } = await check(ca.dir);
    expect(findingsOf(report, 'ESC3')).toEqual([
      expect.objectContaining({
        severity: 'high',
        object: 'template EnrollmentAgent',
        fix: expect.stringContaining('revoke-grant EnrollmentAgent "Domain Users"'),
      }),
    ]);
    await putRaw('EnrollmentAgent', agentTpl);
  });

  it('ESC17 + ESC15: the WebServer template without manager approval, open to Domain Users', async () => {
    await putRaw('OpenWeb', {
      ...webServer,
      name: 'OpenWeb',
      enroll: ['Domain Users'],
      issuance: { managerApproval: false, agentSignatures: 0, agentPolicy: null },
    });
    const { report } = await check(ca.dir);
    expect(findingsOf(report, 'ESC17')).toEqual([
      expect.objectContaining({ severity: 'high', object: 'template OpenWeb' }),
    ]);
    expect(findingsOf(report, 'ESC15')).toEqual([
      expect.objectContaining({ severity: 'medium', object: 'template OpenWeb' }),
    ]);
    // Granted to the CA administrators only, the same template is not flagged (they own the CA anyway).
    await putRaw('OpenWeb', {
      ...webServer,
      name: 'OpenWeb',
      enroll: ['CA Administrators'],
      issuance: { managerApproval: false, agentSignatures: 0, agentPolicy: null },
    });
    expect(findingsOf((await check(ca.dir)).report, 'ESC17')).toEqual([]);
    await putRaw('OpenWeb', harmless('OpenWeb'));
  });

  it('ESC7: a user in both CA Administrators and Certificate Managers', async () => {
    // Role separation refuses this membership (test/core/roleSeparation.test.ts); written
    // straight into the store, as a directory from before the rule would hold it.
    await ca.user('eve', { groups: ['CA Administrators'] });
    const eve = (await ca.t.store.users.byUsername('eve'))!;
    await ca.t.store.groups.addMember((await ca.t.store.groups.byName('Certificate Managers'))!.id, eve.id);
    const { r, report } = await check(ca.dir);
    expect(r.status).toBe(1);
    expect(findingsOf(report, 'ESC7')).toEqual([
      expect.objectContaining({
        severity: 'high',
        object: 'user eve',
        fix: expect.stringContaining('remove-member "Certificate Managers" eve'),
      }),
    ]);
    await setGroupMember(ca.t, LOCAL, 'Certificate Managers', 'eve', false);
    expectClean((await check(ca.dir)).report);
  });

  it('ESC3: an agent restriction letting Domain Users enroll Domain Users for every template', async () => {
    const rule = await allowAgent(ca.t, LOCAL, { agent: 'Domain Users', target: 'Domain Users', template: '*' });
    const { report } = await check(ca.dir);
    expect(findingsOf(report, 'ESC3')).toEqual([
      expect.objectContaining({
        severity: 'high',
        object: `agent restriction ${rule.id}`,
        finding: expect.stringContaining('Do not restrict enrollment agents'),
      }),
    ]);
    await removeAgentRestriction(ca.t, LOCAL, rule.id);
  });

  it('ESC4: the CA Administrators role pointed at the everyone group', async () => {
    const file = join(ca.dir, 'tessera.json');
    const original = readFileSync(file, 'utf8');
    try {
      writeFileSync(
        file,
        JSON.stringify({
          ...JSON.parse(original),
          roles: { ...JSON.parse(original).roles, caAdministrators: 'Domain Users' },
        }),
      );
      const { report } = await check(ca.dir);
      expect(findingsOf(report, 'ESC4')).toEqual([
        expect.objectContaining({ severity: 'high', object: 'role caAdministrators' }),
      ]);
    } finally {
      writeFileSync(file, original, { mode: 0o600 });
    }
  });

  it('data-permissions: a keys directory other users may enter', async () => {
    const keys = join(ca.dir, 'keys');
    chmodSync(keys, 0o755);
    try {
      const { r, report } = await check(ca.dir);
      expect(r.status).toBe(1);
      expect(findingsOf(report, 'data-permissions')).toEqual([
        expect.objectContaining({
          severity: 'high',
          object: 'keys',
          fix: '`chmod go-rwx keys` in the data directory.',
        }),
      ]);
    } finally {
      chmodSync(keys, 0o700);
    }
  });

  it('crl-freshness with an injected clock: about to expire (medium), then stale (high)', async () => {
    const full = (await ca.t.store.crls.latest('issuing', 'full'))!;
    const overlapMs = ca.t.config.crl.overlapHours * 3_600_000;
    const soon = await check(ca.dir, ['--at', new Date(full.nextUpdate.getTime() - overlapMs / 4).toISOString()]);
    expect(soon.r.status, soon.r.stderr).toBe(1); // the delta CRL (24 h) is long stale by then
    expect(findingsOf(soon.report, 'crl-freshness')).toContainEqual(
      expect.objectContaining({
        severity: 'medium',
        object: 'CA issuing',
        finding: expect.stringContaining(`number ${full.number}`),
      }),
    );
    const stale = await check(ca.dir, ['--at', new Date(full.nextUpdate.getTime() + 1000).toISOString()]);
    expect(stale.r.status).toBe(1);
    expect(findingsOf(stale.report, 'crl-freshness')).toContainEqual(
      expect.objectContaining({ severity: 'high', object: 'CA issuing', finding: expect.stringContaining('expired') }),
    );
    expect(stale.report.at).toBe(new Date(full.nextUpdate.getTime() + 1000).toISOString());
    expect((await cli(ca.dir, ['--json', 'check', '--at', 'yesterday'])).error().code).toBe('INPUT_INVALID');
  });

  it('ocsp-signer with an injected clock: the responder certificate the server issues, then expired', async () => {
    const id = await ocspSigningKeysFor(ca.t).rollover('issuing');
    const now = await check(ca.dir);
    expect(now.report.rules.find((x) => x.rule === 'ocsp-signer')).toMatchObject({ status: 'pass' });
    const later = await check(ca.dir, ['--at', new Date(id.notAfter.getTime() + 1000).toISOString()]);
    expect(findingsOf(later.report, 'ocsp-signer')).toEqual([
      expect.objectContaining({ severity: 'high', finding: expect.stringContaining('expired') }),
    ]);
  });
});
