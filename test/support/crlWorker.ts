/**
 * A second Tessera node in its own process, publishing CRLs on the same database: SQLite
 * locking is per process (better-sqlite3 waits for the lock synchronously), so on SQLite
 * "two nodes" means two processes. Run with `node --import tsx test/support/crlWorker.ts
 * DATA_DIR COUNT`; prints the numbers it published as JSON.
 */
import { publishCrl } from '../../src/ra/publishCrl.js';
import { Tessera } from '../../src/Tessera.js';

const [dir, count] = process.argv.slice(2);
const t = await Tessera.open(dir);
const got: { number: number; thisUpdate: number }[] = [];
try {
  for (let i = 0; i < Number(count); i++) {
    const c = await publishCrl(t, { kind: i % 2 ? 'delta' : 'full' });
    got.push({ number: c.number, thisUpdate: c.thisUpdate.getTime() });
  }
} finally {
  await t.close();
}
process.stdout.write(JSON.stringify(got));
