/**
 * `tessera cert …`: issued certificates — list, show (decoded), export, revoke and
 * release from hold. Revocation goes through ra/revoke.ts, which decides who may revoke
 * what (managers anything; users their own, for self-service reasons only) and audits.
 */
import { Option, type Command } from 'commander';
import { parseReason, release, revoke, REVOCATION_REASONS } from '../../../ra/revoke.js';
import { TesseraError } from '../../../errors/TesseraError.js';
import type { CertificateRecord, CertificateStatus } from '../../../store/records.js';
import { certsOnlyPkcs7 } from '../../../x509/certsOnlyPkcs7.js';
import { toPem } from '../../../x509/pem.js';
import { parseLimit, parseSerial } from '../argParsers.js';
import type { CliContext } from '../CliContext.js';
import { optionalField } from '../Output.js';
import { describeCertificate } from '../describeCertificate.js';
import { writeOutputFile } from '../readInputFile.js';

const STATUSES: readonly CertificateStatus[] = ['issued', 'revoked', 'reserved', 'abandoned'];

/** RFC 5280 §5.3.1 reason code → name. */
export function reasonName(code: number | null): string | null {
  if (code === null) return null;
  return Object.entries(REVOCATION_REASONS).find(([, v]) => v === code)?.[0] ?? String(code);
}

/** A certificate that was signed and released; reserved/abandoned rows have no certificate. */
function signed(rec: CertificateRecord | undefined, serial: string): CertificateRecord & { der: Buffer } {
  if (!rec) throw new TesseraError('CERT_NOT_FOUND', serial);
  if (!rec.der || (rec.status !== 'issued' && rec.status !== 'revoked'))
    throw new TesseraError('CERT_NOT_FOUND', `${serial} is ${rec.status}; no certificate was released`);
  return rec as CertificateRecord & { der: Buffer };
}

