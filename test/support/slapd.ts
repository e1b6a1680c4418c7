/**
 * A throwaway OpenLDAP `slapd` (Debian's package) on 127.0.0.1, started by the suites
 * that need a real directory (test/ldap). It listens on ldap:// (StartTLS) and ldaps://
 * with a server certificate from a throwaway CA made here with openssl, loads the
 * core/cosine/nis/inetorgperson schemas plus a small test schema carrying the Active
 * Directory attributes Tessera maps (objectSid, userAccountControl, sAMAccountName,
 * userPrincipalName, whenCreated, accountExpires, primaryGroupID, objectCategory) and
 * sambaSID / pwdAccountLockedTime, and keeps memberOf with the memberof overlay.
 *
 * `allow bind_anon_dn` makes slapd accept a DN with an empty password as an
 * unauthenticated bind, as Active Directory does (RFC 4513 §5.1.2), so the tests prove
 * Tessera refuses such sign-ins itself.
 *
 * The tree (dc=example,dc=test), domain SID S-1-5-21-1004336348-1177238915-682003330:
 *   ou=People   alice   Smartcard Users (direct)                        SID …-1105
 *               bob     Help Desk ⊂ Smartcard Users; Loop A ⇄ Loop B    SID …-1106
 *               carol   no groups, no SID, no UPN attribute
 *               dave    disabled (userAccountControl 514, ppolicy lock) SID …-1108
 *               erin    Chain01 ⊂ Chain02 ⊂ … ⊂ Chain12                 SID …-1109
 *               frank   "R&D, Lab (EU)" ⊂ Smartcard Users               SID …-1110
 *               grace   accountExpires in 2020 (AD: expired)            SID …-1111
 *               mallory, trent  share mail and userPrincipalName
 *               oneil   DN "cn=Shaun O'Neil\, Jr. (Ops)", in "R&D, Lab (EU)"  SID …-1114
 *   ou=Groups   Smartcard Users, Help Desk, "R&D, Lab (EU)", Loop A, Loop B, Chain01–12,
 *               Domain Users (objectSid …-513, every AD primary group), Admins (twice:
 *               ou=Groups and ou=Legacy,ou=Groups)
 *   ou=Services cn=tessera (the service account; may write userCertificate)
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from './openssl.js';
import { freePort } from './ports.js';

export const BASE_DN = 'dc=example,dc=test';
export const DOMAIN_SID = 'S-1-5-21-1004336348-1177238915-682003330';
export const SERVICE_DN = `cn=tessera,ou=Services,${BASE_DN}`;
export const ADMIN_DN = `cn=admin,${BASE_DN}`;
export const ONEIL_DN = `cn=Shaun O'Neil\\, Jr. (Ops),ou=People,${BASE_DN}`;
export const RND_GROUP_DN = `cn=R&D\\, Lab (EU),ou=Groups,${BASE_DN}`;

/** Passwords of the seeded users (test data, not secrets). */
export const PASSWORDS: Readonly<Record<string, string>> = {
  alice: 'alice-Wonderland-1',
  bob: 'bob-Builder-2',
  carol: 'carol-Marvel-3',
  dave: 'dave-Disabled-4',
  erin: 'erin-Chain-5',
  frank: 'frank-Lab-6',
  grace: 'grace-Expired-7',
  mallory: 'mallory-Shared-8',
  trent: 'trent-Shared-9',
  oneil: 'oneil-Comma-10',
};

export interface Slapd {
  readonly dir: string;
  /** ldap://127.0.0.1:port (StartTLS available). */
  readonly ldapUrl: string;
  /** ldaps://127.0.0.1:port */
  readonly ldapsUrl: string;
  /** The throwaway CA that issued slapd's certificate. */
  readonly caFile: string;
  readonly caPem: string;
  /** A CA that did not issue it (for "untrusted certificate" tests). */
  readonly otherCaFile: string;
  readonly servicePassword: string;
  readonly adminPassword: string;
  /** Is the server process running (and not frozen)? */
  running(): boolean;
  /** Stop with SIGTERM (or kill with SIGKILL), keeping the data. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Start again on the same ports with the same data. */
  start(): Promise<void>;
  /** SIGSTOP: the port stays open but nothing answers (a hung server). */
  freeze(): Promise<void>;
  thaw(): void;
  /** ldapsearch as the admin over StartTLS, verifying slapd's certificate; LDIF text. */
  ldapsearch(base: string, filter: string, attrs?: string[], scope?: 'base' | 'sub'): string;
  /** ldapmodify as the admin (LDIF on stdin). */
  ldapmodify(ldif: string): void;
  close(): Promise<void>;
}

