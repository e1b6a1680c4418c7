/**
 * The self-audit's rules (docs/security.md §3): the Certipy `find` predicates
 * (ly4k/Certipy certipy/commands/find.py @ cf2f6d7) as they apply to Tessera —
 * ESC1/2/3/4/6/7/9/13/15/16/17 — and Tessera's own operational checks (keys on disk,
 * file modes, LDAP transport, the plain-HTTP listener, CRL and OCSP signer freshness, CA
 * validity, start-up). A pure function of AuditFacts.
 *
 * Template predicates fire, as in Certipy, only when the template is exploitable without
 * anyone else's help: enabled, enrollable by someone other than the CA administrators, no
 * manager approval and no enrollment agent signature required (`get_template_vulnerabilities`).
 */
import { DEFAULT_GROUPS } from '../setup/initDataDir.js';
import type { AuditFacts, CaFacts } from './AuditFacts.js';
import {
  SEVERITIES,
  type Finding,
  type RuleResult,
  type RuleStatus,
  type SelfAuditReport,
  type Severity,
} from './Finding.js';
import { templateCapabilities } from './templateCapabilities.js';

/** Groups every account is in: AD's well-known ones and Tessera's everyone group. */
const BROAD_GROUPS = [DEFAULT_GROUPS[0][0], 'Authenticated Users', 'Everyone', 'Domain Computers'].map((g) =>
  g.toLowerCase(),
);
const eq = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const isBroad = (group: string) => BROAD_GROUPS.includes(group.toLowerCase());
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** RevocationService warns from 30 days before the offline root's CRL expires. */
const ROOT_CRL_WARNING_MS = 30 * DAY;
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export const RULE_TITLES: Readonly<Record<string, string>> = {
  ESC1: 'Enrollee supplies subject + client authentication, enrollable without approval',
  ESC2: 'Any Purpose or no EKU, enrollable without approval',
  ESC3: 'Enrollment agent certificates and enrollment agent restrictions',
  ESC4: 'Who may change templates (CA Administrators)',
  ESC6: 'CA-wide "SAN from request attributes" switch (EDITF_ATTRIBUTESUBJECTALTNAME2)',
  ESC7: 'Role separation: CA administrator and certificate manager',
  ESC9: 'Authentication template without the SID extension, enrollable without approval',
  ESC13: 'Issuance policy linked to a group',
  ESC15: 'Schema version 1 template with enrollee-supplied subject (EKUwu)',
  ESC16: 'SID extension (1.3.6.1.4.1.311.25.2) left out of authentication certificates',
  ESC17: 'Enrollee supplies subject + server authentication, enrollable without approval',
  startup: 'Tessera opens this data directory (the server would start)',
  'template-invalid': 'Every stored template passes validation',
  'root-key-online': 'Root CA key kept off the server',
  'passphrase-file': 'CA key passphrase not stored beside the keys',
  'data-permissions': 'Data directory, keys and database not open to other users',
  'ldap-plaintext': 'Directory connection protected by TLS',
  'http-listener': 'Plain HTTP serves only /pki and /ocsp (ESC8)',
  'crl-freshness': 'CRLs published and not stale or about to expire',
  'ocsp-signer': 'OCSP responder certificate valid',
  'ca-validity': 'CA certificates valid',
};

class Collector {
  readonly findings: Finding[] = [];
  readonly notes = new Map<string, { status: RuleStatus; note?: string }>();

  add(severity: Severity, rule: string, object: string, finding: string, fix: string): void {
    this.findings.push({ severity, rule, object, finding, fix });
  }

  /** The rule's status when it produced no finding: pass by default. */
  note(rule: string, status: Exclude<RuleStatus, 'finding'>, note?: string): void {
    this.notes.set(rule, { status, note });
  }
}

