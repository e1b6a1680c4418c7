// The `tessera` command run from the TypeScript sources (tsx), as a separate process.
import { run } from '../../../src/entry/cli/main.js';

await run(process.argv);
