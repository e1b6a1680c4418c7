/**
 * A "certs-only" PKCS#7 (RFC 5652 §5 SignedData with no signers; RFC 2797 calls it a
 * degenerate certificates-only message): certnew.p7b, chain downloads, REST chains.
 */
import { integer, oid, seq, setOf, tlv, explicit } from './der.js';
import { OID } from './oids.js';

export function certsOnlyPkcs7(certs: readonly Uint8Array[]): Buffer {
  const signedData = seq(
    integer(1),
    setOf(), // digestAlgorithms
    seq(oid(OID.data)), // encapContentInfo without content
    tlv(0xa0, ...certs), // certificates [0] IMPLICIT SET OF (order kept: leaf first)
    setOf(), // signerInfos
  );
  return seq(oid(OID.signedData), explicit(0, signedData));
}