export function evaluateAudit(f: AuditFacts): SelfAuditReport {
  const c = new Collector();
  startup(f, c);
  templates(f, c);
  agentRestrictions(f, c);
  esc4(f, c);
  c.note(
    'ESC6',
    'not-applicable',
    'Tessera has no such setting: request attributes never reach a ' +
      'certificate, and names come from the directory (docs/security.md §1.2)',
  );
  esc7(f, c);
  c.note(
    'ESC13',
    'not-applicable',
    'Tessera templates carry no issuance policies and the CA never ' +
      'writes certificatePolicies, so no policy can be linked to a group',
  );
  files(f, c);
  ldap(f, c);
  httpListener(f, c);
  crls(f, c);
  ocspSigner(f, c);
  caValidity(f, c);

  const order = (s: Severity) => SEVERITIES.indexOf(s);
  const findings = [...c.findings].sort(
    (a, b) =>
      order(a.severity) - order(b.severity) ||
      a.rule.localeCompare(b.rule, 'en') ||
      a.object.localeCompare(b.object, 'en'),
  );
  const rules: RuleResult[] = Object.entries(RULE_TITLES).map(([rule, title]) => {
    if (findings.some((x) => x.rule === rule)) return { rule, title, status: 'finding' };
    const n = c.notes.get(rule);
    return { rule, title, status: n?.status ?? 'pass', ...(n?.note ? { note: n.note } : {}) };
  });
  const summary = Object.fromEntries(
    SEVERITIES.map((s) => [s, findings.filter((x) => x.severity === s).length]),
  ) as Record<Severity, number>;
  return { at: f.now, findings, rules, summary };
}

function startup(f: AuditFacts, c: Collector): void {
  if (f.startupError) {
    c.add(
      'high',
      'startup',
      'data directory',
      `Tessera refuses to open this data directory, so the server would not start: ${f.startupError}`,
      'Correct what the message names; the other findings point to the cause (e.g. template-invalid).',
    );
  }
}

// --- templates: ESC1, ESC2, ESC3 (agent templates), ESC9, ESC15, ESC16, ESC17 ------------------

function templates(f: AuditFacts, c: Collector): void {
  const admins = f.config.roles.caAdministrators;
  const agentsGroup = f.config.roles.enrollmentAgents;
  for (const t of f.templates) {
    const cap = templateCapabilities(t.name, t.definition);
    const object = `template ${t.name}`;
    if (t.problems.length) {
      c.add(
        'high',
        'template-invalid',
        object,
        `The stored definition fails validation, so Tessera refuses to start: ${t.problems.join('; ')}`,
        'Write a valid definition over it. Tessera cannot open the data directory while it is stored, so ' +
          `\`tessera template set ${t.name} --file FILE\` cannot run: restore the templates table from a backup, ` +
          `or correct the row in the database (templates.definition) and check the result with \`tessera check\`.`,
      );
    }
    // Certipy's gate: enabled, someone other than the CA administrators may enroll, no approval, no RA signature.
    const enrollers = cap.enroll.filter((g) => !eq(g, admins));
    const exploitable =
      cap.enabled && enrollers.length > 0 && !cap.requiresManagerApproval && cap.authorizedSignaturesRequired === 0;
    const who = enrollers.join(', ');
    const gateFix = `or require approval: \`tessera template set ${t.name} issuance.managerApproval=true\``;
    if (exploitable) {
      if (cap.enrolleeSuppliesSubject && cap.clientAuthentication) {
        c.add(
          'high',
          'ESC1',
          object,
          `Names come from the request, the EKUs allow client authentication, and ${who} may ` +
            'enroll without approval: any of them can get a logon certificate naming any account.',
          'Build names from the directory: ' +
            `\`tessera template set ${t.name} subjectName.source=directory san.dns=false\`, ${gateFix}.`,
        );
      }
      if (cap.anyPurpose) {
        c.add(
          'high',
          'ESC2',
          object,
          `${cap.name} has ${emptyEkus(t.definition) ? 'no EKU' : 'the Any Purpose EKU (2.5.29.37.0)'}, ` +
            'so its certificates are good for client authentication, as enrollment agent certificates and ' +
            `anything else; ${who} may enroll without approval.`,
          `List the purposes: \`tessera template set ${t.name} ekus=<OID,…>\`, ${gateFix}.`,
        );
      }
      const agentEnrollers = enrollers.filter((g) => !eq(g, agentsGroup));
      if (cap.enrollmentAgent && agentEnrollers.length) {
        c.add(
          'high',
          'ESC3',
          object,
          'Enrollment agent certificates (Certificate Request ' +
            `Agent${cap.anyPurpose ? ' through Any Purpose' : ''}) are enrollable by ` +
            `${agentEnrollers.join(', ')}, not only by the ${agentsGroup} role group, without approval.`,
          `Grant Enroll to ${agentsGroup} only: ` +
            `\`tessera template revoke-grant ${t.name} "${agentEnrollers[0]}"\`, ${gateFix}.`,
        );
      }
      if (cap.noSecurityExtension && cap.clientAuthentication) {
        c.add(
          'high',
          'ESC9',
          object,
          'Authentication certificates from this template leave out the ' +
            'KB5014754 SID extension (1.3.6.1.4.1.311.25.2), so they map by ' +
            `UPN only (weak mapping), and ${who} may enroll without approval.`,
          `\`tessera template set ${t.name} includeSid=true\`.`,
        );
      }
      if (cap.enrolleeSuppliesSubject && cap.schemaVersion === 1) {
        c.add(
          'medium',
          'ESC15',
          object,
          'A schema version 1 template with names from the request, enrollable by ' +
            `${who} without approval. Tessera never copies a requested Application ` +
            'Policies extension into a certificate (docs/security.md §1.4), so EKUwu ' +
            'itself does not work here; the combination is still what Certipy flags.',
          'Take names from the directory ' +
            `(\`tessera template set ${t.name} subjectName.source=directory san.dns=false\`), ${gateFix}.`,
        );
      }
      if (cap.enrolleeSuppliesSubject && cap.serverAuthentication) {
        c.add(
          'high',
          'ESC17',
          object,
          'Server authentication certificates with DNS names from the request, enrollable by ' +
            `${who} without approval: any of them can get a TLS certificate for any host name.`,
          `Require approval: \`tessera template set ${t.name} issuance.managerApproval=true\` ` +
            '(a certificate manager then checks each name).',
        );
      }
    } else if (cap.enabled && cap.clientAuthentication && cap.noSecurityExtension) {
      c.add(
        'medium',
        'ESC16',
        object,
        'Authentication certificates issued from this template (after approval or with ' +
          'agent signatures) leave out the KB5014754 SID extension: domain controllers in ' +
          'full enforcement refuse them, and weak UPN mapping applies where they do not.',
        `\`tessera template set ${t.name} includeSid=true\`.`,
      );
    }
  }
  const n = f.templates.length;
  c.note(
    'ESC16',
    'pass',
    'Tessera has no CA-wide list that disables extensions; the SID extension is per template ' +
      `and required by validation for authentication templates (${n} template(s) checked)`,
  );
  for (const rule of ['ESC1', 'ESC2', 'ESC9', 'ESC15', 'ESC17', 'template-invalid'])
    c.note(rule, 'pass', `${n} stored template(s) checked`);
}

