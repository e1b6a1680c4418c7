/**
 * The enrollment agent's signing credential at the enrollment station: the PKCS#12 the
 * agent saved from their own EnrollmentAgent enrollment, opened in the page with its
 * password. The key is imported into WebCrypto as non-extractable and signs the CMC
 * co-signature; nothing of it is stored or sent anywhere (only the certificate travels,
 * inside the request).
 */
import * as pkijs from 'pkijs';
import type { RequestHash } from '../../x509/buildCsr.js';
import type { CmcAgentSigner } from '../../x509/cmc/buildCmcRequest.js';
import { importSigningKey } from './browserKey.js';
import { exact } from './bytes.js';
import { pkcs8KeyType, Pkcs12Error, readPkcs12, type Pkcs12Contents } from './pkcs12.js';

/** Certificate Request Agent (szOID_ENROLLMENT_AGENT), EKU or application policy. */
export const CERTIFICATE_REQUEST_AGENT = '1.3.6.1.4.1.311.20.2.1';
const EKU = '2.5.29.37';
const APPLICATION_POLICIES = '1.3.6.1.4.1.311.21.10';
/** Largest agent PKCS#12 the page reads (a key and a few certificates are a few KB). */
export const MAX_PFX_BYTES = 256 * 1024;

export class AgentCredentialError extends Error {
  constructor(
    message: string,
    readonly field: 'fileAgentPfx' | 'tbAgentPfxPassword',
  ) {
    super(message);
    this.name = 'AgentCredentialError';
  }
}

export interface AgentCertificateInfo {
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly requestAgent: boolean;
}

function commonNameOf(c: pkijs.Certificate): string {
  // The most specific CN is the last one (CN=Helpdesk after CN=Users in DC=…,CN=Users,CN=Helpdesk).
  const cn = c.subject.typesAndValues.filter((t) => t.type === '2.5.4.3').pop();
  return cn ? String(cn.value.valueBlock.value) : '(no common name)';
}

export function describeAgentCertificate(der: Uint8Array): AgentCertificateInfo {
  const c = pkijs.Certificate.fromBER(exact(der));
  let requestAgent = false;
  for (const ext of c.extensions ?? []) {
    if (ext.extnID === EKU && ext.parsedValue instanceof pkijs.ExtKeyUsage)
      requestAgent ||= ext.parsedValue.keyPurposes.includes(CERTIFICATE_REQUEST_AGENT);
    if (ext.extnID === APPLICATION_POLICIES) {
      // Same encoding as certificatePolicies (wincrypt.h szOID_APPLICATION_CERT_POLICIES; docs/certsrv.md §7).
      try {
        const p = pkijs.CertificatePolicies.fromBER(exact(new Uint8Array(ext.extnValue.valueBlock.valueHexView)));
        requestAgent ||= p.certificatePolicies.some((x) => x.policyIdentifier === CERTIFICATE_REQUEST_AGENT);
      } catch {
        /* not parseable: the EKU decides */
      }
    }
  }
  return { subject: commonNameOf(c), notBefore: c.notBefore.value, notAfter: c.notAfter.value, requestAgent };
}

export async function loadAgentCredential(
  file: Uint8Array,
  password: string,
  hash: RequestHash,
  now = new Date(),
): Promise<CmcAgentSigner & { info: AgentCertificateInfo }> {
  if (!file.length)
    throw new AgentCredentialError('Choose your enrollment agent certificate file (.p12 or .pfx).', 'fileAgentPfx');
  if (file.length > MAX_PFX_BYTES)
    throw new AgentCredentialError('This file is too large to be an enrollment agent PKCS#12 file.', 'fileAgentPfx');
  if (!password)
    throw new AgentCredentialError(
      'Enter the password of your enrollment agent certificate file.',
      'tbAgentPfxPassword',
    );
  let contents: Pkcs12Contents;
  try {
    contents = await readPkcs12(file, password);
  } catch (e) {
    if (e instanceof Pkcs12Error)
      throw new AgentCredentialError(e.message, e.reason === 'password' ? 'tbAgentPfxPassword' : 'fileAgentPfx');
    throw e;
  }
  let info: AgentCertificateInfo;
  try {
    info = describeAgentCertificate(contents.certificate);
  } catch {
    throw new AgentCredentialError('The certificate in this file could not be read.', 'fileAgentPfx');
  }
  if (!info.requestAgent)
    throw new AgentCredentialError(
      `The certificate of ${info.subject} in this file is not an enrollment agent certificate (it lacks ` +
        `Certificate Request Agent, ${CERTIFICATE_REQUEST_AGENT}). Request an Enrollment Agent certificate first.`,
      'fileAgentPfx',
    );
  if (now > info.notAfter)
    throw new AgentCredentialError(
      'Your enrollment agent certificate expired on ' +
        `${info.notAfter.toLocaleDateString()}. Request a new Enrollment Agent certificate.`,
      'fileAgentPfx',
    );
  if (now < info.notBefore)
    throw new AgentCredentialError(
      `Your enrollment agent certificate is not valid before ${info.notBefore.toLocaleString()}.`,
      'fileAgentPfx',
    );
  const type = pkcs8KeyType(contents.privateKey);
  if (!type)
    throw new AgentCredentialError(
      'The key in this file is neither RSA nor ECDSA (P-256, P-384, P-521).',
      'fileAgentPfx',
    );
  const key = await importSigningKey(contents.privateKey, type, hash);
  contents.privateKey.fill(0);
  return { certificate: contents.certificate, keyKind: key.keyKind, hash, sign: key.sign, info };
}
