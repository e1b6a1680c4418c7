/**
 * Which certificates on a card are an enrollment agent's own (Certificate Request Agent,
 * 1.3.6.1.4.1.311.20.2.1, as EKU or application policy — the test `tessera enroll-on-behalf
 * --agent-card` applies, src/client/enroll/cardAgentSigner.ts). The card list marks them so
 * the enrollment station does not offer the agent's own card as the target's card.
 */
import pkcs11js from 'pkcs11js';
import { readSignerCertificate } from '../../x509/cmc/signerCertificate.js';
import type { CardSession } from '../../card/CardSession.js';
import { isAgentCertificate } from '../enroll/cardAgentSigner.js';

const P = pkcs11js;

/** CKA_IDs (hex) of the card's enrollment agent certificates; public objects only, no PIN needed. */
export function agentCertificateIds(s: CardSession): Set<string> {
  const ids = new Set<string>();
  for (const h of s.find([{ type: P.CKA_CLASS, value: P.CKO_CERTIFICATE }])) {
    const der = s.attr(h, P.CKA_VALUE);
    if (!der) continue;
    try {
      if (isAgentCertificate(readSignerCertificate(der))) ids.add(s.attr(h, P.CKA_ID)?.toString('hex') ?? '');
    } catch {
      /* not an X.509 certificate we can read: not an agent certificate */
    }
  }
  return ids;
}
