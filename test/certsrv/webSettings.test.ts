/**
 * The `web` section of tessera.json as the certsrv pages use it: the card agent address
 * the forms start from (until the browser remembers another), and the catalog's template
 * order, whose first template the user may request is the one the advanced form selects.
 * Refused at start when wrong, naming the setting.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/Config.js';
import { configProblems, saveConfig } from '../../src/config/loadConfig.js';
import { webSettingsProblems } from '../../src/config/webSettings.js';
import { buildApp } from '../../src/entry/http/buildApp.js';
import { TesseraError } from '../../src/errors/TesseraError.js';
import { Tessera } from '../../src/Tessera.js';
import { basic, buildTestApp } from '../support/app.js';
import { newCertsrvCa } from '../support/certsrvCa.js';
import type { TestCa } from '../support/tessera.js';

let ca: TestCa;
let plain: FastifyInstance;
let configured: FastifyInstance;
let t2: Tessera;

beforeAll(async () => {
  ca = await newCertsrvCa();
  await ca.user('agent', { groups: ['Enrollment Agents'] });
  plain = await buildTestApp(ca);
  // The same data directory with a `web` section, opened as a server would open it.
  await saveConfig(ca.t.paths.config, {
    ...ca.t.config,
    web: { cardAgentUrl: 'http://127.0.0.1:9123', templateOrder: ['SmartcardUser', 'SmartcardLogon'] },
  });
  t2 = await Tessera.open(ca.dir, { caches: { ttlMs: 0 } });
  configured = await buildApp({
    tessera: t2,
    sessionKey: randomBytes(32),
    limits: { enrollPerMinutePerUser: 0, enrollPerMinutePerAddress: 0 },
  });
});
afterAll(async () => {
  await configured?.close();
  await t2?.close();
  await plain?.close();
  await ca?.close();
});

const page = async (app: FastifyInstance, url: string, user: string) => {
  const res = await app.inject({ method: 'GET', url, headers: basic(user) });
  expect(res.statusCode).toBe(200);
  return res.body;
};
const agentField = (body: string) => /<input id="tbAgentUrl"[^>]* value="([^"]*)"/.exec(body)?.[1];
const selectedTemplate = (body: string) =>
  /<option value="[^"]*" data-name="([^"]+)"[^>]* selected[ >]/.exec(body)?.[1];
const templateNames = (body: string) =>
  [...body.matchAll(/<option value="E;[^"]*" data-name="([^"]+)"/g)].map((m) => m[1]);

describe('web.cardAgentUrl: the card agent address the pages start from', () => {
  it('without it, the agent default port 8399; with it, the configured address, on the request form and the station', async () => {
    expect(agentField(await page(plain, '/certsrv/certrqma.asp', 'alice'))).toBe('http://127.0.0.1:8399');
    expect(agentField(await page(configured, '/certsrv/certrqma.asp', 'alice'))).toBe('http://127.0.0.1:9123');
    expect(agentField(await page(configured, '/certsrv/certsces.asp', 'agent'))).toBe('http://127.0.0.1:9123');
  });

  it('only a loopback HTTP address: anything else is refused at start, naming the setting', () => {
    for (const bad of [
      'https://127.0.0.1:8399',
      'http://192.0.2.1:8399',
      'http://127.0.0.1.evil.example:8399',
      'http://127.0.0.1:8399/v1',
      'not a url',
      42,
    ]) {
      expect(webSettingsProblems({ cardAgentUrl: bad as string })).toEqual([
        'web.cardAgentUrl: an http://127.0.0.1:PORT or http://localhost:PORT address (the card agent listens on this computer only)',
      ]);
    }
    expect(webSettingsProblems({ cardAgentUrl: 'http://localhost:8400' })).toEqual([]);
    expect(configProblems({ ...ca.t.config, web: { cardAgentUrl: 'https://evil.example' } } as Config)).toContain(
      'web.cardAgentUrl: an http://127.0.0.1:PORT or http://localhost:PORT address (the card agent listens on this computer only)',
    );
    expect(webSettingsProblems({ templateOrder: ['SmartcardUser', 'smartcarduser'] })).toEqual([
      'web.templateOrder: a template is named twice',
    ]);
    expect(webSettingsProblems({ templateOrder: 'SmartcardUser' as unknown as string[] })).toEqual([
      'web.templateOrder: a list of template names',
    ]);
    expect(webSettingsProblems([] as unknown as Config['web'] & object)).toEqual(['web: an object']);
  });

  it('a bad web section stops the data directory from opening', async () => {
    const { readFileSync, writeFileSync } = await import('node:fs');
    const file = ca.t.paths.config;
    const good = readFileSync(file, 'utf8');
    try {
      writeFileSync(file, JSON.stringify({ ...JSON.parse(good), web: { cardAgentUrl: 'http://192.0.2.1:8399' } }));
      const e = await Tessera.open(ca.dir).then(
        () => null,
        (x: unknown) => x as TesseraError,
      );
      expect(e).toBeInstanceOf(TesseraError);
      expect(e).toMatchObject({ code: 'CONFIG_INVALID' });
      expect(e!.detail).toContain('web.cardAgentUrl');
    } finally {
      writeFileSync(file, good);
    }
  });
});

describe("web.templateOrder: the catalog's order, and the template the request form selects", () => {
  it('by name without it; the configured names first with it — and the form selects the first template alice may request here', async () => {
    const before = await page(plain, '/certsrv/certrqma.asp', 'alice');
    expect(templateNames(before)).toEqual([
      'SmartcardApproval',
      'SmartcardByAgent',
      'SmartcardLogon',
      'SmartcardUser',
      'User',
      'WebServer',
    ]);
    expect(selectedTemplate(before)).toBe('SmartcardApproval');
    const after = await page(configured, '/certsrv/certrqma.asp', 'alice');
    expect(templateNames(after)).toEqual([
      'SmartcardUser',
      'SmartcardLogon',
      'SmartcardApproval',
      'SmartcardByAgent',
      'User',
      'WebServer',
    ]);
    expect(selectedTemplate(after)).toBe('SmartcardUser');
  });

  it('never selects a template that needs an agent signature (disabled on this form); a linked ?template= wins', async () => {
    await saveConfig(ca.t.paths.config, {
      ...ca.t.config,
      web: { templateOrder: ['SmartcardByAgent', 'SmartcardUser'] },
    });
    const t3 = await Tessera.open(ca.dir, { caches: { ttlMs: 0 } });
    const app = await buildApp({
      tessera: t3,
      sessionKey: randomBytes(32),
      limits: { enrollPerMinutePerUser: 0, enrollPerMinutePerAddress: 0 },
    });
    try {
      const body = await page(app, '/certsrv/certrqma.asp', 'alice');
      expect(templateNames(body).slice(0, 2)).toEqual(['SmartcardByAgent', 'SmartcardUser']);
      expect(selectedTemplate(body)).toBe('SmartcardUser');
      expect(selectedTemplate(await page(app, '/certsrv/certrqma.asp?template=SmartcardLogon', 'alice'))).toBe(
        'SmartcardLogon',
      );
    } finally {
      await app.close();
      await t3.close();
    }
  });
});