/** MS-DTYP §2.4.2.2 bytes for a SID (written here independently of src/directory/ldap/sid.ts). */
function sidBytes(sid: string): Buffer {
  const parts = sid.split('-').slice(1).map(Number); // [1, authority, ...subs]
  const subs = parts.slice(2);
  const b = Buffer.alloc(8 + 4 * subs.length);
  b[0] = parts[0];
  b[1] = subs.length;
  b.writeUIntBE(parts[1], 2, 6);
  subs.forEach((v, i) => {
    b.writeUInt32LE(v, 8 + 4 * i);
  });
  return b;
}

const SCHEMA = `# Test schema: the Active Directory attributes Tessera maps, with their AD OIDs
# (MS-ADA1/MS-ADA3), and sambaSID / pwdAccountLockedTime with theirs.
attributetype ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.656 NAME 'userPrincipalName'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.146 NAME 'objectSid'
  EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.2.2 NAME 'whenCreated'
  EQUALITY generalizedTimeMatch ORDERING generalizedTimeOrderingMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.24 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.159 NAME 'accountExpires'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.98 NAME 'primaryGroupID'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.782 NAME 'objectCategory'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.7165.2.1.20 NAME 'sambaSID'
  EQUALITY caseIgnoreIA5Match SYNTAX 1.3.6.1.4.1.1466.115.121.1.26{64} SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.42.2.27.8.1.17 NAME 'pwdAccountLockedTime'
  EQUALITY generalizedTimeMatch ORDERING generalizedTimeOrderingMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.24 SINGLE-VALUE )
objectclass ( 1.2.840.113556.1.5.9 NAME 'user' SUP top AUXILIARY
  MAY ( sAMAccountName $ userPrincipalName $ objectSid $ userAccountControl $ whenCreated $
        accountExpires $ primaryGroupID $ objectCategory $ sambaSID $ pwdAccountLockedTime ) )
objectclass ( 1.2.840.113556.1.5.8 NAME 'group' SUP top AUXILIARY
  MAY ( sAMAccountName $ objectSid ) )
`;

interface SeedUser {
  readonly uid: string;
  readonly cn: string;
  readonly sn: string;
  readonly rdn?: string;
  readonly mail?: string;
  readonly upn?: string;
  readonly rid?: number;
  readonly uac?: number;
  readonly accountExpires?: string;
  readonly locked?: boolean;
  readonly whenCreated?: string;
}

