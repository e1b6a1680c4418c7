/**
 * `tessera request …`: submit, list, show, approve and deny certificate requests (AD CS
 * certreq -submit, certutil -view, certutil -resubmit / -deny). Submission and decisions
 * go through ra/submit.ts, ra/resubmit.ts and ra/denyRequest.ts, which run the policy,
 * enforce roles and separation of duties, and audit.
 *
 * Exit status (docs/cli.md): 0 when a request ends issued or pending, 3 when it ends
 * denied or failed (a recorded disposition, not a CLI error), 1 on an error.
 */
import type { Command } from 'commander';
import { retrieve } from '../../../ra/retrieve.js';
import { denyRequest } from '../../../ra/denyRequest.js';
import type { SubmitResult } from '../../../ra/recordDecision.js';
import { resubmit } from '../../../ra/resubmit.js';
import { submit } from '../../../ra/submit.js';
import { TesseraError } from '../../../errors/TesseraError.js';
import { toPem } from '../../../x509/pem.js';
import { collect, parseLimit, parseRequestId } from '../argParsers.js';
import type { CliContext } from '../CliContext.js';
import { optionalField } from '../Output.js';
import { readInputFile, writeOutputFile } from '../readInputFile.js';

/** Exit status for a request that ended denied or failed. */
export const EXIT_DENIED = 3;

/** Print a disposition the way certreq does (request ID, disposition, message), and write --out. */
async function reportDisposition(ctx: CliContext, r: SubmitResult, out: string | undefined): Promise<void> {
  const pem = r.certificate ? toPem(r.certificate, 'CERTIFICATE') : null;
  if (out && pem) {
    try {
      await writeOutputFile(out, pem);
    } catch (e) {
      // The certificate exists and is recorded; say how to get it rather than lose it.
      const err = e as TesseraError;
      throw new TesseraError(
        err.code,
        `${err.detail}; request ${r.requestId} was issued: tessera cert export ${r.serial} --out FILE`,
      );
    }
  }
  ctx.out.result(
    {
      requestId: r.requestId,
      disposition: r.disposition,
      code: r.code,
      message: r.message,
      serial: r.serial,
      template: r.template,
      notes: r.notes,
      certificate: pem,
      written: out && pem ? out : null,
    },
    () => {
      ctx.out.fields([
        ['Request ID', r.requestId],
        ['Disposition', r.disposition],
        ...optionalField('Code', r.code),
        ['Message', r.message],
        ...optionalField('Serial', r.serial),
        ...optionalField('Notes', r.notes),
      ]);
      if (out && pem) ctx.out.line(`Certificate written to ${out}`);
      else if (out) ctx.out.line(`No certificate was issued; ${out} was not written.`);
    },
  );
  if (r.disposition === 'denied' || r.disposition === 'failed') ctx.exitStatus = EXIT_DENIED;
}

