/**
 * Enrollment agent restrictions: the administration use cases (CA administrators only,
 * audited, validated against the directory and the templates) on SQLite and PostgreSQL,
 * and the pure decision that the RA applies to each agent signature.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../src/directory/Directory.js';
import {
  allowAgent,
  evaluateRestrictions,
  listAgentRestrictions,
  removeAgentRestriction,
  setPrivilegedGroup,
} from '../../src/ra/admin/agentRestrictions.js';
import { createGroup } from '../../src/ra/admin/groups.js';
import type { AgentRestriction } from '../../src/store/AgentRestrictionStore.js';
import { LOCAL, newTestCa, type TestCa } from '../support/tessera.js';

describe.each(['sqlite', 'postgres'] as const)('agent restriction administration on %s', (engine) => {
  let ca: TestCa;
  beforeAll(async () => {
    ca = await newTestCa({ engine });
    await createGroup(ca.t, LOCAL, 'Help Desk');
    await createGroup(ca.t, LOCAL, 'Kiosk');
    await ca.user('helpdesk', { groups: ['Enrollment Agents', 'Help Desk'] });
    await ca.user('kiosk'); // a user and a group with the same name
    await ca.user('admin1', { groups: ['CA Administrators'] });
    await ca.user('auditor1', { groups: ['Auditors'] });
    await ca.user('plain');
  });
  afterAll(async () => ca?.close());

  it('starts with no rules: nothing is allowed until configured', async () => {
    const l = await listAgentRestrictions(ca.t, LOCAL);
    expect(l.rules).toEqual([]);
    expect(l.privilegedGroups).toEqual([
      { name: 'CA Administrators', source: 'role' },
      { name: 'Certificate Managers', source: 'role' },
    ]);
  });

  it('lets a CA administrator add a rule, resolving users and groups, and audits it', async () => {
    const admin = await ca.actor('admin1');
    const rule = await allowAgent(ca.t, admin, {
      agent: 'Help Desk',
      target: 'Domain Users',
      template: 'smartcardlogon',
    });
    expect(rule).toMatchObject({
      agent: 'Help Desk',
      agentKind: 'group',
      target: 'Domain Users',
      targetKind: 'group',
      template: 'SmartcardLogon',
      allowPrivileged: false,
      createdBy: 'admin1',
    });
    const byUser = await allowAgent(ca.t, admin, { agent: 'HELPDESK', target: 'user:plain', template: '*' });
    expect(byUser).toMatchObject({
      agent: 'helpdesk',
      agentKind: 'user',
      target: 'plain',
      targetKind: 'user',
      template: '*',
    });
    const audit = await ca.t.store.audit.list({ action: 'agent.restriction_added' });
    expect(audit.map((a) => [a.actor, a.details.id])).toEqual([
      ['admin1', byUser.id],
      ['admin1', rule.id],
    ]);
    expect((await listAgentRestrictions(ca.t, await ca.actor('auditor1'))).rules.map((r) => r.id)).toEqual([
      rule.id,
      byUser.id,
    ]);
  });

  it('refuses duplicates in any letter case, unknown names, unknown templates and ambiguous names', async () => {
    await expect(
      allowAgent(ca.t, LOCAL, { agent: 'help desk', target: 'domain users', template: 'SMARTCARDLOGON' }),
    ).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(
      allowAgent(ca.t, LOCAL, { agent: 'Nobody Group', target: 'Domain Users', template: 'SmartcardLogon' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      allowAgent(ca.t, LOCAL, { agent: 'Help Desk', target: 'Domain Users', template: 'NoSuchTemplate' }),
    ).rejects.toMatchObject({ code: 'TEMPLATE_UNKNOWN' });
    await expect(
      allowAgent(ca.t, LOCAL, { agent: 'kiosk', target: 'Domain Users', template: 'SmartcardLogon' }),
    ).rejects.toMatchObject({ code: 'INPUT_INVALID', detail: expect.stringContaining('both a user and a group') });
    expect(
      await allowAgent(ca.t, LOCAL, { agent: 'group:kiosk', target: 'Domain Users', template: 'SmartcardLogon' }),
    ).toMatchObject({ agent: 'kiosk', agentKind: 'group' });
    await expect(
      allowAgent(ca.t, LOCAL, { agent: 'user:Help Desk', target: 'Domain Users', template: 'SmartcardLogon' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('accepts --allow-privileged only for a rule whose target is a user or a privileged group', async () => {
    await expect(
      allowAgent(ca.t, LOCAL, {
        agent: 'Help Desk',
        target: 'group:Kiosk',
        template: 'SmartcardLogon',
        allowPrivileged: true,
      }),
    ).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      detail: expect.stringContaining('--allow-privileged needs --for to name a user or a privileged group'),
    });
    expect(
      await allowAgent(ca.t, LOCAL, {
        agent: 'Help Desk',
        target: 'Certificate Managers',
        template: 'SmartcardLogon',
        allowPrivileged: true,
      }),
    ).toMatchObject({ allowPrivileged: true });
    await setPrivilegedGroup(ca.t, LOCAL, 'Kiosk', true);
    expect(
      await allowAgent(ca.t, LOCAL, {
        agent: 'Help Desk',
        target: 'group:Kiosk',
        template: 'SmartcardLogon',
        allowPrivileged: true,
      }),
    ).toMatchObject({ allowPrivileged: true });
    expect(
      await allowAgent(ca.t, LOCAL, {
        agent: 'Help Desk',
        target: 'user:kiosk',
        template: 'SmartcardLogon',
        allowPrivileged: true,
      }),
    ).toMatchObject({ targetKind: 'user', allowPrivileged: true });
  });

  it('manages the privileged list: role groups stay, added groups are audited', async () => {
    expect((await listAgentRestrictions(ca.t, LOCAL)).privilegedGroups).toContainEqual({
      name: 'Kiosk',
      source: 'configured',
    });
    await expect(setPrivilegedGroup(ca.t, LOCAL, 'CA Administrators', false)).rejects.toMatchObject({
      code: 'INPUT_INVALID',
    });
    await expect(setPrivilegedGroup(ca.t, LOCAL, 'No Such Group', true)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await setPrivilegedGroup(ca.t, LOCAL, 'kiosk', true)).toBe(false); // already there
    expect(await setPrivilegedGroup(ca.t, LOCAL, 'kiosk', false)).toBe(true);
    expect((await listAgentRestrictions(ca.t, LOCAL)).privilegedGroups.map((g) => g.name)).not.toContain('Kiosk');
    expect((await ca.t.store.audit.list({ action: 'agent.privileged_group_removed' }))[0]).toMatchObject({
      actor: 'local:test',
      target: 'kiosk',
    });
  });

  it('is for CA administrators only (auditors may read)', async () => {
    const plain = await ca.actor('plain');
    const auditor = await ca.actor('auditor1');
    await expect(
      allowAgent(ca.t, plain, { agent: 'Help Desk', target: 'Domain Users', template: '*' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(
      allowAgent(ca.t, auditor, { agent: 'Help Desk', target: 'Domain Users', template: '*' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(removeAgentRestriction(ca.t, plain, 1)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(setPrivilegedGroup(ca.t, plain, 'Help Desk', true)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(listAgentRestrictions(ca.t, plain)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('removes a rule by ID, audited; an unknown ID is NOT_FOUND', async () => {
    const [first] = (await listAgentRestrictions(ca.t, LOCAL)).rules;
    const removed = await removeAgentRestriction(ca.t, LOCAL, first.id);
    expect(removed.id).toBe(first.id);
    expect((await listAgentRestrictions(ca.t, LOCAL)).rules.map((r) => r.id)).not.toContain(first.id);
    await expect(removeAgentRestriction(ca.t, LOCAL, first.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(removeAgentRestriction(ca.t, LOCAL, 0)).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    expect((await ca.t.store.audit.list({ action: 'agent.restriction_removed' }))[0].details).toMatchObject({
      id: first.id,
      agent: first.agent,
    });
  });
});

describe('evaluateRestrictions', () => {
  const user = (username: string, groups: string[]): DirectoryUser => ({
    username,
    upn: null,
    email: null,
    displayName: username,
    sid: null,
    dn: '',
    enabled: true,
    createdAt: new Date(0),
    groups,
  });
  let nextId = 1;
  const rule = (r: Partial<AgentRestriction>): AgentRestriction => ({
    id: nextId++,
    agent: 'Help Desk',
    agentKind: 'group',
    target: 'Staff',
    targetKind: 'group',
    template: 'SmartcardLogon',
    allowPrivileged: false,
    createdAt: new Date(0),
    createdBy: 'x',
    ...r,
  });
  const agent = user('helpdesk', ['Help Desk', 'Enrollment Agents']);
  const staff = user('bob', ['Staff', 'Domain Users']);
  const admin = user('carol', ['Staff', 'CA Administrators']);
  const privileged = ['CA Administrators', 'Certificate Managers', 'Tier0'];

  it('matches agent group, target group and template, case-insensitively', () => {
    const r = rule({ agent: 'HELP DESK', target: 'staff', template: 'smartcardlogon' });
    expect(evaluateRestrictions([r], privileged, agent, staff, 'SmartcardLogon')).toEqual({ ok: true, rule: r });
  });

  it('matches a user agent, a user target and the * template', () => {
    const r = rule({ agent: 'helpdesk', agentKind: 'user', target: 'bob', targetKind: 'user', template: '*' });
    expect(evaluateRestrictions([r], privileged, agent, staff, 'SmartcardUser').ok).toBe(true);
  });

  it('denies without a rule, and when agent, target or template differ', () => {
    expect(evaluateRestrictions([], privileged, agent, staff, 'SmartcardLogon')).toMatchObject({
      ok: false,
      code: 'AGENT_NOT_PERMITTED',
    });
    expect(evaluateRestrictions([rule({ agent: 'Other' })], privileged, agent, staff, 'SmartcardLogon')).toMatchObject({
      ok: false,
      code: 'AGENT_NOT_PERMITTED',
    });
    expect(
      evaluateRestrictions([rule({ target: 'Contractors' })], privileged, agent, staff, 'SmartcardLogon'),
    ).toMatchObject({ ok: false, code: 'AGENT_NOT_PERMITTED' });
    expect(evaluateRestrictions([rule({})], privileged, agent, staff, 'SmartcardUser')).toMatchObject({
      ok: false,
      code: 'AGENT_NOT_PERMITTED',
    });
    // A rule for a user named like the agent's group is not a group rule.
    expect(evaluateRestrictions([rule({ agentKind: 'user' })], privileged, agent, staff, 'SmartcardLogon').ok).toBe(
      false,
    );
  });

  it('denies a privileged target unless an allowPrivileged rule names its group or the user', () => {
    const broad = rule({});
    expect(evaluateRestrictions([broad], privileged, agent, admin, 'SmartcardLogon')).toMatchObject({
      ok: false,
      code: 'PRIVILEGED_TARGET',
    });
    // allowPrivileged on a rule that reaches carol only through Staff does not name her privilege.
    expect(
      evaluateRestrictions([rule({ allowPrivileged: true })], privileged, agent, admin, 'SmartcardLogon'),
    ).toMatchObject({ ok: false, code: 'PRIVILEGED_TARGET' });
    // An exception for another privileged group does not reach CA Administrators.
    expect(
      evaluateRestrictions(
        [broad, rule({ target: 'Certificate Managers', allowPrivileged: true })],
        privileged,
        agent,
        admin,
        'SmartcardLogon',
      ).ok,
    ).toBe(false);
    const byGroup = rule({ target: 'CA Administrators', allowPrivileged: true });
    expect(evaluateRestrictions([broad, byGroup], privileged, agent, admin, 'SmartcardLogon')).toEqual({
      ok: true,
      rule: byGroup,
    });
    const byUser = rule({ target: 'carol', targetKind: 'user', allowPrivileged: true });
    expect(evaluateRestrictions([byUser], privileged, agent, admin, 'SmartcardLogon')).toEqual({
      ok: true,
      rule: byUser,
    });
    // Without allowPrivileged, even a rule naming the privileged group is not an exception.
    expect(
      evaluateRestrictions([rule({ target: 'CA Administrators' })], privileged, agent, admin, 'SmartcardLogon'),
    ).toMatchObject({ code: 'PRIVILEGED_TARGET' });
  });
});