function emptyEkus(definition: unknown): boolean {
  const ekus = (definition as { ekus?: unknown } | null)?.ekus;
  return !Array.isArray(ekus) || ekus.length === 0;
}

// --- ESC3: enrollment agent restrictions --------------------------------------------------------

function agentRestrictions(f: AuditFacts, c: Collector): void {
  for (const r of f.restrictions) {
    const object = `agent restriction ${r.id}`;
    const agentBroad = r.agentKind === 'group' && isBroad(r.agent);
    const targetBroad = r.targetKind === 'group' && isBroad(r.target);
    const fix =
      `\`tessera agent remove ${r.id}\`, then allow named agents for named groups and ` +
      `templates: \`tessera agent allow --agent GROUP --for GROUP --template TEMPLATE\`.`;
    if (targetBroad && r.template === '*') {
      c.add(
        agentBroad ? 'high' : 'medium',
        'ESC3',
        object,
        `${r.agentKind} ${r.agent} may enroll every user (${r.target}) for ` +
          'every template — what AD CS calls "Do not restrict enrollment ' +
          `agents"${agentBroad ? ', and any account holding an agent certificate counts as that agent' : ''}. ` +
          'Privileged groups stay protected.',
        fix,
      );
    } else if (agentBroad) {
      c.add(
        'medium',
        'ESC3',
        object,
        `Every account that holds an enrollment agent certificate may enroll ${r.targetKind} ${r.target} ` +
          `for ${r.template === '*' ? 'every template' : r.template}: the rule names ${r.agent}.`,
        fix,
      );
    }
    if (r.allowPrivileged) {
      c.add(
        'low',
        'ESC3',
        object,
        `An explicit exception: ${r.agentKind} ${r.agent} may enroll privileged ` +
          `${r.targetKind} ${r.target} (${r.template === '*' ? 'every template' : r.template}).`,
        `Remove it once it is no longer needed: \`tessera agent remove ${r.id}\`.`,
      );
    }
  }
  c.note(
    'ESC3',
    'pass',
    f.restrictions.length
      ? `${f.restrictions.length} enrollment agent restriction(s) checked; agent templates ` +
          `are enrollable only by ${f.config.roles.enrollmentAgents} or with approval`
      : 'no enrollment agent restrictions: every enroll-on-behalf request is ' +
          'refused (Tessera allows nothing until a rule exists, unlike AD CS)',
  );
}

