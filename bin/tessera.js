#!/usr/bin/env node
// The `tessera` command. The TypeScript sources are compiled to dist/ by `npm install`
// (the prepare script) or `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/entry/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('tessera: dist/ is missing; run `npm install` or `npm run build` first\n');
  process.exit(1);
}
const { run } = await import(main.href);
await run(process.argv);
