/**
 * `tessera enroll-on-behalf`: an enrollment agent enrolls another user (the seed's second
 * method; AD CS "Enroll On Behalf Of" with certreq, or the Smart Card Enrollment Station).
 * The target's key is generated in a key file, or with `--card` on the target's smart card
 * (as `tessera enroll` does); the PKCS#10 is wrapped in a CMC full PKI request that the new
 * key signs (proof of possession) and the agent countersigns, with
 * `RequesterName=DOMAIN%5Cuser&` in id-cmc-regInfo (RFC 5272 §6.11; learn.microsoft.com
 * "CMC EOBO Request"), and
 * submitted to the REST API over HTTPS as the agent.
 *
 * The agent's key is a file (`--agent-key` with `--agent-cert`) or sits on the agent's
 * own card (`--agent-card`, docs/cards.md): then the agent certificate is read from the card
 * (the certificate object next to the key, same CKA_ID) unless `--agent-cert` names it,
 * and the co-signature is made on the card after the agent's PIN — a wrong PIN stops
 * before anything reaches the CA (src/client/enroll/cardAgentSigner.ts). The keys are
 * generated, held and used in src/client/enroll/enrollOnBehalf.ts; this file is the command
 * line around it (options, files, secrets, output).
 *
 * Secrets come one per line on standard input, in this order: the agent's password
 * (`--password-stdin`), the agent card's PIN (`--agent-pin-stdin`), the target card's
 * PIN (`--pin-stdin`); or from prompts.
 *
 * The CA builds subject, SAN and SID from the target's directory record; the agent's
 * restrictions decide whether the agent may enroll that user for that template.
 */
import type { Command } from 'commander';
import { describeCard } from '../../../card/CardError.js';
import { MODULE_ENV, type Pkcs11Module } from '../../../card/pkcs11/Pkcs11Module.js';
import { SecretInput } from '../../../card/SecretInput.js';
import { CaClient } from '../../../client/enroll/CaClient.js';
import {
  enrollOnBehalf,
  fileAgentSigner,
  KEY_ALGORITHMS,
  loadAgentCertificate,
  type KeyAlgorithm,
  type OnBehalfResult,
} from '../../../client/enroll/enrollOnBehalf.js';
import { TesseraError } from '../../../errors/TesseraError.js';
import type { CmcAgentSigner } from '../../../x509/cmc/buildCmcRequest.js';
import type { CliContext } from '../CliContext.js';
import { readInputFile, writeOutputFile } from '../readInputFile.js';
import { selectorOf, withModule } from './card.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('enroll-on-behalf')
    .description(
      'as an enrollment agent, request a certificate for another user: a CMC ' +
        "request co-signed with the agent's key, from a key file or on the agent's " +
        'own card (standard input: password, agent card PIN, target card PIN)',
    )
    .requiredOption('--server <url>', 'the Tessera site, e.g. https://ca.example.com:8443')
    .requiredOption('--user <name>', "the agent's user name at the CA")
    .option('--password-stdin', 'read the password from the first line of standard input')
    .option(
      '--agent-cert <file>',
      "the agent's Enrollment Agent certificate (PEM or DER); with --agent-card, read from the card unless given",
    )
    .option(
      '--agent-key <file>',
      "the agent certificate's private key, a file (PKCS #8 PEM or DER); or use --agent-card",
    )
    .option(
      '--agent-card <label|serial>',
      "the agent's own smart card, which holds the agent key (and certificate); the co-signature is made on it",
    )
    .option('--agent-pin-stdin', "with --agent-card: read the agent card's PIN from the next line of standard input")
    .option(
      '--module <path>',
      `PKCS#11 module for the cards: a path, "softhsm2" or "opensc" (default: $${MODULE_ENV} or SoftHSM2)`,
    )
    .option(
      '--card <label>',
      "the target user's card: generate the new key on it and install the certificate there (instead of a key file)",
    )
    .option('--card-serial <serial>', "the target user's card, by serial number (when labels repeat)")
    .option('--pin-stdin', "with --card: read the target card's PIN from the next line of standard input")
    .option(
      '--friendly-name <name>',
      'with --card: the certificate label on the card (default: "<template> Certificate")',
    )
    .requiredOption('--for <DOMAIN\\user>', 'the user to enroll (RequesterName): DOMAIN\\user or a UPN')
    .requiredOption('--template <name>', 'certificate template, e.g. SmartcardLogon')
    .option('--key-alg <alg>', `the new key: ${KEY_ALGORITHMS.join(', ')}`, 'rsa:2048')
    .option(
      '--out-key <file>',
      "where to write the target's new private key (default: <user>.key.pem; never overwritten; not with --card)",
    )
    .option('--out <file>', 'write the issued certificate (PEM) here instead of standard output')
    .option(
      '--ca-cert <file...>',
      "CA certificate(s) the server's TLS certificate must chain to (Tessera's certs/root.cer)",
    )
    .action(async (o) => {
      const keyAlg = o.keyAlg as KeyAlgorithm;
      if (!KEY_ALGORITHMS.includes(keyAlg))
        throw new TesseraError('INPUT_INVALID', `--key-alg ${o.keyAlg}: one of ${KEY_ALGORITHMS.join(', ')}`);
      const target = String(o.for).trim();
      if (!target || target.length > 256 || /[\x00-\x1f]/.test(target))
        throw new TesseraError('INPUT_INVALID', '--for: DOMAIN\\user or a UPN');
      const onCard = o.card !== undefined || o.cardSerial !== undefined;
      if (o.agentCard !== undefined && o.agentKey !== undefined)
        throw new TesseraError(
          'INPUT_INVALID',
          '--agent-key and --agent-card: the agent key is either a file or on a card, not both',
        );
      if (o.agentCard === undefined && o.agentKey === undefined)
        throw new TesseraError(
          'INPUT_INVALID',
          "the agent's key: --agent-card LABEL (on the agent's card) or --agent-key FILE with --agent-cert FILE",
        );
      if (o.agentKey !== undefined && o.agentCert === undefined)
        throw new TesseraError('INPUT_INVALID', '--agent-key needs --agent-cert (the certificate of that key)');
      if (o.agentPinStdin && o.agentCard === undefined)
        throw new TesseraError('INPUT_INVALID', '--agent-pin-stdin goes with --agent-card');
      if (onCard && o.outKey !== undefined)
        throw new TesseraError(
          'INPUT_INVALID',
          '--out-key and --card: with --card the new key is generated on the card, there is no key file',
        );
      if (!onCard && (o.pinStdin || o.friendlyName !== undefined))
        throw new TesseraError('INPUT_INVALID', '--pin-stdin and --friendly-name go with --card');

      // Every file is read and checked before a secret is asked or a card touched.
      const agentCert =
        o.agentCert !== undefined ? loadAgentCertificate(await readInputFile(o.agentCert), o.agentCert) : undefined;
      let fileAgent: CmcAgentSigner | undefined;
      if (o.agentKey !== undefined) {
        fileAgent = fileAgentSigner(agentCert!, o.agentCert, await readInputFile(o.agentKey), o.agentKey);
      }
      const caCerts = await Promise.all(((o.caCert as string[] | undefined) ?? []).map((f) => readInputFile(f)));
      const secrets = new SecretInput(ctx);
      try {
        const password = await secrets.get(`password for ${o.user}`, !!o.passwordStdin);
        const client = new CaClient(o.server, o.user, password, caCerts);
        const run = (module: Pkcs11Module | undefined) =>
          enrollOnBehalf({
            client,
            target,
            template: o.template,
            keyAlg,
            agent:
              o.agentCard !== undefined
                ? {
                    card: o.agentCard,
                    certificate: agentCert,
                    pin: () => secrets.get(`PIN for the agent card "${o.agentCard}"`, !!o.agentPinStdin),
                  }
                : { file: fileAgent! },
            agentCertFromFile: o.agentCert !== undefined,
            module,
            ...(onCard
              ? {
                  targetCard: {
                    selector: selectorOf(o),
                    pin: () => secrets.get(`PIN for card "${o.card ?? o.cardSerial ?? ''}"`, !!o.pinStdin),
                    friendlyName: o.friendlyName ?? `${o.template} Certificate`,
                  },
                }
              : { outKey: o.outKey }),
          });
        const r = o.agentCard !== undefined || onCard ? await withModule(o.module, run) : await run(undefined);
        if (r.certificate && o.out) await writeOutputFile(o.out, r.certificate);
        report(ctx, r, target, o.template, o.out ?? null, o.user);
      } finally {
        secrets.close();
      }
    });
}

