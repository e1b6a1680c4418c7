// `npm test`: make sure the Debian packages the suite drives are present (installing
// them with apt when running as root, otherwise printing the exact command), check the
// formatting, the lint rules, the import rules between layers and the types
// (scripts/lint.mjs), build, then run the whole suite with vitest.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Debian package → a file it provides that the suite needs. */
const PACKAGES = {
  openssl: '/usr/bin/openssl',
  postgresql: () =>
    existsSync('/usr/lib/postgresql') &&
    readdirSync('/usr/lib/postgresql').some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`)),
  slapd: '/usr/sbin/slapd',
  'ldap-utils': '/usr/bin/ldapsearch',
  softhsm2: '/usr/bin/softhsm2-util',
  opensc: '/usr/bin/pkcs11-tool',
  'gnutls-bin': '/usr/bin/p11tool',
  'libengine-pkcs11-openssl': () =>
    ['/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so', '/usr/lib/aarch64-linux-gnu/engines-3/pkcs11.so'].some(
      existsSync,
    ),
  'libpam-pkcs11': '/usr/bin/pklogin_finder',
  chromium: '/usr/bin/chromium',
  // openCryptoki's soft token really locks a PIN after wrong tries (SoftHSM2 does not): the lockout suite needs it.
  opencryptoki: () =>
    [
      '/usr/lib/x86_64-linux-gnu/pkcs11/libopencryptoki.so',
      '/usr/lib/aarch64-linux-gnu/pkcs11/libopencryptoki.so',
    ].some(existsSync),
  curl: '/usr/bin/curl',
};

const missing = Object.entries(PACKAGES)
  .filter(([, probe]) => (typeof probe === 'function' ? !probe() : !existsSync(probe)))
  .map(([pkg]) => pkg);

if (missing.length) {
  const cmd = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() === 0) {
    console.log(`npm test: installing Debian packages the suite needs: ${missing.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    let r = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    if (r.status === 0) r = spawnSync('sh', ['-c', cmd], { stdio: 'inherit', env });
    if (r.status !== 0) {
      console.error(`npm test: could not install packages; run as root:\n  apt-get update && ${cmd}`);
      process.exit(1);
    }
  } else {
    console.error(
      `npm test: the suite needs Debian packages that are missing. Run:\n  sudo apt-get update && sudo ${cmd}`,
    );
    process.exit(1);
  }
}

let r = spawnSync(process.execPath, [join(root, 'scripts', 'lint.mjs')], { stdio: 'inherit', cwd: root });
if (r.status !== 0) process.exit(r.status ?? 1);
r = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit', cwd: root });
if (r.status !== 0) process.exit(r.status ?? 1);
r = spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(r.status ?? 1);
