import { Tessera } from '/work/main/dist/Tessera.js';
import { initDataDir } from '/work/main/dist/setup/initDataDir.js';
import { sql } from '/work/main/node_modules/kysely/dist/esm/index.js';
import { mkdtempSync } from 'node:fs';
const dir = mkdtempSync('/tmp/c-');
await initDataDir({ dataDir: dir, keyAlgorithm: 'RSA-2048', rootKeyAlgorithm: 'RSA-2048', hostnames: ['localhost'], publicUrl: 'http://x' });
const t = await Tessera.open(dir);
const now = Date.now(); const k = Number(process.argv[2] ?? 10000);
await sql`with recursive seq(i) as (select 1 union all select i + 1 from seq where i < ${k})
 insert into certificates (serial, ca_id, request_id, subject, subject_user, template, not_before, not_after, status, tbs, der, issued_at, revoked_at, revocation_reason, created_at)
 select '4' || substr(lower(hex(randomblob(16))), 2), 'issuing', null, 'CN=bench', null, 'bench', ${now - 86_400_000}, ${now + 365 * 86_400_000}, 'revoked', x'00', null, ${now}, ${now - 86_400_000} + i * 1000, i % 4, ${now} from seq`.execute(t.store.db);
await t.close();
console.log(dir);
