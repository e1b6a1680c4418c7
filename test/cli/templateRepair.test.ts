/**
 * A template made invalid behind Tessera's back (edited in the database): the server
 * refuses to start and names it, issuance for it is refused, and the CLI — the repair
 * tool — can still open the data directory and fix it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tessera } from '../../src/Tessera.js';
import { newTestCa, type TestCa } from '../support/tessera.js';
import { cli } from './runCli.js';

let ca: TestCa;

beforeAll(async () => {
  ca = await newTestCa();
  // Bypass validation: an authentication template without the SID extension (ESC9).
  const bad = { ...(await ca.t.templates.get('SmartcardLogon'))!, includeSid: false };
  await ca.t.store.templates.put('SmartcardLogon', bad, 'attacker', new Date());
  await ca.t.close();
});
afterAll(async () => {
  const { rmSync } = await import('node:fs');
  rmSync(ca.dir, { recursive: true, force: true });
});

describe('repairing a template that was made invalid in the database', () => {
  it('the server does not start, naming the template and the rule', async () => {
    await expect(Tessera.open(ca.dir)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      detail: expect.stringMatching(/SmartcardLogon.*KB5014754/),
    });
  });

  it('the CLI still lists templates and refuses to show the broken one as valid', async () => {
    const list = await cli(ca.dir, ['template', 'list']);
    expect(list.status).toBe(1);
    expect(list.stderr).toMatch(/SmartcardLogon.*KB5014754/);
  });

  it('`tessera template set` repairs it, and then the server starts', async () => {
    const r = await cli(ca.dir, ['template', 'set', 'SmartcardLogon', 'includeSid=true']);
    expect(r.status, r.stderr).toBe(0);
    const t = await Tessera.open(ca.dir, { withIssuingKey: false });
    expect((await t.templates.get('SmartcardLogon'))?.includeSid).toBe(true);
    await t.close();
  });
});
