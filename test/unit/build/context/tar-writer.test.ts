import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import {
  END_OF_ARCHIVE,
  encodeHeader,
  padding,
  type TarHeader,
} from '../../../../src/build/context/tar-writer.js';
import { isTarHeader } from '../../../../src/build/context/tar-header.js';

async function decode(buf: Buffer): Promise<{ header: tar.Header; body: string }[]> {
  const ex = tar.extract();
  Readable.from([buf]).pipe(ex);
  const out: { header: tar.Header; body: string }[] = [];
  for await (const e of ex) {
    const chunks: Buffer[] = [];
    for await (const c of e) chunks.push(c as Buffer);
    out.push({ header: e.header, body: Buffer.concat(chunks).toString('utf8') });
  }
  return out;
}

function archive(entries: readonly { h: TarHeader; body?: string }[]): Buffer {
  const parts: Buffer[] = [];
  for (const { h, body } of entries) {
    parts.push(...encodeHeader(h));
    if (body !== undefined) parts.push(Buffer.from(body), padding(Buffer.byteLength(body)));
  }
  parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

const base = { mode: 0o644, uid: 1000, gid: 1000, size: 0, mtime: new Date(1_700_000_000_000) };

describe('tar-writer', () => {
  it('writes headers tar readers (and our own detector) accept', async () => {
    const blocks = encodeHeader({ ...base, name: 'a.txt', type: 'file', size: 2 });
    assert.equal(blocks.length, 1);
    assert.equal(isTarHeader(blocks[0]!), true);
    const got = await decode(
      archive([
        { h: { ...base, name: 'dir/', type: 'directory', mode: 0o750 } },
        { h: { ...base, name: 'dir/a.txt', type: 'file', size: 2 }, body: 'hi' },
        { h: { ...base, name: 'dir/l', type: 'symlink', mode: 0o777, linkname: '../x' } },
        { h: { ...base, name: 'dir/h', type: 'link', linkname: 'dir/a.txt' } },
      ]),
    );
    assert.deepEqual(
      got.map((e) => [e.header.name, e.header.type, e.header.mode, e.header.linkname ?? null]),
      [
        ['dir/', 'directory', 0o750, null],
        ['dir/a.txt', 'file', 0o644, null],
        ['dir/l', 'symlink', 0o777, '../x'],
        ['dir/h', 'link', 0o644, 'dir/a.txt'],
      ],
    );
    assert.equal(got[1]?.body, 'hi');
    assert.equal(got[1]?.header.uid, 1000);
    assert.equal(got[1]?.header.mtime?.getTime(), 1_700_000_000_000);
  });

  it('long and non-ASCII names, long link targets and big ids go into a PAX record', async () => {
    const long = `${'deep/'.repeat(40)}file-ü.txt`;
    const target = `/${'t'.repeat(150)}`;
    const buf = archive([
      { h: { ...base, name: long, type: 'file', size: 1, uid: 3_000_000 }, body: 'x' },
      { h: { ...base, name: 'l', type: 'symlink', linkname: target } },
    ]);
    const got = await decode(buf);
    assert.equal(got[0]?.header.name, long);
    // tar-stream reads only path and linkpath from PAX; GNU tar reads the ids too.
    const listing = execFileSync('tar', ['--numeric-owner', '-tvf', '-'], {
      input: buf,
      encoding: 'utf8',
    });
    assert.match(listing, / 3000000\/1000 /);
    assert.equal(got[0]?.body, 'x');
    assert.equal(got[1]?.header.linkname, target);
  });
});
