#!/usr/bin/env node
// `npm run bench`: build dist/, then run each benchmark part in turn — bench/issuance.mjs
// and, when present, bench/revocation.mjs — and write their tables
// together to bench/results/bench.md (whole runs) and stdout. Each part also writes its
// own file in bench/results/. See bench/README.md.
//
//   npm run bench                          everything
//   npm run bench -- --only issuance       one part (issuance | revocation | signin)
//   npm run bench -- --issuance "--seconds 10 --repeat 3"   extra arguments for a part
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = opt('only');

const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const parts = ['issuance', 'revocation', 'signin'].filter(
  (p) => (!only || only === p) && existsSync(join(root, 'bench', `${p}.mjs`)),
);
const sections = [];
let failed = false;
for (const part of parts) {
  process.stderr.write(`\n== bench/${part}.mjs ==\n`);
  const extra = (opt(part) ?? '').split(' ').filter(Boolean);
  const r = spawnSync(process.execPath, [join(root, 'bench', `${part}.mjs`), '--no-build', ...extra], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) {
    failed = true;
    process.stderr.write(`bench/${part}.mjs exited with ${r.status ?? r.signal}\n`);
  }
  if (r.stdout.trim()) sections.push(r.stdout.trim());
}
const md = `${sections.join('\n\n---\n\n')}\n`;
// The combined file is written by whole runs only; each part keeps its own file either way.
if (!only) {
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/bench.md'), md);
}
process.stdout.write(`\n${md}`);
process.exit(failed ? 1 : 0);
