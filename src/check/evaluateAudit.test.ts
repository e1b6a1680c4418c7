/**
 * The self-audit's rules as a pure function: Certipy's exploitability gate (enabled,
 * enrollable by someone other than the CA administrators, no approval, no agent
 * signature) and the predicates behind it, on the built-in templates and variations.
 * test/cli/check.test.ts runs the same rules against real data directories.
 */
import { describe, expect, it } from 'vitest';
import type { Config } from '../config/Config.js';
import { DEFAULT_CRL, DEFAULT_ROLES } from '../setup/initDataDir.js';
import { BUILTIN_TEMPLATES } from '../template/builtinTemplates.js';
import type { Template } from '../template/Template.js';
import { templateProblems } from '../template/validateTemplate.js';
import type { AuditFacts } from './AuditFacts.js';
import { evaluateAudit } from './evaluateAudit.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const config = {
  version: 1,
  organization: 'T',
  domain: { name: 'TESSERA', dnsName: 'tessera.local', sid: 'S-1-5-21-1-2-3' },
  database: 'tessera.db',
  publicUrl: 'http://pki.test',
  siteUrl: 'https://ca.test:8443',
  cas: [{ id: 'issuing', role: 'issuing', keyStore: 'file' }],
  issuingCa: 'issuing',
  roles: DEFAULT_ROLES,
  directory: { type: 'embedded' },
  server: { host: '0.0.0.0', port: 8443, httpPort: 0, hostnames: ['ca.test'] },
  crl: DEFAULT_CRL,
} as const satisfies Config;

const tpl = (name: string) => BUILTIN_TEMPLATES.find((t) => t.name === name)!;

function facts(templates: readonly Template[], over: Partial<AuditFacts> = {}): AuditFacts {
  return {
    now: NOW,
    config,
    templates: templates.map((t) => ({ name: t.name, definition: t, problems: templateProblems(t) })),
    restrictions: [],
    roleMembers: { caAdministrators: [], certificateManagers: [], auditors: [], enrollmentAgents: [] },
    enabledUsers: 0,
    files: { rootKey: null, passphraseFile: false, caKeyFiles: true, unsafe: [] },
    cas: [
      {
        id: 'issuing',
        role: 'issuing',
        keyStore: 'file',
        notBefore: new Date('2026-01-01T00:00:00Z'),
        notAfter: new Date('2036-01-01T00:00:00Z'),
        full: {
          caId: 'issuing',
          number: 3,
          kind: 'full',
          baseNumber: null,
          thisUpdate: NOW,
          nextUpdate: new Date(NOW.getTime() + 168 * 3_600_000),
          entries: 0,
          revocationVersion: 0,
        },
      },
    ],
    ocspSigner: { serial: '01', notBefore: NOW, notAfter: new Date(NOW.getTime() + 14 * 86_400_000) },
    httpListener: { status: 'disabled' },
    ...over,
  };
}

const rulesOf = (f: AuditFacts) => evaluateAudit(f).findings.map((x) => `${x.severity} ${x.rule} ${x.object}`);

describe('evaluateAudit', () => {
  it('the built-in templates, granted as the demo grants them, give no finding at all', () => {
    const granted = BUILTIN_TEMPLATES.map((t) =>
      t.name.startsWith('Smartcard') ? { ...t, enroll: ['Smartcard Users'] } : t,
    );
    const report = evaluateAudit(facts(granted));
    expect(report.findings).toEqual([]);
    expect(report.rules.filter((r) => r.rule.startsWith('ESC')).map((r) => `${r.rule}:${r.status}`)).toEqual([
      'ESC1:pass',
      'ESC2:pass',
      'ESC3:pass',
      'ESC4:pass',
      'ESC6:not-applicable',
      'ESC7:pass',
      'ESC9:pass',
      'ESC13:not-applicable',
      'ESC15:pass',
      'ESC16:pass',
      'ESC17:pass',
    ]);
  });

  it("ESC1 fires only behind Certipy's gate: approval, an agent signature, no grant or disabled each close it", () => {
    const open: Template = {
      ...tpl('SmartcardLogon'),
      name: 'Open',
      subjectName: { source: 'request', format: 'commonName', includeEmail: false },
      enroll: ['Domain Users'],
    };
    expect(rulesOf(facts([open]))).toContain('high ESC1 template Open');
    for (const closed of [
      { ...open, issuance: { managerApproval: true, agentSignatures: 0, agentPolicy: null } },
      { ...open, issuance: { managerApproval: false, agentSignatures: 1, agentPolicy: '1.3.6.1.4.1.311.20.2.1' } },
      { ...open, enroll: ['CA Administrators'] },
      { ...open, enabled: false },
    ]) {
      expect(rulesOf(facts([closed]))).not.toContain('high ESC1 template Open');
    }
  });

  it('ESC3: the agent template for the Enrollment Agents role group passes; for anyone else it is a finding', () => {
    expect(rulesOf(facts([tpl('EnrollmentAgent')]))).toEqual([]);
    expect(rulesOf(facts([{ ...tpl('EnrollmentAgent'), enroll: ['Enrollment Agents', 'Help Desk'] }]))).toEqual([
      'high ESC3 template EnrollmentAgent',
    ]);
  });

  it(
    'ESC9 when enrollable without approval, ESC16 when only ' + 'approval gates a template without the SID extension',
    () => {
      const noSid: Template = { ...tpl('SmartcardLogon'), includeSid: false, enroll: ['Smartcard Users'] };
      expect(rulesOf(facts([noSid]))).toEqual([
        'high ESC9 template SmartcardLogon',
        'high template-invalid template SmartcardLogon',
      ]);
      expect(
        rulesOf(facts([{ ...noSid, issuance: { managerApproval: true, agentSignatures: 0, agentPolicy: null } }])),
      ).toEqual(['high template-invalid template SmartcardLogon', 'medium ESC16 template SmartcardLogon']);
    },
  );

  it('ESC7 is skipped, not passed, when the memberships live in LDAP', () => {
    const report = evaluateAudit(facts([], { roleMembers: null, enabledUsers: null }));
    expect(report.rules.find((r) => r.rule === 'ESC7')).toMatchObject({
      status: 'skipped',
      note: expect.stringContaining('LDAP'),
    });
  });

  it('a CRL inside the last half of the overlap is medium, past nextUpdate high', () => {
    const full = facts([]).cas[0].full!;
    const at = (hoursLeft: number) => facts([], { now: new Date(full.nextUpdate.getTime() - hoursLeft * 3_600_000) });
    expect(rulesOf(at(13))).toEqual([]);
    expect(rulesOf(at(11))).toEqual(['medium crl-freshness CA issuing']);
    expect(rulesOf(at(-1))).toContain('high crl-freshness CA issuing');
  });
});
