/**
 * Parsers for command-line arguments. They throw commander's InvalidArgumentError, so a
 * malformed number or serial is a usage error (exit status 2, docs/cli.md) reported
 * before anything is opened or written.
 */
import { InvalidArgumentError } from 'commander';

/** A positive integer up to `max`, e.g. `--limit` or a request ID. */
export function positiveInt(max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    if (!/^[1-9]\d{0,15}$/.test(value.trim()) || Number(value) > max)
      throw new InvalidArgumentError(`expected a whole number from 1 to ${max}`);
    return Number(value);
  };
}

/** `--limit N`: how many rows a list shows (the store's own default is 100). */
export const parseLimit = positiveInt(10_000);

/** A request ID as AD CS numbers them (a positive integer). */
export const parseRequestId = positiveInt(2 ** 31 - 1);

/**
 * A certificate serial number in hex, as `openssl x509 -serial` or certutil print it:
 * colons and spaces are dropped, case does not matter (the store keeps lower case).
 * RFC 5280 §4.1.2.2: at most 20 octets.
 */
export function parseSerial(value: string): string {
  const hex = value.replace(/[:\s]/g, '').toLowerCase();
  if (!/^[0-9a-f]{1,40}$/.test(hex))
    throw new InvalidArgumentError('expected a hexadecimal serial number (at most 20 octets)');
  return hex;
}

/** A repeatable option that also takes comma lists: `--group A --group B,C`. */
export function collectList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}

/** A repeatable option kept verbatim (values may contain commas): `--attrib "Name:Value"`. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