const USERS: readonly SeedUser[] = [
  {
    uid: 'alice',
    cn: 'Alice Liddell',
    sn: 'Liddell',
    mail: 'alice@example.test',
    upn: 'alice@example.test',
    rid: 1105,
    uac: 512,
    accountExpires: '9223372036854775807',
    whenCreated: '20240102030405.0Z',
  },
  {
    uid: 'bob',
    cn: 'Bob Builder',
    sn: 'Builder',
    mail: 'bob@example.test',
    upn: 'bob@example.test',
    rid: 1106,
    uac: 66048,
    accountExpires: '0',
    whenCreated: '20240203040506.0Z',
  },
  {
    uid: 'carol',
    cn: 'Carol Danvers',
    sn: 'Danvers',
    mail: 'carol@example.test',
    uac: 512,
    whenCreated: '20240304050607.0Z',
  },
  {
    uid: 'dave',
    cn: 'Dave Disabled',
    sn: 'Disabled',
    mail: 'dave@example.test',
    upn: 'dave@example.test',
    rid: 1108,
    uac: 514,
    locked: true,
    whenCreated: '20240405060708.0Z',
  },
  {
    uid: 'erin',
    cn: 'Erin Chain',
    sn: 'Chain',
    mail: 'erin@example.test',
    upn: 'erin@example.test',
    rid: 1109,
    uac: 512,
    whenCreated: '20240506070809.0Z',
  },
  {
    uid: 'frank',
    cn: 'Frank Lab',
    sn: 'Lab',
    mail: 'frank@example.test',
    upn: 'frank@example.test',
    rid: 1110,
    uac: 512,
    whenCreated: '20240607080910.0Z',
  },
  // accountExpires 132223104000000000 is 2020-01-01T00:00:00Z as a FILETIME.
  {
    uid: 'grace',
    cn: 'Grace Expired',
    sn: 'Expired',
    mail: 'grace@example.test',
    upn: 'grace@example.test',
    rid: 1111,
    uac: 512,
    accountExpires: '132223104000000000',
    whenCreated: '20190101000000.0Z',
  },
  {
    uid: 'mallory',
    cn: 'Mallory Shared',
    sn: 'Shared',
    mail: 'shared@example.test',
    upn: 'dup@example.test',
    rid: 1112,
    uac: 512,
    whenCreated: '20240101000000.0Z',
  },
  {
    uid: 'trent',
    cn: 'Trent Shared',
    sn: 'Shared',
    mail: 'shared@example.test',
    upn: 'dup@example.test',
    rid: 1113,
    uac: 512,
    whenCreated: '20240101000000.0Z',
  },
  {
    uid: 'oneil',
    cn: "Shaun O'Neil, Jr. (Ops)",
    sn: "O'Neil",
    rdn: ONEIL_DN,
    mail: 'oneil@example.test',
    upn: 'oneil@example.test',
    rid: 1114,
    uac: 512,
    whenCreated: '20240808080808.0Z',
  },
];

const userDn = (u: SeedUser) => u.rdn ?? `uid=${u.uid},ou=People,${BASE_DN}`;
const groupDn = (cn: string, ou = 'ou=Groups') => `cn=${cn},${ou},${BASE_DN}`;
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const PLACEHOLDER = `cn=placeholder,${BASE_DN}`;