function report(
  ctx: CliContext,
  r: OnBehalfResult,
  target: string,
  template: string,
  certificateFile: string | null,
  agentUser: string,
): void {
  ctx.out.result({ ...r, for: target, template, certificateFile }, () => {
    ctx.out.line(`Request ${r.requestId} for ${target}: ${r.disposition} — ${r.message}`);
    ctx.out.line(
      `Signed as enrollment agent with certificate ${r.agent.certificateSerial}` +
        `${r.agent.card ? ` on card ${describeCard(r.agent.card)}` : ''}`,
    );
    if (r.card) {
      if (r.installed)
        ctx.out.line(
          `Installed certificate ${r.serial ?? ''} on card ${describeCard(r.card)} ` +
            `as "${r.installed.label}" (CKA_ID ${r.installed.id})`,
        );
      else if (r.disposition === 'pending') {
        ctx.out.line(
          `The key stays on card ${describeCard(r.card)}. Once a ` +
            'certificate manager approves, install the certificate with:',
        );
        ctx.out.line(
          `  tessera enroll --retrieve ${r.requestId} --server … --user ${agentUser} --card "${r.card.label}"`,
        );
      }
      if (r.certificate && certificateFile) ctx.out.line(`Certificate ${r.serial ?? ''}: ${certificateFile}`);
      return;
    }
    ctx.out.line(`Private key: ${r.keyFile}`);
    if (r.certificate) {
      if (certificateFile) ctx.out.line(`Certificate ${r.serial ?? ''}: ${certificateFile}`);
      else ctx.out.line(r.certificate.trimEnd());
    } else {
      ctx.out.line(`A certificate manager must approve request ${r.requestId}; the key stays in ${r.keyFile}.`);
    }
  });
}
