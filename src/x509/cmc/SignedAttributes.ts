import { Attribute } from '@peculiar/asn1-cms';
import { AsnArray, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';

/**
 * The attributes a SignerInfo signs (RFC 5652 §5.3, §5.4). The signature covers the
 * DER of this SET OF, so its elements must be in DER order (X.690 §11.6); use
 * `sortedAttributes` before encoding.
 *
 * ```asn1
 * SignedAttributes ::= SET SIZE (1..MAX) OF Attribute
 * ```
 */
@AsnType({ type: AsnTypeTypes.Set, itemType: Attribute })
export class SignedAttributes extends AsnArray<Attribute> {
  constructor(items?: Attribute[]) {
    super(items);
    Object.setPrototypeOf(this, SignedAttributes.prototype);
  }
}