export function register(program: Command, ctx: CliContext): void {
  const cert = program.command('cert').description('issued certificates');

  cert
    .command('list')
    .description('list certificates, newest first')
    .option('--user <user>', 'only certificates whose subject is this directory user')
    .addOption(new Option('--status <status>', 'only certificates with this status').choices(STATUSES))
    .option('--limit <n>', 'at most this many (default 100)', parseLimit)
    .action(
      ctx.withTessera(async (t, o) => {
        const rows = await t.store.certificates.list({ subjectUser: o.user, status: o.status, limit: o.limit });
        ctx.out.table(
          rows,
          [
            { header: 'SERIAL', value: (c) => c.serial },
            {
              header: 'STATUS',
              value: (c) => (c.status === 'revoked' ? `revoked (${reasonName(c.revocationReason)})` : c.status),
            },
            { header: 'USER', value: (c) => c.subjectUser },
            { header: 'TEMPLATE', value: (c) => c.template },
            { header: 'NOT AFTER', value: (c) => c.notAfter },
            { header: 'REQUEST', value: (c) => c.requestId },
            { header: 'SUBJECT', value: (c) => c.subject },
          ],
          rows.map(({ der: _der, ...c }) => ({ ...c, revocationReason: reasonName(c.revocationReason) })),
        );
      }),
    );

  cert
    .command('show')
    .description('show a certificate: subject, SAN (UPN), SID, EKUs, validity, status, revocation')
    .argument('<serial>', 'serial number in hex (colons allowed)', parseSerial)
    .action(
      ctx.withTessera(async (t, serial: string) => {
        const rec = await t.store.certificates.get(serial);
        if (!rec) throw new TesseraError('CERT_NOT_FOUND', serial);
        const d = rec.der ? describeCertificate(rec.der) : null;
        const status = rec.status === 'revoked' ? `revoked (${reasonName(rec.revocationReason)})` : rec.status;
        const pairs: [string, unknown][] = [
          ['Serial', rec.serial],
          ['Status', status],
          ...optionalField('Revoked', rec.revokedAt),
          ['Request ID', rec.requestId ?? ''],
          ['User', rec.subjectUser ?? ''],
          ['Template', rec.template ?? ''],
          ['CA', rec.caId],
          ['Issued', rec.issuedAt ?? ''],
        ];
        if (d) {
          pairs.push(
            ['Subject', d.subject || '(empty)'],
            ['Issuer', d.issuer],
            ['Not before', d.notBefore],
            ['Not after', d.notAfter],
            ['Public key', d.publicKey],
            ['Signature', d.signatureAlgorithm],
            ['Subject alt. name', d.subjectAltNames.length ? d.subjectAltNames : '(none)'],
            ['UPN', d.upn ?? '(none)'],
            ['SID extension', d.sid ?? '(none)'],
            ['Extended key usage', d.ekus.length ? d.ekus : '(none)'],
            [
              'Key usage',
              d.keyUsage.length ? `${d.keyUsage.join(', ')}${d.keyUsageCritical ? ' (critical)' : ''}` : '(none)',
            ],
            ['Basic constraints', d.basicConstraints ?? '(none)'],
            ['Certificate template', d.template ?? '(none)'],
            ...optionalField('Application policies', d.applicationPolicies),
            ['CRL distribution', d.crlDistributionPoints],
            ['Authority info', d.authorityInfoAccess],
            ...optionalField('Other extensions', d.otherExtensions),
            ['SHA-256', d.sha256],
          );
        } else {
          pairs.push(['Subject', rec.subject], ['Not before', rec.notBefore], ['Not after', rec.notAfter]);
        }
        const { der: _der, ...record } = rec;
        ctx.out.fields(pairs, {
          ...record,
          revocationReason: reasonName(rec.revocationReason),
          decoded: d,
          pem: rec.der ? toPem(rec.der, 'CERTIFICATE') : null,
        });
      }),
    );

  cert
    .command('export')
    .description('write a certificate as PEM, DER, or a PKCS#7 (.p7b) with its chain')
    .argument('<serial>', 'serial number in hex', parseSerial)
    .addOption(
      new Option('--format <format>', 'pem, der, or p7b (certs-only PKCS#7 with the chain)')
        .choices(['pem', 'der', 'p7b'])
        .default('pem'),
    )
    .option('--chain', 'PEM: append the CA chain (issuing CA first, root last)')
    .option('--out <file>', 'write to this file instead of standard output')
    .action(async (serial: string, o) => {
      // RFC 5280 certificates are one per DER object; a chain needs PEM or PKCS#7.
      if (o.format === 'der' && o.chain)
        throw new TesseraError(
          'INPUT_INVALID',
          'a DER file holds one certificate; use --format pem --chain or --format p7b',
        );
      const t = await ctx.tessera();
      const rec = signed(await t.store.certificates.get(serial), serial);
      const chain = o.chain || o.format === 'p7b' ? t.chain(rec.caId) : [];
      const data: string | Buffer =
        o.format === 'pem'
          ? [rec.der, ...chain].map((c) => toPem(c, 'CERTIFICATE')).join('')
          : o.format === 'der'
            ? rec.der
            : certsOnlyPkcs7([rec.der, ...chain]);
      if (o.out) {
        await writeOutputFile(o.out, data);
        ctx.out.result(
          { serial: rec.serial, format: o.format, chain: chain.length, file: o.out },
          `Wrote ${o.out} (${o.format}${chain.length ? `, with ${chain.length} CA certificate(s)` : ''})`,
        );
      } else if (ctx.json) {
        ctx.out.result({
          serial: rec.serial,
          format: o.format,
          data: typeof data === 'string' ? data : data.toString('base64'),
        });
      } else {
        ctx.out.write(data);
      }
    });

  cert
    .command('revoke')
    .description(
      'revoke a certificate (certificate managers; a user may revoke ' +
        'their own for keyCompromise, superseded, cessationOfOperation)',
    )
    .argument('<serial>', 'serial number in hex', parseSerial)
    .addOption(
      new Option('--reason <reason>', 'RFC 5280 reason')
        .choices(Object.keys(REVOCATION_REASONS))
        .default('unspecified'),
    )
    .option('--as <user>', 'act as this directory user (default: the local administrator)')
    .action(
      ctx.withTessera(async (t, serial: string, o) => {
        const r = await revoke(t, await ctx.actor(o.as), serial, parseReason(o.reason));
        ctx.out.result(r, `Revoked ${r.serial} (${r.reason}) at ${r.revokedAt.toISOString()}`);
      }),
    );

  cert
    .command('release')
    .description('release a certificate from hold (certificateHold is the only revocation that can be undone)')
    .argument('<serial>', 'serial number in hex', parseSerial)
    .option('--as <user>', 'act as this directory user (a certificate manager)')
    .action(
      ctx.withTessera(async (t, serial: string, o) => {
        await release(t, await ctx.actor(o.as), serial);
        ctx.out.result({ serial, released: true }, `Released ${serial} from hold`);
      }),
    );
}
