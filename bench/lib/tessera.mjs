// Tessera under load: a fresh data directory per issuing-CA key type, the real server as
// its own process (`node bin/tessera.js serve`), a session for the load client, and the
// checks afterwards (certificates in the database, `openssl verify`, `tessera audit verify`).
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { freePort, sh, waitPort } from './proc.mjs';

export const BENCH_USER = 'bench';
export const BENCH_PASSWORD = 'bench-password-1';
export const TEMPLATE = 'SmartcardUser';

export async function setupTessera(root, dir, keyAlgorithm) {
  const dist = (p) => join(root, 'dist', p);
  const { initDataDir } = await import(dist('setup/initDataDir.js'));
  const { Tessera } = await import(dist('Tessera.js'));
  const { createGroup, setGroupMember } = await import(dist('ra/admin/groups.js'));
  const { setTemplateGrant } = await import(dist('ra/admin/templates.js'));
  const { createUser } = await import(dist('ra/admin/users.js'));
  await initDataDir({
    dataDir: dir,
    caName: 'Bench',
    organization: 'Tessera Bench',
    keyAlgorithm,
    rootKeyAlgorithm: keyAlgorithm,
    publicUrl: 'http://127.0.0.1:1',
    hostnames: ['localhost'],
  });
  const t = await Tessera.open(dir, { withIssuingKey: false });
  const actor = { kind: 'local', name: 'bench', source: 'cli' };
  try {
    await createGroup(t, actor, 'Bench Enrollers', 'benchmark');
    await setTemplateGrant(t, actor, TEMPLATE, 'Bench Enrollers', true);
    await createUser(t, actor, {
      username: BENCH_USER,
      displayName: 'Bench User',
      email: 'bench@bench.example.com',
      password: BENCH_PASSWORD,
      groups: ['Bench Enrollers'],
    });
    void setGroupMember;
  } finally {
    await t.close();
  }
  const config = JSON.parse(readFileSync(join(dir, 'tessera.json'), 'utf8'));
  return { dbFile: join(dir, config.database), chainFile: join(dir, 'certs/chain.pem') };
}

/** `node bin/tessera.js serve` on 127.0.0.1, enrollment rate limits off, no request log. */
export async function startTesseraServer(root, dir, extraArgs = [], env = {}) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
      join(root, 'bin/tessera.js'),
      '-d',
      dir,
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--http-port',
      '0',
      '--quiet',
      '--enroll-rate-limit',
      '0',
      ...extraArgs,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    },
  );
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise((r) => child.on('exit', (code, sig) => r({ code, sig })));
  try {
    await Promise.race([
      waitPort(port),
      exited.then((e) => Promise.reject(new Error(`server exited (${e.code ?? e.sig}): ${log}`))),
    ]);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return {
    pid: child.pid,
    port,
    url: `https://127.0.0.1:${port}`,
    log: () => log,
    async stop() {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}

function httpsJson(url, body, ca) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = request(
      url,
      {
        method: 'POST',
        ca,
        servername: 'localhost',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** Sign in once (POST /api/v1/session); the load client then sends the cookie and the anti-forgery token. */
export async function session(server, chainFile) {
  const r = await httpsJson(
    `${server.url}/api/v1/session`,
    { username: BENCH_USER, password: BENCH_PASSWORD },
    readFileSync(chainFile),
  );
  if (r.status !== 200) throw new Error(`sign-in failed: ${r.status} ${r.body}`);
  const cookie = [r.headers['set-cookie']]
    .flat()
    .map((c) => c.split(';')[0])
    .find((c) => c.startsWith('tessera_session='));
  return { cookie, 'x-csrf-token': JSON.parse(r.body).csrfToken };
}

/** One request through the same path, checked: 201 with a certificate that `openssl verify` accepts. */
export async function probe(server, chainFile, headers, csrPem, work) {
  const data = JSON.stringify({ csr: csrPem, template: TEMPLATE });
  const r = await new Promise((resolve, reject) => {
    const req = request(
      `${server.url}/api/v1/requests`,
      {
        method: 'POST',
        ca: readFileSync(chainFile),
        servername: 'localhost',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(data),
          cookie: headers.cookie,
          'x-csrf-token': headers['x-csrf-token'],
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, body: text }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
  if (r.status !== 201) throw new Error(`probe request: ${r.status} ${r.body}`);
  const cert = join(work, 'probe.pem');
  writeFileSync(cert, JSON.parse(r.body).certificate);
  sh('openssl', ['verify', '-CAfile', chainFile, cert]);
}

/**
 * After a run: how many certificates the database holds as issued, and `openssl verify`
 * of a random sample of them against the chain (read straight from the SQLite file).
 */
export async function checkDatabase(root, dbFile, chainFile, work, sample = 20) {
  const { default: Database } = await import(join(root, 'node_modules/better-sqlite3/lib/index.js'));
  const db = new Database(dbFile, { readonly: true });
  try {
    const counts = Object.fromEntries(
      db
        .prepare('select status, count(*) n from certificates where template = ? group by status')
        .all(TEMPLATE)
        .map((r) => [r.status, r.n]),
    );
    const rows = db
      .prepare("select der from certificates where template = ? and status = 'issued' order by random() limit ?")
      .all(TEMPLATE, sample);
    let verified = 0;
    for (const [i, r] of rows.entries()) {
      const f = join(work, `sample-${i}.pem`);
      writeFileSync(
        f,
        `-----BEGIN CERTIFICATE-----\n${r.der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`,
      );
      const v = sh('openssl', ['verify', '-CAfile', chainFile, f], { allowFail: true });
      if (v.status === 0) verified++;
    }
    const requests = Object.fromEntries(
      db
        .prepare('select disposition, count(*) n from requests group by disposition')
        .all()
        .map((r) => [r.disposition, r.n]),
    );
    return {
      issued: counts.issued ?? 0,
      reserved: counts.reserved ?? 0,
      abandoned: counts.abandoned ?? 0,
      requests,
      sampled: rows.length,
      verified,
    };
  } finally {
    db.close();
  }
}

export function auditVerify(root, dir) {
  const r = sh(process.execPath, [join(root, 'bin/tessera.js'), '-d', dir, '--json', 'audit', 'verify'], {
    allowFail: true,
  });
  return { ok: r.status === 0, out: (r.stdout + r.stderr).trim() };
}
