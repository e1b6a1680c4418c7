/**
 * `tessera audit …`: read the hash-chained audit log and verify it (docs/security.md §10;
 * audit/chain.ts). `verify` walks every record and exits 1 naming the first one
 * that was modified, deleted, inserted or reordered, or a cut tail.
 */
import type { Command } from 'commander';
import { TesseraError } from '../../../errors/TesseraError.js';
import { parseLimit, parseRequestId, parseSerial } from '../argParsers.js';
import type { CliContext } from '../CliContext.js';

/** Details in a table cell: compact JSON, cut so one record stays one line. */
function brief(details: Record<string, unknown>, max = 100): string {
  const s = JSON.stringify(details);
  if (s === '{}') return '';
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export function register(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description('the audit log');

  audit
    .command('list')
    .description('list audit records, newest first')
    .option('--action <action>', 'only this action (e.g. request.denied, certificate.issued, template.changed)')
    .option('--actor <name>', 'only records by this actor (a username, or local:<name> for the local administrator)')
    .option('--request <id>', 'only records about this request ID', parseRequestId)
    .option('--serial <serial>', 'only records about this certificate serial', parseSerial)
    .option('--limit <n>', 'at most this many (default 100)', parseLimit)
    .action(
      ctx.withTessera(async (t, o) => {
        const rows = await t.store.audit.list({
          action: o.action,
          actor: o.actor,
          requestId: o.request,
          serial: o.serial,
          limit: o.limit,
        });
        ctx.out.table(rows, [
          { header: 'SEQ', value: (r) => r.seq },
          { header: 'AT', value: (r) => r.at },
          { header: 'ACTOR', value: (r) => r.actor },
          { header: 'ACTION', value: (r) => r.action },
          { header: 'TARGET', value: (r) => r.target },
          { header: 'REQUEST', value: (r) => r.requestId },
          { header: 'SERIAL', value: (r) => r.serial },
          { header: 'SOURCE', value: (r) => r.source },
          { header: 'DETAILS', value: (r) => brief(r.details) },
        ]);
      }),
    );

  audit
    .command('verify')
    .description('verify the hash chain of the whole audit log (exit status 1 if broken)')
    .action(
      ctx.withTessera(async (t) => {
        const v = await t.store.audit.verify();
        if (!v.ok) {
          // The first bad record, by sequence number, so an investigator knows where to start.
          throw new TesseraError(
            'AUDIT_CHAIN_BROKEN',
            `record ${v.problem!.seq}: ${v.problem!.reason} (${v.records} records before it verified)`,
          );
        }
        ctx.out.result({ ok: true, records: v.records }, `Audit log OK: ${v.records} records verified`);
      }),
    );
}