function seedLdif(servicePassword: string): string {
  const out: string[] = [];
  const entry = (lines: string[]) => out.push(`${lines.join('\n')}\n`);
  entry([`dn: ${BASE_DN}`, 'objectClass: dcObject', 'objectClass: organization', 'o: Example', 'dc: example']);
  for (const ou of ['People', 'Groups', 'Services'])
    entry([`dn: ou=${ou},${BASE_DN}`, 'objectClass: organizationalUnit', `ou: ${ou}`]);
  entry([`dn: ou=Legacy,ou=Groups,${BASE_DN}`, 'objectClass: organizationalUnit', 'ou: Legacy']);
  entry([
    `dn: ${SERVICE_DN}`,
    'objectClass: organizationalRole',
    'objectClass: simpleSecurityObject',
    'cn: tessera',
    `userPassword:: ${b64(servicePassword)}`,
  ]);
  for (const u of USERS) {
    const l = [
      `dn:: ${b64(userDn(u))}`,
      'objectClass: inetOrgPerson',
      'objectClass: user',
      `uid: ${u.uid}`,
      `cn:: ${b64(u.cn)}`,
      `sn:: ${b64(u.sn)}`,
      `displayName:: ${b64(u.cn)}`,
    ];
    l.push(`userPassword:: ${b64(PASSWORDS[u.uid])}`, `sAMAccountName: ${u.uid}`, 'objectCategory: person');
    if (u.mail) l.push(`mail: ${u.mail}`);
    if (u.upn) l.push(`userPrincipalName: ${u.upn}`);
    if (u.rid)
      l.push(
        `objectSid:: ${b64(sidBytes(`${DOMAIN_SID}-${u.rid}`))}`,
        `sambaSID: ${DOMAIN_SID}-${u.rid}`,
        'primaryGroupID: 513',
      );
    if (u.uac !== undefined) l.push(`userAccountControl: ${u.uac}`);
    if (u.accountExpires) l.push(`accountExpires: ${u.accountExpires}`);
    if (u.whenCreated) l.push(`whenCreated: ${u.whenCreated}`);
    if (u.locked) l.push('pwdAccountLockedTime: 000001010000Z');
    entry(l);
  }
  const group = (dn: string, members: string[], extra: string[] = []) =>
    entry([
      `dn:: ${b64(dn)}`,
      'objectClass: groupOfNames',
      'objectClass: group',
      `cn:: ${b64(/^cn=((?:\\.|[^,])*)/.exec(dn)![1].replace(/\\(.)/g, '$1'))}`,
      ...members.map((m) => `member:: ${b64(m)}`),
      ...extra,
    ]);
  const u = (uid: string) => userDn(USERS.find((x) => x.uid === uid)!);
  // Inner groups first, so the memberof overlay gives nested groups their memberOf too.
  group(groupDn('Help Desk'), [u('bob')]);
  group(RND_GROUP_DN, [u('frank'), u('oneil')]);
  group(groupDn('Smartcard Users'), [u('alice'), u('dave'), groupDn('Help Desk'), RND_GROUP_DN]);
  group(groupDn('Loop A'), [u('bob')]);
  group(groupDn('Loop B'), [groupDn('Loop A')]);
  out.push(`dn: ${groupDn('Loop A')}\nchangetype: modify\nadd: member\nmember: ${groupDn('Loop B')}\n`);
  for (let i = 1; i <= 12; i++) {
    const name = `Chain${String(i).padStart(2, '0')}`;
    group(groupDn(name), [i === 1 ? u('erin') : groupDn(`Chain${String(i - 1).padStart(2, '0')}`)]);
  }
  group(
    groupDn('Domain Users'),
    [PLACEHOLDER],
    [`objectSid:: ${b64(sidBytes(`${DOMAIN_SID}-513`))}`, 'sAMAccountName: Domain Users'],
  );
  group(groupDn('Admins'), [PLACEHOLDER]);
  group(groupDn('Admins', 'ou=Legacy,ou=Groups'), [PLACEHOLDER]);
  return out.join('\n');
}

function makeCerts(dir: string): void {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = (out: string) => run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', out]);
  for (const ca of ['ca', 'other-ca']) {
    ec(`${ca}.key`);
    run([
      'req',
      '-x509',
      '-new',
      '-key',
      `${ca}.key`,
      '-subj',
      `/CN=Tessera Test Directory ${ca}`,
      '-days',
      '2',
      '-sha256',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      `${ca}.pem`,
    ]);
  }
  ec('server.key');
  run(['req', '-new', '-key', 'server.key', '-subj', '/CN=localhost', '-out', 'server.csr']);
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n',
  );
  run([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-sha256',
    '-extfile',
    'server.ext',
    '-out',
    'server.pem',
  ]);
}

