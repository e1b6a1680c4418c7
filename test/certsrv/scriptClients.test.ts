/**
 * Existing AD CS Web Enrollment clients, replayed against Tessera with their exact
 * requests and parsing (docs/certsrv.md). Where a client is a shell script, the
 * script's own pipeline runs with real curl, grep and cut against a real HTTPS listener.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resubmit } from '../../src/ra/resubmit.js';
import { certText, openssl, opensslCsr, tmpFile } from '../support/openssl.js';
import { basic, buildTestApp, PASSWORD } from '../support/app.js';
import { newCertsrvCa } from '../support/certsrvCa.js';
import { startTestServer, type TestServer } from '../support/server.js';
import type { TestCa } from '../support/tessera.js';

let ca: TestCa;
let app: FastifyInstance;
let server: TestServer;

beforeAll(async () => {
  ca = await newCertsrvCa();
  app = await buildTestApp(ca);
  server = await startTestServer(ca);
});
afterAll(async () => {
  await server?.close();
  await app?.close();
  await ca?.close();
});

const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
const post = (body: string, headers: Record<string, string> = {}, user = 'alice') =>
  app.inject({
    method: 'POST',
    url: '/certsrv/certfnsh.asp',
    headers: { ...basic(user), 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: body,
  });
const get = (url: string, headers: Record<string, string> = {}, user = 'alice') =>
  app.inject({ method: 'GET', url, headers: { ...basic(user), ...headers } });

describe('magnuswatn/certsrv (Python, certsrv.py v2.1.1)', () => {
  const UA = { 'user-agent': 'Mozilla/5.0 certsrv (https://github.com/magnuswatn/certsrv)' };

  it('check_credentials: 200 with good credentials, 401 Unauthorized with bad ones', async () => {
    expect((await get('/certsrv/', UA)).statusCode).toBe(200);
    const bad = await app.inject({ method: 'GET', url: '/certsrv/', headers: { ...UA, ...basic('alice', 'wrong') } });
    expect(bad.statusCode).toBe(401);
    expect(bad.statusMessage).toBe('Unauthorized');
  });

  it('get_cert: issued → certnew.cer?ReqID=N&Enc=b64 with Content-Type application/pkix-cert', async () => {
    const res = await post(
      form({
        Mode: 'newreq',
        CertRequest: opensslCsr('rsa:2048').csr,
        CertAttrib: 'CertificateTemplate:SmartcardUser\r\n',
        FriendlyType: 'Saved-Request Certificate',
        TargetStoreFlags: '0',
        SaveCert: 'yes',
      }),
      UA,
    );
    expect(res.statusCode).toBe(200);
    const id = /certnew.cer\?ReqID=(\d+)&/.exec(res.body)?.[1];
    expect(id).toMatch(/^\d+$/);
    const cert = await get(`/certsrv/certnew.cer?ReqID=${id}&Enc=b64`, UA);
    expect(cert.headers['content-type']).toBe('application/pkix-cert');
    expect(cert.body).toMatch(
      /^-----BEGIN CERTIFICATE-----\r\n([A-Za-z0-9+/=]{64}\r\n)+[A-Za-z0-9+/=]{1,64}\r\n-----END CERTIFICATE-----\r\n$/,
    );
    const der = await get(`/certsrv/certnew.cer?ReqID=${id}&Enc=bin`, UA);
    expect(der.rawPayload[0]).toBe(0x30);
    expect(certText(der.rawPayload)).toContain('UPN::alice@tessera.local');
  });

  it('get_cert: pending → "Certificate Pending" and "Your Request Id is N."; get_existing_cert then reads "Taken Under Submission"', async () => {
    const res = await post(
      form({
        Mode: 'newreq',
        CertRequest: opensslCsr('P-256').csr,
        CertAttrib: 'CertificateTemplate:SmartcardApproval\r\n',
        FriendlyType: 'Saved-Request Certificate',
        TargetStoreFlags: '0',
        SaveCert: 'yes',
      }),
      UA,
    );
    expect(/certnew.cer\?ReqID=(\d+)&/.exec(res.body)).toBeNull();
    expect(res.body).toMatch(/Certificate Pending/);
    const id = /Your Request Id is (\d+)\./.exec(res.body)![1];
    const retry = await get(`/certsrv/certnew.cer?ReqID=${id}&Enc=b64`, UA);
    expect(retry.headers['content-type']).not.toBe('application/pkix-cert');
    expect(/Disposition message:[^\t]+\t\t([^\r\n]+)/.exec(retry.body)?.[1]).toBe('Taken Under Submission');
  });

  it('get_cert: denied → RequestDeniedException with the disposition message', async () => {
    const unknown = await post(
      form({
        Mode: 'newreq',
        CertRequest: opensslCsr('P-256').csr,
        CertAttrib: 'CertificateTemplate:NoSuchTemplate\r\n',
        FriendlyType: 'Saved-Request Certificate',
        TargetStoreFlags: '0',
        SaveCert: 'yes',
      }),
      UA,
    );
    expect(/The disposition message is "([^"]+)/.exec(unknown.body)?.[1]).toContain(
      'The request was for a certificate template that is not supported',
    );
    const garbage = await post(
      form({
        Mode: 'newreq',
        CertRequest: 'not a csr',
        CertAttrib: 'CertificateTemplate:SmartcardUser\r\n',
        TargetStoreFlags: '0',
        SaveCert: 'yes',
      }),
      UA,
    );
    expect(/The disposition message is "([^"]+)/.exec(garbage.body)?.[1]).toMatch(/^Error Parsing Request/);
  });

  it('get_ca_cert and get_chain: nRenewals from certcarc.asp, exact content types, b64 chain under a CERTIFICATE header', async () => {
    const carc = await get('/certsrv/certcarc.asp', UA);
    const n = /var nRenewals=(\d+);/.exec(carc.body)![1];
    const caCert = await get(`/certsrv/certnew.cer?ReqID=CACert&Enc=b64&Renewal=${n}`, UA);
    expect(caCert.headers['content-type']).toBe('application/pkix-cert');
    const b64 = await get(`/certsrv/certnew.p7b?ReqID=CACert&Renewal=${n}&Enc=b64`, UA);
    expect(b64.headers['content-type']).toBe('application/x-pkcs7-certificates');
    expect(b64.body).toContain('-----BEGIN CERTIFICATE-----');
    const bin = await get(`/certsrv/certnew.p7b?ReqID=CACert&Renewal=${n}&Enc=bin`, UA);
    expect(bin.rawPayload.includes(Buffer.from('-----BEGIN CERTIFICATE-----'))).toBe(false);
    const certs = openssl(['pkcs7', '-inform', 'DER', '-print_certs', '-noout'], bin.rawPayload);
    expect(certs.stdout.match(/subject=/g)).toHaveLength(2);
  });
});

describe('ly4k/Certipy (lib/req.py, commands/relay.py, commands/find.py)', () => {
  const UA = {
    'user-agent':
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0',
  };

  it('find: an unauthenticated GET /certsrv/ answers 401 (web enrollment enabled) and never offers NTLM', async () => {
    const res = await app.inject({ method: 'GET', url: '/certsrv/', headers: UA });
    expect(res.statusCode).toBe(401);
    expect(String(res.headers['www-authenticate'])).toMatch(/^Basic /);
    expect(String(res.headers['www-authenticate'])).not.toMatch(/NTLM|Negotiate/);
  });

  it('relay -enum-templates: the lbCertTemplate select on certrqxt.asp, field 1 of each option value', async () => {
    const page = (await get('/certsrv/certrqxt.asp', UA)).body;
    const select = /<select name="lbCertTemplate" id="lbCertTemplateID">([\s\S]*?)<\/select>/.exec(page)![1];
    const names = [...select.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1].split(';')[1]);
    expect(names).toEqual(expect.arrayContaining(['SmartcardUser', 'SmartcardLogon', 'User']));
  });

  it('web_request + web_retrieve: "\\n"-joined attributes, no Enc → PEM; the SAN attribute does not reach the certificate (ESC6)', async () => {
    const attrs = [
      'CertificateTemplate:SmartcardUser',
      'SAN:upn=administrator@tessera.local&dns=dc.tessera.local',
    ].join('\n');
    const res = await post(
      form({
        Mode: 'newreq',
        CertAttrib: attrs,
        CertRequest: opensslCsr('P-256').csr,
        TargetStoreFlags: '0',
        SaveCert: 'yes',
        ThumbPrint: '',
      }),
      UA,
    );
    const id = [...res.body.matchAll(/certnew.cer\?ReqID=([0-9]+)&/g)][0][1];
    const cert = await get(`/certsrv/certnew.cer?ReqID=${id}`, UA);
    expect(cert.body).toContain('BEGIN CERTIFICATE');
    const der = Buffer.from(cert.body.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const text = certText(der);
    expect(text).toContain('UPN::alice@tessera.local');
    expect(text).not.toContain('administrator');
    expect(text).not.toContain('dc.tessera.local');
    const audit = await ca.t.store.audit.list({ requestId: Number(id) });
    expect(JSON.stringify(audit[0].details)).toMatch(/SAN request attribute .* ignored.*ESC6/);
  });

  it('_handle_policy_denial: "Denied by Policy Module  0x…," with the HRESULT, for carol who may not enroll', async () => {
    const res = await post(
      form({
        Mode: 'newreq',
        CertAttrib: 'CertificateTemplate:SmartcardUser',
        CertRequest: opensslCsr('P-256').csr,
        TargetStoreFlags: '0',
        SaveCert: 'yes',
        ThumbPrint: '',
      }),
      UA,
      'carol',
    );
    expect(/certnew.cer\?ReqID=([0-9]+)&/.exec(res.body)).toBeNull();
    expect(res.body).not.toContain('template that is not supported');
    expect(/Your Request Id is ([0-9]+)/.exec(res.body)).not.toBeNull();
    expect(/Denied by Policy Module {2}(0x[0-9a-fA-F]+),/.exec(res.body)?.[1]).toBe('0x80094012');
    const id = /Your Request Id is ([0-9]+)/.exec(res.body)![1];
    const again = await get(`/certsrv/certnew.cer?ReqID=${id}`, UA, 'carol');
    expect(/(0x[a-zA-Z0-9]+) \([-]?[0-9]+ /.exec(again.body)?.[1]).toBe('0x80094012');
  });

  it('web_retrieve of an unknown or foreign request ID: "The requested property value is empty"', async () => {
    const res = await get('/certsrv/certnew.cer?ReqID=999999', UA);
    expect(res.body).toContain('The requested property value is empty');
    expect(/ (0x[0-9a-fA-F]+) \(/.exec(res.body)?.[1]).toBe('0x80094004');
  });
});

describe('fortra/impacket ntlmrelayx adcsattack.py and pwnAD', () => {
  it('impacket: location="certnew.cer?ReqID=…& then GET certnew.cer?ReqID=N as PEM', async () => {
    const body = new URLSearchParams({
      Mode: 'newreq',
      CertRequest: opensslCsr('rsa:2048').csr,
      CertAttrib: 'CertificateTemplate:SmartcardUser',
      TargetStoreFlags: '0',
      SaveCert: 'yes',
      ThumbPrint: '',
    }).toString();
    const res = await post(body, {
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:78.0) Gecko/20100101 Firefox/78.0',
      'content-length': String(Buffer.byteLength(body)),
    });
    const id = [...res.body.matchAll(/location="certnew.cer\?ReqID=(.*?)&/g)][0][1];
    const pem = await get(`/certsrv/certnew.cer?ReqID=${id}`);
    expect(openssl(['x509', '-noout', '-subject'], pem.body).status).toBe(0);
  });

  it('pwnAD: a headerless base64 request with + as %2b and spaces as +, CertAttrib with %0d%0a', async () => {
    const { csr } = opensslCsr('P-256');
    const b64 = csr
      .replace(/-----[^-]+-----/g, '')
      .replace(/\s/g, '')
      .replace(/\+/g, '%2b');
    const body = `Mode=newreq&CertRequest=${b64}&CertAttrib=CertificateTemplate:SmartcardUser%0d%0aSAN:upn=administrator@tessera.local&TargetStoreFlags=0&SaveCert=yes&ThumbPrint=`;
    const res = await post(body);
    const id = /location="certnew.cer\?ReqID=(.*?)&/.exec(res.body)![1];
    const cert = await get(`/certsrv/certnew.cer?ReqID=${id}&Enc=b64`);
    expect(certText(Buffer.from(cert.body.replace(/-----[^-]+-----|\s/g, ''), 'base64'))).not.toContain(
      'administrator',
    );
  });
});

describe('nokia/adcs-issuer (Go, cert-manager issuer)', () => {
  const UA = { 'user-agent': 'Mozilla' };

  it('POST with a CertificateTemplate form field (ignored), then ENC=b64 retrieval switching on Content-Type', async () => {
    const res = await post(
      form({
        Mode: 'newreq',
        CertRequest: opensslCsr('P-256').csr,
        CertAttrib: 'CertificateTemplate:SmartcardUser',
        FriendlyType: 'Saved-Request Certificate',
        TargetStoreFlags: '0',
        SaveCert: 'yes',
        CertificateTemplate: 'SmartcardUser',
      }),
      UA,
    );
    expect(String(res.headers['content-type']).split(';')[0]).toBe('text/html');
    const id = /certnew.cer\?ReqID=([0-9]+)&/.exec(res.body)![1];
    const cert = await get(`/certsrv/certnew.cer?ReqID=${id}&ENC=b64`, UA);
    expect(String(cert.headers['content-type'])).toMatch(/^application\/pkix-cert/);
  });

  it('pending: Disposition message and LastStatus items parsed from the text/html answer', async () => {
    const res = await post(
      form({
        Mode: 'newreq',
        CertRequest: opensslCsr('P-256').csr,
        CertAttrib: 'CertificateTemplate:SmartcardApproval',
        FriendlyType: 'Saved-Request Certificate',
        TargetStoreFlags: '0',
        SaveCert: 'yes',
      }),
      UA,
    );
    const id = /Your Request Id is ([0-9]+)./.exec(res.body)![1];
    const r = await get(`/certsrv/certnew.cer?ReqID=${id}&ENC=b64`, UA);
    expect(String(r.headers['content-type']).split(';')[0]).toBe('text/html');
    expect(/Disposition message:[^\t]+\t\t([^\r\n]+)/.exec(r.body)?.[1]).toMatch(/Taken Under Submission/);
    expect(/LastStatus:[^\t]+\t\t([^\r\n]+)/.exec(r.body)?.[1]).toMatch(/0x[0-9a-f]{8} \(-\d+ [A-Z_]+\)/);
    // After approval the same retrieval gives the certificate.
    await resubmit(
      ca.t,
      { kind: 'user', user: (await ca.t.directory.findUser('manager'))!, source: 'test' },
      Number(id),
    );
    const issued = await get(`/certsrv/certnew.cer?ReqID=${id}&ENC=b64`, UA);
    expect(issued.headers['content-type']).toBe('application/pkix-cert');
  });

  it('CA certificate and chain by certcarc.asp nRenewals and ENC=b64', async () => {
    const n = /var nRenewals=([0-9]+);/.exec((await get('/certsrv/certcarc.asp', UA)).body)![1];
    expect((await get(`/certsrv/certnew.cer?ReqID=CACert&ENC=b64&Renewal=${n}`, UA)).headers['content-type']).toBe(
      'application/pkix-cert',
    );
    expect((await get(`/certsrv/certnew.p7b?ReqID=CACert&ENC=b64&Renewal=${n}`, UA)).headers['content-type']).toBe(
      'application/x-pkcs7-certificates',
    );
  });
});

describe('DavidVentura/caddy-certsrv (Go)', () => {
  it('takes the first link with b64 but neither p7b nor CA, after HTML-decoding &amp;', async () => {
    const res = await post(
      form({ Mode: 'newreq', CertRequest: opensslCsr('P-256').csr, CertAttrib: 'CertificateTemplate:SmartcardUser' }),
      { 'user-agent': 'Go-http-client/1.1' },
    );
    const hrefs = [...res.body.matchAll(/<a href="([^"]+)"/gi)].map((m) => m[1].replace(/&amp;/g, '&'));
    const link = hrefs.find((h) => h.includes('b64') && !h.includes('p7b') && !h.includes('CA'))!;
    expect(link).toMatch(/^certnew\.cer\?ReqID=\d+&Enc=b64$/);
    expect((await get(`/certsrv/${link}`)).headers['content-type']).toBe('application/pkix-cert');
  });
});

describe('shell clients with real curl against the HTTPS listener', () => {
  // Asynchronous: the server under test runs in this process, so a synchronous child would block it.
  const run = async (script: string, env: Record<string, string>) =>
    (
      await promisify(execFile)('bash', ['-c', script], {
        env: { ...process.env, ...env },
        encoding: 'utf8',
        timeout: 60_000,
      })
    ).stdout;

  it('the StackOverflow curl recipe: inline PEM, handleGetCert line, relative GET', async () => {
    const csrFile = tmpFile(opensslCsr('rsa:2048').csr, 'req.csr');
    const out = await run(
      `set -e
CERT=$(cat "$CSR" | tr -d '\\n\\r'); CERT=$(echo \${CERT} | sed 's/+/%2B/g'); CERT=$(echo \${CERT} | tr -s ' ' '+')
OUTPUTLINK=$(curl -s --cacert "$CA" -u "alice:$PW" -H 'User-Agent: Mozilla/5.0 (Windows NT 6.3; WOW64; Trident/7.0; rv:11.0) like Gecko' -H "Referer: $URL/certsrv/certrqxt.asp" --data "Mode=newreq&CertRequest=\${CERT}&CertAttrib=CertificateTemplate:SmartcardUser%0D%0A&TargetStoreFlags=0&SaveCert=yes&ThumbPrint=" "$URL/certsrv/certfnsh.asp" | grep -A 1 'function handleGetCert() {' | tail -n 1 | cut -d '"' -f 2)
curl -s --cacert "$CA" -u "alice:$PW" "$URL/certsrv/\${OUTPUTLINK}"`,
      { CSR: csrFile, CA: server.rootFile, PW: PASSWORD, URL: server.url },
    );
    expect(out).toMatch(/^-----BEGIN CERTIFICATE-----\r\n/);
    expect(openssl(['verify', '-CAfile', server.chainFile, tmpFile(out, 'c.pem')]).stdout).toContain('OK');
  });

  it('bgstack15 certreq.sh: curl -XGET with a form body, ReqID from cut -d= -f4, CA and chain with Renewal=0', async () => {
    const csrFile = tmpFile(opensslCsr('P-256').csr, 'req.csr');
    const dir = tmpFile('', 'x').replace(/\/x$/, '');
    const out = await run(
      `set -e
CERT=$(cat "$CSR" | tr -d '\\n\\r'); CERT=$(echo \${CERT} | sed 's/+/%2B/g'); CERT=$(echo \${CERT} | tr -s ' ' '+')
DATA="Mode=newreq&CertRequest=\${CERT}&CertAttrib=CertificateTemplate:SmartcardUser&TargetStoreFlags=0&SaveCert=yes&ThumbPrint="
curl -k -s -u "alice:$PW" -XGET "$URL/certsrv/certfnsh.asp" --data "\${DATA}" -o "$DIR/res"
REQID=$(cat "$DIR/res" | grep ReqID= | cut -d= -f 4 | cut -d\\& -f1 | head -1)
curl -k -s -u "alice:$PW" -XGET "$URL/certsrv/certnew.cer?ReqID=\${REQID}&Enc=b64" -o "$DIR/cert.cer"
curl -k -s -u "alice:$PW" -XGET "$URL/certsrv/certnew.cer?ReqID=CACert&Renewal=0&Enc=b64" -o "$DIR/ca.cer"
curl -k -s -u "alice:$PW" -XGET "$URL/certsrv/certnew.p7b?ReqID=CACert&Renewal=0&Enc=b64" -o "$DIR/chain.p7b"
openssl pkcs7 -print_certs -in "$DIR/chain.p7b" -outform PEM > "$DIR/chain.pem"
echo "REQID=\${REQID}"; head -n 1 "$DIR/ca.cer" | cut -d- -f6; grep -c 'BEGIN CERTIFICATE' "$DIR/chain.pem"; openssl verify -CAfile "$DIR/chain.pem" "$DIR/cert.cer"`,
      { CSR: csrFile, PW: PASSWORD, URL: server.url, DIR: dir },
    );
    expect(out).toMatch(/^REQID=\d+$/m);
    expect(out).toContain('BEGIN CERTIFICATE');
    expect(out).toMatch(/^2$/m);
    expect(out).toMatch(/cert\.cer: OK/);
  });

  it('answers with a Content-Length and no chunked encoding (Windows CE test tool)', async () => {
    const headers = await run(
      `curl -s -D - -o /dev/null --cacert "$CA" -u "alice:$PW" "$URL/certsrv/certnew.cer?ReqID=CACert&Enc=b64"`,
      { CA: server.rootFile, PW: PASSWORD, URL: server.url },
    );
    expect(headers).toMatch(/content-length: \d+/i);
    expect(headers).not.toMatch(/transfer-encoding: chunked/i);
  });
});
