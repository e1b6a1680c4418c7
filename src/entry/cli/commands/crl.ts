/**
 * `tessera crl …` (certutil -crl): publish a CA's full or delta CRL now, show the current
 * one (or write it out), list what was published. Publishing the offline root's CRL
 * loads keys/root.key.pem for that one signature: `tessera crl publish --ca root`.
 */
import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { TesseraError } from '../../../errors/TesseraError.js';
import { currentCrl, type CurrentCrl } from '../../../ra/currentCrl.js';
import { publishCrl } from '../../../ra/publishCrl.js';
import { toPem } from '../../../x509/pem.js';
import { parseLimit } from '../argParsers.js';
import type { CliContext } from '../CliContext.js';
import { optionalField } from '../Output.js';
import { writeOutputFile } from '../readInputFile.js';

function parseHours(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 24 * 3660)
    throw new TesseraError('INPUT_INVALID', `--validity-hours: a positive number of hours, not "${v}"`);
  return n;
}

/** The JSON fields `crl publish` and `crl show` both report, in this order. */
function crlSummary(c: Omit<CurrentCrl, 'etag'>) {
  return {
    ca: c.caId,
    kind: c.kind,
    number: c.number,
    baseNumber: c.baseNumber,
    thisUpdate: c.thisUpdate,
    nextUpdate: c.nextUpdate,
    entries: c.entries,
    bytes: c.der.length,
  };
}

export function register(program: Command, ctx: CliContext): void {
  const crl = program.command('crl').description('certificate revocation lists (full and delta)');

  crl
    .command('publish')
    .description('publish a new CRL now (the issuing CA by default; --ca root signs with the root key)')
    .option('--ca <id>', 'which CA (default: the issuing CA)')
    .option('--delta', 'a delta CRL against the newest full CRL (issuing CA only)')
    .option(
      '--validity-hours <hours>',
      'validity of a CRL of a CA other than the issuing CA (default 4320 = 180 days)',
      parseHours,
    )
    .action(
      ctx.withTessera(async (t, o) => {
        const c = await publishCrl(t, {
          caId: o.ca,
          kind: o.delta ? 'delta' : 'full',
          validityHours: o.validityHours,
          actor: await ctx.actor(),
        });
        const value = crlSummary(c);
        ctx.out.result(
          value,
          `Published ${c.kind} CRL ${c.number}${c.baseNumber ? ` (base ${c.baseNumber})` : ''} ` +
            `of ${c.caId}: ${c.entries} entries, next update ${c.nextUpdate.toISOString()}`,
        );
      }),
    );

  crl
    .command('show')
    .description('the CRL relying parties get now')
    .option('--ca <id>', 'which CA (default: the issuing CA)')
    .option('--delta', 'the delta CRL instead of the full CRL')
    .option('--out <file>', 'write the CRL to this file (DER, or PEM with --pem)')
    .option('--pem', 'PEM ("X509 CRL") instead of DER for --out')
    .action(
      ctx.withTessera(async (t, o) => {
        const caId: string = o.ca ?? t.config.issuingCa;
        const c = await currentCrl(t, caId, o.delta ? 'delta' : 'full', 0);
        if (o.out) await writeOutputFile(o.out, o.pem ? toPem(c.der, 'X509 CRL') : c.der);
        const url = `${t.config.publicUrl.replace(/\/+$/, '')}/pki/${caId}${c.kind === 'delta' ? '+' : ''}.crl`;
        ctx.out.fields(
          [
            ['CA', c.caId],
            ['Kind', c.kind],
            ['CRL number', c.number],
            ['Base CRL number', c.baseNumber],
            ['This update', c.thisUpdate],
            ['Next update', c.nextUpdate],
            ['Entries', c.entries],
            ['Size (bytes)', c.der.length],
            ['SHA-256', createHash('sha256').update(c.der).digest('hex')],
            ['URL', url],
            ...optionalField('Written to', o.out),
          ],
          {
            ...crlSummary(c),
            url,
            out: o.out ?? null,
          },
        );
      }),
    );

  crl
    .command('list')
    .description('published CRLs, newest first (the newest few of each kind are kept)')
    .option('--ca <id>', 'only this CA')
    .option('--limit <n>', 'at most this many (default 50)', parseLimit)
    .action(
      ctx.withTessera(async (t, o) => {
        const rows = await t.store.crls.list(o.ca, o.limit ?? 50);
        ctx.out.table(rows, [
          { header: 'CA', value: (c) => c.caId },
          { header: 'NUMBER', value: (c) => c.number },
          { header: 'KIND', value: (c) => c.kind },
          { header: 'BASE', value: (c) => c.baseNumber },
          { header: 'THIS UPDATE', value: (c) => c.thisUpdate },
          { header: 'NEXT UPDATE', value: (c) => c.nextUpdate },
          { header: 'ENTRIES', value: (c) => c.entries },
        ]);
      }),
    );
}
