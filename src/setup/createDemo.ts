/**
 * The `npm start` demo organisation (README.md "Quick start"): a two-tier "Tessera Demo" CA, the group
 * "Smartcard Users" with Enroll on Smartcard User and Smartcard Logon, alice and bob in
 * it, carol outside it, an enrollment agent, a certificate manager and an administrator,
 * each with a random password printed once and kept in demo-credentials.txt (0600).
 *
 * Both of the seed's methods work out of the box. Self-service: the pages list Smartcard
 * User first (web.templateOrder), so the request form starts on the seed's template.
 * Enroll on behalf: AD CS asks two things of an enrollment agent — Enroll on the
 * template for the agent itself (MS-CRTD; policy/verifyRequest.ts checkEnrollPermission)
 * and an enrollment agent restriction allowing it to enroll the user ("Restrict
 * enrollment agents"; docs/cli.md `tessera agent`). The demo grants the Enrollment Agents
 * group both, for members of Smartcard Users and the two smart card templates only.
 */
import { writeFile } from 'node:fs/promises';
import { generatePassword } from '../directory/password.js';
import { createGroup } from '../ra/admin/groups.js';
import { allowAgent } from '../ra/admin/agentRestrictions.js';
import { setTemplateGrant } from '../ra/admin/templates.js';
import { createUser } from '../ra/admin/users.js';
import type { Actor } from '../ra/Actor.js';
import { Tessera } from '../Tessera.js';
import { initDataDir, type InitOptions } from './initDataDir.js';

export interface DemoAccount {
  readonly username: string;
  readonly password: string;
  readonly role: string;
}

const ACCOUNTS: readonly { username: string; displayName: string; groups: string[]; role: string }[] = [
  {
    username: 'alice',
    displayName: 'Alice Smith',
    groups: ['Smartcard Users'],
    role: 'user, may enroll for smart card certificates',
  },
  {
    username: 'bob',
    displayName: 'Bob Jones',
    groups: ['Smartcard Users'],
    role: 'user, may enroll for smart card certificates',
  },
  { username: 'carol', displayName: 'Carol White', groups: [], role: 'user without smart card enrollment rights' },
  {
    username: 'agent',
    displayName: 'Help Desk Agent',
    groups: ['Enrollment Agents'],
    role: 'enrollment agent: enrolls Smartcard Users members for Smartcard User and Smartcard Logon',
  },
  {
    username: 'manager',
    displayName: 'Certificate Manager',
    groups: ['Certificate Managers'],
    role: 'certificate manager (approve, deny, revoke)',
  },
  {
    username: 'admin',
    displayName: 'CA Administrator',
    groups: ['CA Administrators', 'Auditors'],
    role: 'CA administrator and auditor',
  },
];

/** The smart card templates the demo's users and its enrollment agent enroll for. */
export const DEMO_SMARTCARD_TEMPLATES = ['SmartcardUser', 'SmartcardLogon'] as const;

/** The seed enrolls for Smartcard User: the pages list it first (then the other built-in templates). */
export const DEMO_TEMPLATE_ORDER = ['SmartcardUser', 'SmartcardLogon', 'User', 'EnrollmentAgent', 'WebServer'];

export async function createDemo(dataDir: string, init: Partial<InitOptions> = {}): Promise<DemoAccount[]> {
  await initDataDir({
    dataDir,
    caName: 'Tessera Demo',
    organization: 'Tessera Demo',
    web: { templateOrder: DEMO_TEMPLATE_ORDER },
    ...init,
  });
  const t = await Tessera.open(dataDir, { withIssuingKey: false });
  const actor: Actor = { kind: 'local', name: 'demo', source: 'cli' };
  const out: DemoAccount[] = [];
  try {
    await createGroup(t, actor, 'Smartcard Users', 'May enroll for smart card certificates');
    for (const tpl of DEMO_SMARTCARD_TEMPLATES) {
      await setTemplateGrant(t, actor, tpl, 'Smartcard Users', true);
      // The seed's second method: the help desk enrolls members of Smartcard Users.
      await setTemplateGrant(t, actor, tpl, t.config.roles.enrollmentAgents, true);
      await allowAgent(t, actor, {
        agent: `group:${t.config.roles.enrollmentAgents}`,
        target: 'group:Smartcard Users',
        template: tpl,
      });
    }
    for (const a of ACCOUNTS) {
      const password = generatePassword();
      await createUser(t, actor, {
        username: a.username,
        displayName: a.displayName,
        email: `${a.username}@demo.tessera.local`,
        password,
        groups: a.groups,
      });
      out.push({ username: a.username, password, role: a.role });
    }
  } finally {
    await t.close();
  }
  const lines = [
    '# Tessera demo accounts (generated once; this file is readable only by you)',
    ...out.map((a) => `${a.username}\t${a.password}\t# ${a.role}`),
  ];
  await writeFile(`${dataDir}/demo-credentials.txt`, `${lines.join('\n')}\n`, { mode: 0o600 });
  return out;
}
