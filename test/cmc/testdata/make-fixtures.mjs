#!/usr/bin/env node
// Regenerates the Windows CMC fixtures in this folder from the certutil hex dumps
// published in the Microsoft documentation (see the header of each *.hex.txt):
//
//   node test/cmc/testdata/make-fixtures.mjs          # writes windows-cmc*.der
//   node test/cmc/testdata/make-fixtures.mjs --check  # fails if a .der is out of date
//
// Each dump line is "offset: hex bytes ; comment"; lines without an offset and text after
// ";" are ignored, so the original certutil output works as input too. Every offset must
// equal the number of bytes read so far (catches a dropped or repeated byte), and the
// outer TLV length must cover the file exactly.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = [
  ['windows-cmc.hex.txt', 'windows-cmc.der'],
  ['windows-cmc-eobo.hex.txt', 'windows-cmc-eobo.der'],
];

export function hexDumpToDer(text, name = 'dump') {
  const bytes = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const m = /^\s*([0-9a-fA-F]{4,8}):(.*)$/.exec(raw);
    if (!m) return;
    const offset = parseInt(m[1], 16);
    if (offset !== bytes.length) throw new Error(`${name}:${i + 1}: offset ${m[1]} but ${bytes.length.toString(16)} bytes read`);
    const data = m[2].split(';')[0].replace(/\|/g, ' ');
    for (const tok of data.trim().split(/\s+/).filter(Boolean)) {
      if (!/^[0-9a-fA-F]{2}$/.test(tok)) throw new Error(`${name}:${i + 1}: "${tok}" is not a hex byte`);
      bytes.push(parseInt(tok, 16));
    }
  });
  const der = Buffer.from(bytes);
  // Outer TLV: 0x30, long-form length.
  if (der[0] !== 0x30) throw new Error(`${name}: does not start with a SEQUENCE`);
  const n = der[1] & 0x7f;
  const len = der[1] < 0x80 ? der[1] : [...der.subarray(2, 2 + n)].reduce((a, b) => a * 256 + b, 0);
  const head = der[1] < 0x80 ? 2 : 2 + n;
  if (head + len !== der.length) throw new Error(`${name}: outer length ${head + len} but ${der.length} bytes`);
  return der;
}

const check = process.argv.includes('--check');
let stale = 0;
for (const [src, out] of FIXTURES) {
  const der = hexDumpToDer(readFileSync(join(here, src), 'utf8'), src);
  const target = join(here, out);
  if (check) {
    if (!existsSync(target) || !readFileSync(target).equals(der)) {
      console.error(`${out} is out of date; run node ${join('test/cmc/testdata', 'make-fixtures.mjs')}`);
      stale++;
    }
  } else {
    writeFileSync(target, der);
    console.log(`${out}: ${der.length} bytes`);
  }
}
process.exit(stale ? 1 : 0);
