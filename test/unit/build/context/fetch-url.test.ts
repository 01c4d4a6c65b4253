import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { fetchUrl } from '../../../../src/build/context/fetch-url.js';

async function text(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('fetchUrl', () => {
  let server: Server;
  let base: string;
  before(async () => {
    server = createServer((req, res) => {
      switch (req.url) {
        case '/files/hello.txt':
          res.writeHead(200, { 'last-modified': 'Wed, 21 Oct 2015 07:28:00 GMT' });
          res.end('hello');
          return;
        case '/download/':
          res.writeHead(200, { 'content-disposition': 'attachment; filename="../named.tgz"' });
          res.end('x');
          return;
        case '/moved':
          res.writeHead(302, { location: '/files/hello.txt' });
          res.end();
          return;
        case '/loop':
          res.writeHead(301, { location: '/loop' });
          res.end();
          return;
        case '/big':
          res.end(Buffer.alloc(64 * 1024, 'a'));
          return;
        case '/silent':
          return; // never answers
        case '/stalls-error':
          res.writeHead(500);
          res.write('partial');
          return; // the error body never ends
        case '/stalls-body':
          res.writeHead(200);
          res.write('partial');
          return;
        case undefined:
        default:
          res.writeHead(404, { 'content-type': 'text/plain' });
          res.end('no such thing\n');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const signal = (): AbortSignal => new AbortController().signal;

  it('200: the body, the file name from the path and Last-Modified', async () => {
    const r = await fetchUrl(`${base}/files/hello.txt`, signal());
    assert.equal(await text(r.body), 'hello');
    assert.equal(r.fileName, 'hello.txt');
    assert.equal(r.lastModified?.toISOString(), '2015-10-21T07:28:00.000Z');
  });

  it('names the file from Content-Disposition when the path has no name, never with a ..', async () => {
    const r = await fetchUrl(`${base}/download/`, signal());
    await text(r.body);
    assert.equal(r.fileName, 'named.tgz');
  });

  it('follows redirects', async () => {
    const r = await fetchUrl(`${base}/moved`, signal());
    assert.equal(await text(r.body), 'hello');
    assert.equal(r.fileName, 'hello.txt');
  });

  it("404: dockerd's message with the URL, the status and the body", async () => {
    await assert.rejects(fetchUrl(`${base}/nope`, signal()), {
      kind: 'invalid-argument',
      message: `failed to GET ${base}/nope with status 404 Not Found: no such thing`,
    });
  });

  it('stops after 10 redirects', async () => {
    await assert.rejects(fetchUrl(`${base}/loop`, signal()), /stopped after 10 redirects/);
  });

  it('a server that never answers is a timeout naming the URL, not a hang', async () => {
    await assert.rejects(fetchUrl(`${base}/silent`, signal(), { timeoutMs: 200 }), {
      kind: 'invalid-argument',
      message: new RegExp(`failed to GET ${base}/silent: no response within 200 ms`),
    });
  });

  it('a body that stops flowing is cut off after the same time', async () => {
    await assert.rejects(fetchUrl(`${base}/stalls-error`, signal(), { timeoutMs: 200 }), {
      message: `failed to GET ${base}/stalls-error with status 500 Internal Server Error: partial`,
    });
    const r = await fetchUrl(`${base}/stalls-body`, signal(), { timeoutMs: 200 });
    await assert.rejects(text(r.body), /no data for 200 ms/);
  });

  it("the caller's signal aborts a request", async () => {
    const ac = new AbortController();
    const p = fetchUrl(`${base}/silent`, ac.signal);
    ac.abort();
    await assert.rejects(p, { name: 'AbortError' });
  });

  it('refuses a body over maxBytes, other schemes and unreachable hosts', async () => {
    const r = await fetchUrl(`${base}/big`, signal(), { maxBytes: 1024 });
    await assert.rejects(text(r.body), /exceeds 1024 bytes/);
    await assert.rejects(fetchUrl('file:///etc/passwd', signal()), /unsupported URL scheme file:/);
    await assert.rejects(fetchUrl('http://127.0.0.1:1/x', signal()), {
      kind: 'invalid-argument',
      message: /failed to GET http:\/\/127\.0\.0\.1:1\/x: .*ECONNREFUSED/,
    });
  });
});
