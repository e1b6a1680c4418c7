/**
 * What a Node TLS server knows about its client, in the validator's terms: the presented
 * chain and how possession of the key was proven. Only node:tls types; no HTTP.
 */
import type { TLSSocket } from 'node:tls';
import type { Possession } from './SmartCardValidator.js';

/**
 * The presented chain, end entity first (DER). Node completes it with issuers it found in
 * the server's `ca` list; the validator treats every certificate but the first as a mere
 * candidate for path building, so that adds nothing to trust.
 */
export function presentedChain(socket: TLSSocket): Buffer[] {
  const peer = socket.getPeerCertificate(true);
  if (!peer?.raw) return [];
  const chain = [peer.raw];
  let c = peer;
  while (c.issuerCertificate && c.issuerCertificate !== c && chain.length < 10) {
    c = c.issuerCertificate;
    if (!c.raw || chain.some((x) => x.equals(c.raw))) break;
    chain.push(c.raw);
  }
  return chain;
}

/**
 * Possession is proven by this connection's own handshake: the client signed the
 * transcript with the certificate's key (CertificateVerify, RFC 8446 §4.4.3 / RFC 5246
 * §7.4.8), which OpenSSL verifies whether or not chain verification is on. A resumed
 * session carries no CertificateVerify of its own.
 */
export function possessionOf(socket: TLSSocket): Possession {
  const protocol = socket.getProtocol() ?? 'TLS';
  // No Certificate message from the client means no CertificateVerify: nothing was proven.
  if (!socket.getPeerCertificate()?.raw)
    return { proven: false, method: `${protocol} handshake: no client certificate, so no CertificateVerify` };
  if (socket.isSessionReused())
    return { proven: false, method: `${protocol} resumed session: no CertificateVerify in this handshake` };
  return { proven: true, method: `${protocol} handshake: CertificateVerify signed with the certificate's private key` };
}