export async function startSlapd(): Promise<Slapd> {
  if (spawnSync('/usr/sbin/slapd', ['-VV']).error)
    throw new Error('slapd is not installed: apt-get install -y slapd ldap-utils');
  const dir = tmpDir('tessera-slapd-');
  mkdirSync(join(dir, 'db'));
  makeCerts(dir);
  const servicePassword = randomBytes(12).toString('hex');
  const adminPassword = randomBytes(12).toString('hex');
  writeFileSync(join(dir, 'tessera-test.schema'), SCHEMA);
  writeFileSync(
    join(dir, 'slapd.conf'),
    `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
include ${dir}/tessera-test.schema
pidfile ${dir}/slapd.pid
argsfile ${dir}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
TLSCACertificateFile ${dir}/ca.pem
TLSCertificateFile ${dir}/server.pem
TLSCertificateKeyFile ${dir}/server.key
# As Active Directory: a DN with an empty password is an unauthenticated bind that succeeds.
allow bind_anon_dn
database mdb
maxsize 67108864
suffix "${BASE_DN}"
rootdn "${ADMIN_DN}"
rootpw ${adminPassword}
directory ${dir}/db
index objectClass,uid,cn,mail,member,sAMAccountName,userPrincipalName,sambaSID eq
overlay memberof
memberof-group-oc groupOfNames
memberof-member-ad member
memberof-memberof-ad memberOf
access to dn.base="" by * read
access to dn.base="cn=Subschema" by * read
access to attrs=userPassword by self =xw by anonymous auth by * none
access to attrs=userCertificate by dn.exact="${SERVICE_DN}" write by users read by * none
access to * by users read by * none
`,
  );
  const ldapPort = await freePort();
  const ldapsPort = await freePort();
  const ldapUrl = `ldap://127.0.0.1:${ldapPort}`;
  const ldapsUrl = `ldaps://127.0.0.1:${ldapsPort}`;
  const env = { ...process.env, LDAPTLS_CACERT: join(dir, 'ca.pem'), LDAPTLS_REQCERT: 'demand' };
  let proc: ChildProcess | undefined;
  let frozen = false;

  const ready = () =>
    spawnSync('ldapsearch', ['-x', '-H', ldapUrl, '-b', '', '-s', 'base', '-o', 'nettimeout=1', 'namingContexts'], {
      env,
      stdio: 'ignore',
      timeout: 3000,
    }).status === 0;
  const start = async () => {
    const log = join(dir, 'slapd.log');
    proc = spawn('/usr/sbin/slapd', ['-f', join(dir, 'slapd.conf'), '-h', `${ldapUrl}/ ${ldapsUrl}/`, '-d', '0'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    proc.stderr?.on('data', (d: Buffer) => writeFileSync(log, d, { flag: 'a' }));
    for (let i = 0; i < 100; i++) {
      if (proc.exitCode !== null) break;
      if (ready()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `slapd did not start:\n${(() => {
        try {
          return readFileSync(log, 'utf8');
        } catch {
          return '(no log)';
        }
      })()}`,
    );
  };
  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const p = proc;
    if (frozen) {
      p.kill('SIGCONT');
      frozen = false;
    }
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await exited;
  };

  await start();
  const ldif = join(dir, 'seed.ldif');
  writeFileSync(ldif, seedLdif(servicePassword));
  execFileSync('ldapmodify', ['-x', '-a', '-H', ldapUrl, '-ZZ', '-D', ADMIN_DN, '-w', adminPassword, '-f', ldif], {
    env,
    stdio: 'pipe',
  });

  return {
    dir,
    ldapUrl,
    ldapsUrl,
    caFile: join(dir, 'ca.pem'),
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    otherCaFile: join(dir, 'other-ca.pem'),
    servicePassword,
    adminPassword,
    running: () => !!proc && proc.exitCode === null && proc.signalCode === null && !frozen,
    stop,
    start,
    async freeze() {
      if (!proc?.pid) return;
      proc.kill('SIGSTOP');
      frozen = true;
      // kill() only queues the signal; wait until every thread is stopped (state T).
      for (let i = 0; i < 100; i++) {
        const state = /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${proc.pid}/stat`, 'utf8'))?.[1];
        if (state === 'T' || state === 't') return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error('slapd did not stop');
    },
    thaw() {
      proc?.kill('SIGCONT');
      frozen = false;
    },
    ldapsearch(base, filter, attrs = [], scope = 'sub') {
      return execFileSync(
        'ldapsearch',
        [
          '-x',
          '-LLL',
          '-o',
          'ldif-wrap=no',
          '-H',
          ldapUrl,
          '-ZZ',
          '-D',
          ADMIN_DN,
          '-w',
          adminPassword,
          '-s',
          scope,
          '-b',
          base,
          filter,
          ...attrs,
        ],
        { env, stdio: 'pipe' },
      ).toString('utf8');
    },
    ldapmodify(text) {
      execFileSync('ldapmodify', ['-x', '-H', ldapUrl, '-ZZ', '-D', ADMIN_DN, '-w', adminPassword], {
        env,
        input: text,
        stdio: 'pipe',
      });
    },
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