// --- ESC4: who may change templates ------------------------------------------------------------------

function esc4(f: AuditFacts, c: Collector): void {
  const admins = f.config.roles.caAdministrators;
  if (isBroad(admins)) {
    c.add(
      'high',
      'ESC4',
      `role caAdministrators`,
      `The CA Administrators role is the group ${admins}: every ` +
        'account may change templates, grants and agent restrictions.',
      'Point roles.caAdministrators in tessera.json at a dedicated group with few members.',
    );
    return;
  }
  const members = f.roleMembers?.caAdministrators.filter((m) => m.enabled);
  if (members && f.enabledUsers !== null && f.enabledUsers >= 2 && members.length === f.enabledUsers) {
    c.add(
      'high',
      'ESC4',
      `group ${admins}`,
      `Every enabled account (${members.length}) is in ${admins}, so every account may change templates.`,
      `Remove the accounts that do not administer the CA: \`tessera group remove-member "${admins}" USER\`.`,
    );
    return;
  }
  c.note(
    'ESC4',
    'pass',
    members
      ? `templates change only through validation, by the ${members.length} enabled member(s) ` +
          `of ${admins}${members.length ? ` (${members.map((m) => m.username).join(', ')})` : ''} ` +
          'or the local administrator of the data directory'
      : `templates change only through validation, by members of ${admins} (in ` +
          'the LDAP directory) or the local administrator of the data directory',
  );
}

// --- ESC7: role separation ----------------------------------------------------------------------------

function esc7(f: AuditFacts, c: Collector): void {
  const { caAdministrators: admins, certificateManagers: managers } = f.config.roles;
  if (eq(admins, managers)) {
    c.add(
      'high',
      'ESC7',
      'roles',
      'CA Administrators and Certificate Managers are the same group ' +
        `(${admins}): one person can both change templates and approve requests.`,
      'Give roles.caAdministrators and roles.certificateManagers in tessera.json different groups.',
    );
    return;
  }
  if (isBroad(managers)) {
    c.add(
      'high',
      'ESC7',
      'role certificateManagers',
      `The Certificate Managers role is the group ${managers}: every ` +
        'account may approve pending requests and revoke certificates.',
      'Point roles.certificateManagers in tessera.json at a dedicated group.',
    );
  }
  if (!f.roleMembers) {
    c.note(
      'ESC7',
      'skipped',
      `group membership lives in the LDAP directory; check there that no account is in both ${admins} and ${managers}`,
    );
    return;
  }
  const managerNames = new Set(f.roleMembers.certificateManagers.map((m) => m.username.toLowerCase()));
  for (const m of f.roleMembers.caAdministrators) {
    if (!managerNames.has(m.username.toLowerCase())) continue;
    if (m.enabled) {
      c.add(
        'high',
        'ESC7',
        `user ${m.username}`,
        `${m.username} is in both ${admins} and ${managers}: they can make a template issue what ` +
          "they want and approve their own colleagues' requests for it (ManageCA + ManageCertificates).",
        `Keep the roles apart: \`tessera group remove-member "${managers}" ${m.username}\` ` +
          `(or remove them from ${admins}).`,
      );
    } else {
      c.add(
        'low',
        'ESC7',
        `user ${m.username}`,
        `${m.username} is disabled but in both ${admins} and ${managers}; ` +
          'enabling the account would give one person both roles.',
        `\`tessera group remove-member "${managers}" ${m.username}\`.`,
      );
    }
  }
  c.note('ESC7', 'pass', `no account is in both ${admins} and ${managers}`);
}

// --- keys and files on disk ---------------------------------------------------------------------------

