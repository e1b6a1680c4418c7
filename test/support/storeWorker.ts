/**
 * Another process on the same database, for the store contract suite: SQLite locking is
 * per process (better-sqlite3 waits synchronously for a lock), so "two nodes" on SQLite
 * means two processes. Run with `node --import tsx test/support/storeWorker.ts TARGET
 * KEYHEX JOB ARG`; it prints "ready" once the store is open, waits for a line on stdin,
 * runs the job and prints its JSON result.
 *
 *   insert N        N concurrent group-commit request inserts → their IDs
 *   approve ID      move request ID from pending to issuing → true / false
 *   audit N         N concurrent audit appends → their sequence numbers
 */
import { createInterface } from 'node:readline';
import { Store } from '../../src/store/Store.js';

const [target, keyHex, job, arg] = process.argv.slice(2);
const store = await Store.open(target, Buffer.from(keyHex, 'hex'));
process.stdout.write('ready\n');
const rl = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => rl.once('line', () => resolve()));
rl.close();

const at = new Date('2026-11-25T12:00:00.000Z');
let result: unknown;
if (job === 'insert') {
  result = await Promise.all(
    Array.from({ length: Number(arg) }, () =>
      store.batch((tx) =>
        tx.requests.insert({
          submittedAt: at,
          requester: 'worker',
          subjectUser: 'worker',
          agent: null,
          template: 'SmartcardUser',
          format: 'pkcs10',
          requestDer: null,
          requestSha256: '00'.repeat(32),
          attributes: {},
          disposition: 'pending',
          code: null,
          message: 'Taken Under Submission.',
          source: 'worker',
        }),
      ),
    ),
  );
} else if (job === 'approve') {
  result = await store.transaction((tx) =>
    tx.requests.resolve(Number(arg), ['pending'], {
      disposition: 'issuing',
      code: null,
      message: 'Issuing',
      resolvedAt: at,
      resolvedBy: 'worker',
    }),
  );
} else if (job === 'audit') {
  result = await Promise.all(
    Array.from({ length: Number(arg) }, (_, i) =>
      store.batch((tx) => tx.audit.append({ actor: 'worker', action: 'test.concurrent', details: { i } })),
    ),
  );
} else {
  throw new Error(`unknown job ${job}`);
}
await store.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
