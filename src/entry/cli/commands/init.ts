import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { CA_KEY_ALGORITHMS, type CaKeyAlgorithm } from '../../../keys/Signer.js';
import { initDataDir } from '../../../setup/initDataDir.js';
import type { CliContext } from '../CliContext.js';

const fingerprint = (der: Buffer) =>
  createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');

export function register(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('create a data directory with a CA hierarchy (root + issuing CA by default)')
    .option('--ca-name <name>', 'CA name; the CAs are "<name> Root CA" and "<name> Issuing CA"', 'Tessera')
    .option('--org <organization>', 'organisation (O=) in the CA names')
    .option('--key-alg <alg>', `issuing CA key: ${CA_KEY_ALGORITHMS.join(', ')}`, 'RSA-2048')
    .option('--root-key-alg <alg>', 'root CA key (default RSA-4096, or P-384 for an ECDSA issuing CA)')
    .option('--single-tier', 'one CA that is both root and issuing')
    .option('--root-validity-days <days>', 'root CA validity', (v) => Number(v), 7300)
    .option('--ca-validity-days <days>', 'issuing CA validity', (v) => Number(v), 3650)
    .option('--domain <NAME>', 'NetBIOS-style domain name for DOMAIN\\user', 'TESSERA')
    .option('--dns-domain <name>', 'DNS domain for UPNs and DNs', 'tessera.local')
    .option('--database <url>', 'a postgres:// URL instead of SQLite in the data directory')
    .option('--public-url <url>', 'base URL for CRL, AIA and OCSP in certificates (plain HTTP)')
    .option('--hostname <name...>', 'host names for the HTTPS certificate (default: localhost and this machine)')
    .option('--port <port>', 'HTTPS port', (v) => Number(v), 8443)
    .option('--http-port <port>', 'plain HTTP port for /pki and /ocsp (0: none)', (v) => Number(v), 8080)
    .option(
      '--ca-key-store <store>',
      'where CA keys are generated: file (encrypted PKCS#8) or pkcs11 (an HSM / SoftHSM2 token)',
      'file',
    )
    .option('--pkcs11-module <path>', 'with pkcs11: the PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so)')
    .option('--pkcs11-token <label>', 'with pkcs11: the token label')
    .option(
      '--pkcs11-pin-env <name>',
      'with pkcs11: the environment variable holding the token PIN (never stored)',
      'TESSERA_PKCS11_PIN',
    )
    .option('--root-key-store <store>', 'with pkcs11: keep the root key as a file instead (file or pkcs11)')
    .action(async (o) => {
      const r = await initDataDir({
        dataDir: ctx.dataDir,
        caName: o.caName,
        organization: o.org,
        keyAlgorithm: o.keyAlg as CaKeyAlgorithm,
        rootKeyAlgorithm: o.rootKeyAlg as CaKeyAlgorithm | undefined,
        singleTier: !!o.singleTier,
        rootValidityDays: o.rootValidityDays,
        caValidityDays: o.caValidityDays,
        domain: o.domain,
        dnsDomain: o.dnsDomain,
        database: o.database,
        publicUrl: o.publicUrl,
        hostnames: o.hostname,
        port: o.port,
        httpPort: o.httpPort,
        keyStore: o.caKeyStore === 'pkcs11' ? 'pkcs11' : 'file',
        ...(o.caKeyStore === 'pkcs11'
          ? {
              pkcs11: {
                module: o.pkcs11Module,
                token: o.pkcs11Token,
                pinEnv: o.pkcs11PinEnv,
                rootKeyStore: o.rootKeyStore,
              },
            }
          : {}),
        actor: await ctx.actor(),
      });
      ctx.out.result(
        {
          dataDir: r.dataDir,
          rootFingerprint: fingerprint(r.rootCertificate),
          issuingFingerprint: fingerprint(r.issuingCertificate),
          config: r.config,
        },
        () => {
          ctx.out.line(`Initialised ${r.dataDir}`);
          ctx.out.line(`  root CA SHA-256 fingerprint:    ${fingerprint(r.rootCertificate)}`);
          ctx.out.line(`  issuing CA SHA-256 fingerprint: ${fingerprint(r.issuingCertificate)}`);
          ctx.out.line(`  CA certificates: ${r.dataDir}/certs/`);
          if (!o.singleTier)
            ctx.out.line(
              '  The root CA key (keys/root.key.pem) is only needed to ' +
                'sign CA certificates and the root CRL; keep it offline.',
            );
        },
      );
    });
}