function files(f: AuditFacts, c: Collector): void {
  const root = f.config.cas.find((ca) => ca.role === 'root' && ca.id !== f.config.issuingCa);
  if (f.files.rootKey) {
    c.add(
      'medium',
      'root-key-online',
      f.files.rootKey,
      "The root CA's private key is on the server's disk; whoever takes " +
        'the server takes the root, and with it every certificate and CRL.',
      `Move ${f.files.rootKey} to offline media; bring it back only for ` +
        `\`tessera crl publish --ca ${root?.id ?? 'root'}\` (every 180 days) and CA renewals.`,
    );
  } else if (!root) c.note('root-key-online', 'not-applicable', 'single-tier hierarchy: the one CA signs online');
  else
    c.note(
      'root-key-online',
      'pass',
      root.keyStore === 'pkcs11' ? 'the root key is on a PKCS#11 token' : 'the root key file is not on this disk',
    );

  if (f.files.passphraseFile) {
    c.add(
      f.files.caKeyFiles ? 'medium' : 'low',
      'passphrase-file',
      'keys/passphrase',
      f.files.caKeyFiles
        ? 'The passphrase that decrypts the CA key files sits beside them: ' +
            'anyone who can read the data directory has the CA keys in clear.'
        : 'The passphrase of the OCSP responder keys sits beside them (the CA keys are on PKCS#11).',
      'Give the server TESSERA_CA_PASSPHRASE from a secret store (systemd credentials, a vault) and delete ' +
        'keys/passphrase, or keep the CA keys on a PKCS#11 token (`tessera init --ca-key-store pkcs11`).',
    );
  } else c.note('passphrase-file', 'pass', 'no keys/passphrase: the passphrase comes from TESSERA_CA_PASSPHRASE');

  for (const u of f.files.unsafe) {
    c.add(
      'high',
      'data-permissions',
      u.path,
      `${u.path} is ${u.problem} (mode ${u.mode.toString(8).padStart(4, '0')}).`,
      `\`chmod ${u.problem.startsWith('writable') ? 'go-w' : 'go-rwx'} ${u.path}\` in the data directory.`,
    );
  }
}

function ldap(f: AuditFacts, c: Collector): void {
  const d = f.config.directory;
  if (d.type !== 'ldap') {
    c.note('ldap-plaintext', 'not-applicable', 'embedded directory');
    return;
  }
  const urls = typeof d.url === 'string' ? [d.url] : [...d.url];
  const plain = urls.some((u) => u.toLowerCase().startsWith('ldap://')) && d.startTls === false;
  if (plain) {
    c.add(
      'medium',
      'ldap-plaintext',
      'directory',
      `The directory connection (${urls.join(', ')}) has no TLS (allowPlaintext): the service account's password ` +
        "and every user's password go over it in clear. Tessera allows this only for loopback addresses (tests).",
      'Use ldaps:// or StartTLS: remove startTls=false and allowPlaintext ' +
        'from the directory section (`tessera directory configure-ldap`).',
    );
  } else
    c.note(
      'ldap-plaintext',
      'pass',
      urls.every((u) => u.toLowerCase().startsWith('ldaps://')) ? 'ldaps://' : 'StartTLS',
    );
}

function httpListener(f: AuditFacts, c: Collector): void {
  const h = f.httpListener;
  if (h.status === 'disabled') c.note('http-listener', 'pass', 'the plain-HTTP listener is off (server.httpPort 0)');
  else if (h.status === 'skipped') c.note('http-listener', 'skipped', h.reason);
  else if (h.problems.length) {
    c.add(
      'high',
      'http-listener',
      `http port ${f.config.server.httpPort}`,
      `The plain-HTTP listener serves more than /pki and /ocsp: ${h.problems.join('; ')}.`,
      'Serve enrollment over HTTPS only; this is a defect in Tessera: report it.',
    );
  } else
    c.note(
      'http-listener',
      'pass',
      `only /pki and /ocsp answer on port ${f.config.server.httpPort}; ` +
        `${h.probed.join(', ')} get a redirect to the HTTPS site without a form or a cookie`,
    );
}

// --- time-dependent: CRLs, OCSP signer, CA certificates ---------------------------------------------------

