// What every benchmark script starts with: the repository root, its `--name value`
// options, and a fresh build of dist/ unless `--no-build` is given.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const args = process.argv.slice(2);

/** The value after `--name` on the command line, or `def`. */
export function opt(name, def) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
}

/** `node scripts/build.mjs` unless `--no-build`; exits with its status when it fails. */
export function buildUnlessNoBuild() {
  if (args.includes('--no-build')) return;
  const r = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
