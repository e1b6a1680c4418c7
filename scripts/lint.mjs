// `npm run lint` (and the first step of `npm test`): the formatter check and the linter
// (Biome, biome.jsonc), the import rules between layers (dependency-cruiser,
// .dependency-cruiser.cjs, described in docs/architecture.md) and the type checks of the
// server with its tests and of the browser client. Each step prints its own findings; the first failure
// stops the run with that step's exit status.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

const steps = [
  ['format and lint (biome ci)', bin('biome'), ['ci', '--reporter=summary', '.']],
  ['import rules (dependency-cruiser)', bin('depcruise'), ['--config', '.dependency-cruiser.cjs', 'src']],
  // tsconfig.test.json is tsconfig.json with the tests added (src/**/*.test.ts and test/).
  ['types of the server and the tests (tsc)', bin('tsc'), ['-p', 'tsconfig.test.json']],
  ['types of the browser client (tsc)', bin('tsc'), ['-p', 'src/client/web', '--noEmit']],
];

for (const [what, cmd, args] of steps) {
  const started = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root });
  if (r.status !== 0) {
    console.error(`lint: ${what} failed; \`npm run format\` rewrites the formatting, the rest is for you to fix`);
    process.exit(r.status ?? 1);
  }
  console.log(`lint: ${what} passed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