function crls(f: AuditFacts, c: Collector): void {
  const now = f.now.getTime();
  for (const ca of f.cas) {
    const online = ca.id === f.config.issuingCa;
    const object = `CA ${ca.id}`;
    const publish = `\`tessera crl publish${online ? '' : ` --ca ${ca.id}`}\`${
      online
        ? ' (the running server publishes it on schedule: is `tessera serve` running?)'
        : ` with ${ca.id}'s key at hand`
    }`;
    if (!ca.full) {
      c.add(
        'high',
        'crl-freshness',
        object,
        `No CRL of ${ca.id} has been published: the CRL distribution point in its ` +
          'certificates answers 404, and relying parties that check revocation refuse them.',
        `${publish}.`,
      );
      continue;
    }
    const left = ca.full.nextUpdate.getTime() - now;
    if (left <= 0) {
      c.add(
        'high',
        'crl-freshness',
        object,
        `The newest CRL of ${ca.id} (number ${ca.full.number}) expired at ${iso(ca.full.nextUpdate)}: ` +
          'relying parties that check revocation (smart card logon) refuse every certificate under it.',
        `${publish}.`,
      );
    } else if (online ? left < (f.config.crl.overlapHours * HOUR) / 2 : left < ROOT_CRL_WARNING_MS) {
      c.add(
        'medium',
        'crl-freshness',
        object,
        `The newest CRL of ${ca.id} (number ${ca.full.number}) expires at ` +
          `${iso(ca.full.nextUpdate)}, in ${Math.max(1, Math.round(left / HOUR))} hour(s).`,
        `${publish}.`,
      );
    }
    if (online && ca.delta && ca.delta.nextUpdate.getTime() <= now) {
      c.add(
        'high',
        'crl-freshness',
        object,
        `The newest delta CRL of ${ca.id} (number ${ca.delta.number}) expired at ` +
          `${iso(ca.delta.nextUpdate)}: clients that use delta CRLs cannot check revocation.`,
        '`tessera crl publish --delta` (the running server publishes it on schedule: is `tessera serve` running?).',
      );
    }
  }
  c.note('crl-freshness', 'pass', `the CRLs of ${f.cas.map((x) => x.id).join(', ')} are current at ${iso(f.now)}`);
}

function ocspSigner(f: AuditFacts, c: Collector): void {
  const s = f.ocspSigner;
  const object = `CA ${f.config.issuingCa} OCSP responder`;
  if (!s) {
    c.add(
      'info',
      'ocsp-signer',
      object,
      'No delegated OCSP responder certificate yet; the server issues one when it starts (14 days, renewed half-way).',
      'Nothing to do before the first `tessera serve`.',
    );
    return;
  }
  const now = f.now.getTime();
  const left = s.notAfter.getTime() - now;
  const life = s.notAfter.getTime() - s.notBefore.getTime();
  if (left <= 0) {
    c.add(
      'high',
      'ocsp-signer',
      object,
      `The newest OCSP responder certificate (serial ${s.serial}) expired at ${iso(s.notAfter)}: OCSP ` +
        'answers cannot be signed until a new one is issued, and relying parties that need OCSP fail closed.',
      'Start the server (`tessera serve`): it issues a new responder ' +
        'certificate at start and renews it half-way through its validity.',
    );
  } else if (left < life / 4) {
    c.add(
      'medium',
      'ocsp-signer',
      object,
      `The OCSP responder certificate (serial ${s.serial}) expires at ` +
        `${iso(s.notAfter)} and has not been renewed (the server renews it half-way).`,
      'Check that `tessera serve` is running on a node with this data directory.',
    );
  } else c.note('ocsp-signer', 'pass', `serial ${s.serial}, valid until ${iso(s.notAfter)}`);
}

function caValidity(f: AuditFacts, c: Collector): void {
  const now = f.now.getTime();
  const validity = (d: unknown) => {
    const v = (d as { validityDays?: unknown } | null)?.validityDays;
    return typeof v === 'number' ? v : 0;
  };
  const longest = Math.max(
    0,
    ...f.templates.filter((t) => templateCapabilities(t.name, t.definition).enabled).map((t) => validity(t.definition)),
  );
  for (const ca of f.cas) caCheck(ca, f, c, now, longest);
  c.note('ca-validity', 'pass', f.cas.map((ca) => `${ca.id} until ${iso(ca.notAfter)}`).join(', '));
}

function caCheck(ca: CaFacts, f: AuditFacts, c: Collector, now: number, longestDays: number): void {
  const object = `CA ${ca.id}`;
  if (ca.notAfter.getTime() <= now) {
    c.add(
      'high',
      'ca-validity',
      object,
      `The certificate of CA ${ca.id} expired at ${iso(ca.notAfter)}.`,
      ca.id === f.config.issuingCa
        ? 'Renew the issuing CA (a new issuing CA certificate from the root) before anything else.'
        : 'Renew the root and distribute the new root certificate.',
    );
  } else if (ca.id === f.config.issuingCa && ca.notAfter.getTime() - now < longestDays * DAY) {
    c.add(
      'medium',
      'ca-validity',
      object,
      `The issuing CA's certificate expires at ${iso(ca.notAfter)}, sooner than the ${longestDays}-day ` +
        'validity of the longest enabled template: new certificates are cut short at that date.',
      'Plan the issuing CA renewal.',
    );
  }
}
