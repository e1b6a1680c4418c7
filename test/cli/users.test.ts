import { userInfo } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTestCa, type TestCa } from '../support/tessera.js';
import { cli } from './runCli.js';

describe('tessera user and group', () => {
  let ca: TestCa;
  beforeAll(async () => {
    ca = await newTestCa();
  });
  afterAll(async () => ca?.close());

  it('adds a user with a password from standard input, in Domain Users and the named groups', async () => {
    const r = await cli(
      ca.dir,
      [
        'user',
        'add',
        'alice',
        '--display-name',
        'Alice Smith',
        '--email',
        'alice@example.com',
        '--group',
        'Auditors',
        '--password-stdin',
      ],
      {
        stdin: 'correct horse battery\n',
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Created alice \(S-1-5-21-\d+-\d+-\d+-\d+\)/);
    // The password reached the directory: alice can sign in with it, and only with it.
    const alice = await ca.t.directory.authenticate('alice', 'correct horse battery');
    expect(alice.groups).toEqual(['Auditors', 'Domain Users']);
    expect(alice.displayName).toBe('Alice Smith');
    await expect(ca.t.directory.authenticate('alice', 'wrong password')).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    const audit = await ca.t.store.audit.list({ action: 'user.created' });
    expect(audit.find((a) => a.target === 'alice')?.details).toMatchObject({ groups: ['Domain Users', 'Auditors'] });
    // The audit record never holds the password.
    expect(JSON.stringify(audit)).not.toContain('correct horse');
  });

  it('refuses to create a user without a password source when there is no terminal, and creates nothing', async () => {
    const r = await cli(ca.dir, ['user', 'add', 'nopw']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('[INPUT_INVALID]');
    expect(r.stderr).toContain('--password-stdin');
    expect(await ca.t.directory.findUser('nopw')).toBeUndefined();
  });

  it('creates a user without a password only when asked (--no-password), disabled and outside Domain Users', async () => {
    const r = await cli(ca.dir, ['--json', 'user', 'add', 'svc', '--no-password', '--no-default-group', '--disabled']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ username: 'svc', enabled: false, groups: [], password: false });
    await expect(ca.t.directory.authenticate('svc', '')).rejects.toMatchObject({ code: 'AUTH_FAILED' });
  });

  it('rejects --password-stdin together with --no-password as a usage error', async () => {
    const r = await cli(ca.dir, ['user', 'add', 'both', '--password-stdin', '--no-password'], {
      stdin: 'whatever123\n',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot be used with/);
    expect(await ca.t.directory.findUser('both')).toBeUndefined();
  });

  it('reports a duplicate user as ALREADY_EXISTS and a short password as INPUT_INVALID', async () => {
    const dup = await cli(ca.dir, ['--json', 'user', 'add', 'alice', '--no-password']);
    expect(dup.status).toBe(1);
    expect(dup.error().code).toBe('ALREADY_EXISTS');
    // Names match case-insensitively, as in AD: "Alice" is alice.
    expect((await cli(ca.dir, ['--json', 'user', 'add', 'Alice', '--no-password'])).error().code).toBe(
      'ALREADY_EXISTS',
    );
    const short = await cli(ca.dir, ['user', 'add', 'bob', '--password-stdin'], { stdin: 'short\n' });
    expect(short.status).toBe(1);
    expect(short.stderr).toContain('at least 8 characters');
    expect(await ca.t.directory.findUser('bob')).toBeUndefined();
  });

  it('lists users and shows one with SID, DN, groups, roles and creation time', async () => {
    const list = await cli(ca.dir, ['user', 'list']);
    expect(list.status).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^USERNAME\s+DISPLAY NAME\s+UPN\s+E-MAIL\s+ENABLED\s+GROUPS$/);
    expect(list.stdout).toMatch(
      /alice\s+Alice Smith\s+alice@tessera\.local\s+alice@example\.com\s+yes\s+Auditors, Domain Users/,
    );
    const json = await cli(ca.dir, ['--json', 'user', 'list']);
    expect(json.json<{ username: string }[]>().map((u) => u.username)).toEqual(['alice', 'svc']);

    const alice = (await ca.t.directory.findUser('alice'))!;
    const show = await cli(ca.dir, ['user', 'show', 'alice']);
    expect(show.status).toBe(0);
    expect(show.stdout).toContain(`SID:          ${alice.sid}`);
    expect(show.stdout).toContain('DN:           CN=Alice Smith,CN=Users,DC=tessera,DC=local');
    expect(show.stdout).toContain('Groups:       Auditors, Domain Users');
    expect(show.stdout).toContain('Roles:        auditors');
    expect(show.stdout).toMatch(/Created:\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
    const showJson = (await cli(ca.dir, ['--json', 'user', 'show', 'TESSERA\\alice'])).json();
    expect(showJson).toMatchObject({
      username: 'alice',
      sid: alice.sid,
      upn: 'alice@tessera.local',
      roles: ['auditors'],
    });

    const missing = await cli(ca.dir, ['user', 'show', 'nobody']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe('tessera: The user does not exist in the directory. (nobody) [USER_UNKNOWN]\n');
  });

  it('disables and enables a user; a disabled user cannot sign in', async () => {
    expect((await cli(ca.dir, ['user', 'disable', 'alice'])).stdout).toBe('Disabled alice\n');
    await expect(ca.t.directory.authenticate('alice', 'correct horse battery')).rejects.toMatchObject({
      code: 'USER_DISABLED',
    });
    expect((await cli(ca.dir, ['user', 'show', 'alice'])).stdout).toContain('Enabled:      no');
    expect((await cli(ca.dir, ['user', 'enable', 'alice'])).status).toBe(0);
    await expect(ca.t.directory.authenticate('alice', 'correct horse battery')).resolves.toMatchObject({
      username: 'alice',
    });
    const actions = (await ca.t.store.audit.list({ actor: undefined, limit: 2 })).map((a) => `${a.action}:${a.target}`);
    expect(actions).toEqual(['user.enabled:alice', 'user.disabled:alice']);
  });

  it('sets a password from standard input and audits that it changed, never the value', async () => {
    const r = await cli(ca.dir, ['user', 'set-password', 'svc', '--password-stdin'], { stdin: 'a new passphrase\r\n' });
    expect(r.status, r.stderr).toBe(0);
    // svc is disabled, so authenticate proves the password by reaching the enabled check.
    await expect(ca.t.directory.authenticate('svc', 'a new passphrase')).rejects.toMatchObject({
      code: 'USER_DISABLED',
    });
    await expect(ca.t.directory.authenticate('svc', 'a new passphras')).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    const [rec] = await ca.t.store.audit.list({ action: 'user.password_set', limit: 1 });
    expect(rec.target).toBe('svc');
    expect(JSON.stringify(rec)).not.toContain('passphrase');
    const unknown = await cli(ca.dir, ['user', 'set-password', 'ghost', '--password-stdin'], {
      stdin: 'irrelevant-password\n',
    });
    expect(unknown.stderr).toContain('[USER_UNKNOWN]');
  });

  it('creates groups, changes membership and shows members', async () => {
    const add = await cli(ca.dir, ['group', 'add', 'Smartcard Users', '--description', 'People with cards']);
    expect(add.status, add.stderr).toBe(0);
    expect(add.stdout).toMatch(/^Created group Smartcard Users \(S-1-5-21-/);
    expect((await cli(ca.dir, ['group', 'add', 'smartcard users'])).stderr).toContain('[ALREADY_EXISTS]');
    expect((await cli(ca.dir, ['group', 'add', 'bad/name'])).stderr).toContain('[INPUT_INVALID]');

    expect((await cli(ca.dir, ['group', 'add-member', 'Smartcard Users', 'alice'])).stdout).toBe(
      'Added alice to Smartcard Users\n',
    );
    expect((await cli(ca.dir, ['group', 'add-member', 'Smartcard Users', 'alice'])).stdout).toContain(
      'already a member',
    );
    expect((await ca.t.directory.findUser('alice'))!.groups).toContain('Smartcard Users');
    expect((await cli(ca.dir, ['group', 'add-member', 'No Such Group', 'alice'])).stderr).toContain('[NOT_FOUND]');
    expect((await cli(ca.dir, ['group', 'add-member', 'Smartcard Users', 'ghost'])).stderr).toContain('[USER_UNKNOWN]');

    const show = await cli(ca.dir, ['--json', 'group', 'show', 'Smartcard Users']);
    expect(show.json()).toMatchObject({
      name: 'Smartcard Users',
      description: 'People with cards',
      role: null,
      members: [{ username: 'alice', displayName: 'Alice Smith' }],
    });
    const managers = await cli(ca.dir, ['group', 'show', 'Certificate Managers']);
    expect(managers.stdout).toContain('Role:        certificateManagers');
    expect(managers.stdout).toContain('Members:     (none)');

    const list = await cli(ca.dir, ['group', 'list']);
    expect(list.stdout).toMatch(/Smartcard Users\s+1\s+S-1-5-21-\S+\s+People with cards/);
    expect(list.stdout).toMatch(/Domain Users\s+1\s/);

    expect((await cli(ca.dir, ['group', 'remove-member', 'Smartcard Users', 'alice'])).stdout).toBe(
      'Removed alice from Smartcard Users\n',
    );
    expect((await ca.t.directory.findUser('alice'))!.groups).not.toContain('Smartcard Users');
    const audit = (await ca.t.store.audit.list({ limit: 2 })).map((a) => a.action);
    expect(audit).toEqual(['group.member_removed', 'group.member_added']);
  });

  it('audits directory changes as the local administrator (named after the OS account), from the cli', async () => {
    const [rec] = await ca.t.store.audit.list({ action: 'group.created', limit: 1 });
    expect(rec.actor).toBe(`local:${userInfo().username}`);
    expect(rec.source).toBe('cli');
  });

  it('role separation: not even the local administrator can put a CA administrator in Certificate Managers, or create a user in both', async () => {
    const add = await cli(ca.dir, ['user', 'add', 'root-admin', '--group', 'CA Administrators', '--password-stdin'], {
      stdin: 'correct horse battery\n',
    });
    expect(add.status, add.stderr).toBe(0);
    const join = await cli(ca.dir, ['group', 'add-member', 'Certificate Managers', 'root-admin']);
    expect(join.status).toBe(1);
    expect(join.stderr).toContain('[ROLE_CONFLICT]');
    expect(join.stderr).toContain('root-admin cannot be added to Certificate Managers');
    expect((await ca.t.directory.findUser('root-admin'))!.groups).toEqual(['CA Administrators', 'Domain Users']);
    const both = await cli(ca.dir, [
      '--json',
      'user',
      'add',
      'both',
      '--group',
      'Certificate Managers',
      '--group',
      'CA Administrators',
      '--no-password',
    ]);
    expect(both.status).toBe(1);
    expect(both.error().code).toBe('ROLE_CONFLICT');
    expect(await ca.t.directory.findUser('both')).toBeUndefined();
    const [refused] = await ca.t.store.audit.list({ action: 'group.member_refused', limit: 1 });
    expect(refused).toMatchObject({
      actor: `local:${userInfo().username}`,
      source: 'cli',
      target: 'Certificate Managers',
      details: { user: 'root-admin', code: 'ROLE_CONFLICT' },
    });
  });

  it('prints usage errors with exit status 2', async () => {
    const r = await cli(ca.dir, ['user', 'add']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("missing required argument 'username'");
    const u = await cli(ca.dir, ['user', 'frobnicate']);
    expect(u.status).toBe(2);
  });
});
