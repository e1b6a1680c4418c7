/**
 * `tessera enroll`: request a certificate whose key is generated on a smart card, and
 * install it there (the seed's web enrollment, steps 7–11, from a terminal). The
 * password goes to the CA over HTTPS; the PIN only ever goes to the card.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { describeCard } from '../../../card/CardError.js';
import { parseHash, parseKeySpec } from '../../../card/cardKeys.js';
import { CaClient } from '../../../client/enroll/CaClient.js';
import {
  enrollOnCard,
  retrieveOnCard,
  type EnrollOnCardResult,
  type RequestFormat,
} from '../../../client/enroll/enrollOnCard.js';
import { TesseraError } from '../../../errors/TesseraError.js';
import type { CliContext } from '../CliContext.js';
import { cardOptions, selectorOf, withModule, withSecrets } from './card.js';

export function register(program: Command, ctx: CliContext): void {
  cardOptions(program.command('enroll'))
    .description(
      'enroll for a certificate with a key generated on a smart card, ' +
        'and install it on the card (standard input: password, then PIN)',
    )
    .requiredOption('--server <url>', 'the Tessera site, e.g. https://ca.example.com:8443')
    .requiredOption('--user <name>', 'your user name at the CA')
    .option('--password-stdin', 'read the password from the first line of standard input')
    .option('--pin-stdin', 'read the card PIN from the next line of standard input')
    .option('--template <name>', 'certificate template', 'SmartcardUser')
    .option('--format <format>', 'request format: cmc (as certsrv) or pkcs10', 'cmc')
    .option('--hash <alg>', 'hash for signing the request: sha1, sha256, sha384, sha512', 'sha256')
    .option('--key-alg <alg>', 'rsa or ec', 'rsa')
    .option('--key-size <bits>', 'RSA key size', '2048')
    .option('--curve <name>', 'EC curve: P-256, P-384 or P-521', 'P-256')
    .option('--friendly-name <name>', 'the certificate label on the card (default: "<template> Certificate")')
    .option('--container <name>', 'key container name (the key label on the card); automatic by default')
    .option(
      '--ca-cert <file...>',
      "CA certificate(s) the server's TLS certificate must chain to (Tessera's certs/root.cer or certs/chain.pem)",
    )
    .option('--retrieve <requestId>', 'install the certificate of an approved pending request on the card')
    .action(async (o) => {
      await withSecrets(ctx, async (secrets) => {
        const format = String(o.format).toLowerCase() as RequestFormat;
        if (format !== 'cmc' && format !== 'pkcs10')
          throw new TesseraError('INPUT_INVALID', `--format ${o.format}: cmc or pkcs10`);
        const hash = parseHash(o.hash);
        const key = parseKeySpec(o.keyAlg, o.keyAlg === 'rsa' ? o.keySize : undefined, o.curve);
        const caCerts = await Promise.all(
          ((o.caCert as string[] | undefined) ?? []).map((f) =>
            readFile(f).catch(() =>
              Promise.reject(new TesseraError('INPUT_INVALID', `--ca-cert ${f}: cannot read the file`)),
            ),
          ),
        );
        const password = await secrets.get(`password for ${o.user}`, !!o.passwordStdin);
        const client = new CaClient(o.server, o.user, password, caCerts);
        const friendlyName: string = o.friendlyName ?? `${o.template} Certificate`;
        const r = await withModule(o.module, (module) => {
          const target = {
            module,
            card: selectorOf(o),
            pin: () => secrets.get(`PIN for card "${o.card ?? o.cardSerial ?? ''}"`, !!o.pinStdin),
          };
          if (o.retrieve !== undefined) {
            const id = Number(o.retrieve);
            if (!Number.isInteger(id) || id <= 0)
              throw new TesseraError('INPUT_INVALID', `--retrieve ${o.retrieve}: a request ID`);
            return retrieveOnCard({ ...target, client, requestId: id, friendlyName });
          }
          return enrollOnCard({
            ...target,
            client,
            template: o.template,
            format,
            hash,
            key,
            friendlyName,
            container: o.container,
          });
        });
        report(ctx, r);
      });
    });
}

function report(ctx: CliContext, r: EnrollOnCardResult): void {
  const round = (n?: number) => (n === undefined ? undefined : Math.round(n));
  ctx.out.result(
    {
      ...r,
      timings: {
        keygenMs: round(r.timings.keygen),
        signMs: round(r.timings.sign),
        submitMs: round(r.timings.submit),
        installMs: round(r.timings.install),
      },
    },
    () => {
      ctx.out.line(`Request ${r.requestId}: ${r.disposition} — ${r.message}`);
      if (r.certificate) {
        ctx.out.line(
          `Installed certificate ${r.serial ?? ''} on card ${describeCard(r.card)} ` +
            `as "${r.certificate.label}" (CKA_ID ${r.certificate.id})`,
        );
      } else if (r.disposition === 'pending') {
        ctx.out.line(
          `The key stays on card ${describeCard(r.card)}. Once a ` +
            'certificate manager approves, install the certificate with:',
        );
        ctx.out.line(`  tessera enroll --retrieve ${r.requestId} --server … --user … --card "${r.card.label}"`);
      }
    },
  );
}