export function register(program: Command, ctx: CliContext): void {
  const request = program.command('request').description('certificate requests');

  request
    .command('submit')
    .description('submit a PKCS#10 or CMC request (PEM, base64 or DER) for a directory user')
    .requiredOption('--csr <file>', 'the request file')
    .requiredOption('--as <user>', 'the requester: names, SID and Enroll permission come from this directory user')
    .option(
      '--template <name>',
      "template (default: the CertificateTemplate attribute, then the request's template extension)",
    )
    .option('--attrib <Name:Value>', 'a request attribute, as certreq -attrib (repeatable)', collect, [])
    .option('--out <file>', 'write the issued certificate (PEM) here')
    .action(async (o) => {
      // Read the file before opening the CA, so a wrong path changes nothing.
      const bytes = await readInputFile(o.csr);
      const t = await ctx.tessera({ withIssuingKey: true });
      const actor = await ctx.actor(o.as);
      if (actor.kind !== 'user') throw new TesseraError('INTERNAL', '--as resolved to no user');
      const r = await submit(t, {
        request: bytes,
        template: o.template,
        attributes: o.attrib.join('\n'),
        requester: actor.user,
        source: 'cli',
      });
      await reportDisposition(ctx, r, o.out);
    });

  request
    .command('list')
    .description('list requests, newest first')
    .option('--pending', 'only requests waiting for a certificate manager')
    .option('--requester <user>', 'only requests submitted by this user')
    .option('--limit <n>', 'at most this many (default 100)', parseLimit)
    .action(
      ctx.withTessera(async (t, o) => {
        const rows = await t.store.requests.list({
          disposition: o.pending ? 'pending' : undefined,
          requester: o.requester,
          limit: o.limit,
        });
        ctx.out.table(
          rows,
          [
            { header: 'ID', value: (r) => r.id },
            { header: 'SUBMITTED', value: (r) => r.submittedAt },
            { header: 'REQUESTER', value: (r) => r.requester },
            { header: 'SUBJECT', value: (r) => r.subjectUser },
            { header: 'TEMPLATE', value: (r) => r.template },
            { header: 'DISPOSITION', value: (r) => r.disposition },
            { header: 'CODE', value: (r) => r.code },
            { header: 'SERIAL', value: (r) => r.serial },
          ],
          // The request bytes stay out of listings; `request show --json` has them.
          rows.map(({ requestDer: _der, ...r }) => r),
        );
      }),
    );

  request
    .command('show')
    .description('show a request: disposition, code, message, template, people, serial, times')
    .argument('<id>', 'request ID', parseRequestId)
    .action(
      ctx.withTessera(async (t, id: number) => {
        const { request: r, certificate } = await retrieve(t, await ctx.actor(), id);
        ctx.out.fields(
          [
            ['Request ID', r.id],
            ['Disposition', r.disposition],
            ['Code', r.code ?? ''],
            ['Message', r.message],
            ['Template', r.template ?? '(none)'],
            ['Format', r.format],
            ['Requester', r.requester],
            ['Subject user', r.subjectUser ?? ''],
            ['Subject', certificate?.subject ?? ''],
            ['Agent', r.agent ?? ''],
            ['Serial', r.serial ?? ''],
            ['Certificate', certificate ? certificate.status : ''],
            ['Submitted', r.submittedAt],
            ['Resolved', r.resolvedAt ?? ''],
            ['Resolved by', r.resolvedBy ?? ''],
            ['Source', r.source ?? ''],
            ['Request SHA-256', r.requestSha256],
            ['Attributes', Object.entries(r.attributes).map(([k, v]) => `${k}: ${v}`)],
          ],
          {
            ...r,
            requestDer: r.requestDer ? toPem(r.requestDer, 'CERTIFICATE REQUEST') : null,
            certificateStatus: certificate?.status ?? null,
          },
        );
      }),
    );

  request
    .command('approve')
    .description('approve a pending request (certificate managers; policy runs again)')
    .argument('<id>', 'request ID', parseRequestId)
    .option('--as <manager>', "the certificate manager approving (required: approval is a person's decision)")
    .option('--out <file>', 'write the issued certificate (PEM) here')
    .action(async (id: number, o) => {
      const t = await ctx.tessera({ withIssuingKey: true });
      const r = await resubmit(t, await ctx.actor(o.as), id);
      await reportDisposition(ctx, r, o.out);
    });

  request
    .command('deny')
    .description('deny a pending request (certificate managers); a denial is final')
    .argument('<id>', 'request ID', parseRequestId)
    .option('--as <manager>', 'the certificate manager denying (required)')
    .option('--reason <text>', 'added to the disposition message the requester sees')
    .action(
      ctx.withTessera(async (t, id: number, o) => {
        const r = await denyRequest(t, await ctx.actor(o.as), id, o.reason);
        ctx.out.result(
          { requestId: r.requestId, disposition: 'denied', code: 'DENIED_BY_MANAGER', message: r.message },
          () =>
            ctx.out.fields([
              ['Request ID', r.requestId],
              ['Disposition', 'denied'],
              ['Message', r.message],
            ]),
        );
      }),
    );
}
