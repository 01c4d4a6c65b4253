import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  MIN_SUBIDS,
  parseSubidFile,
  subidFixCommand,
  totalIds,
  type SubidRange,
} from '../../../../src/rootless/preflight/subid.js';
import { checkSubids } from '../../../../src/rootless/preflight/prerequisites.js';
import { fakeFacts } from './fake-facts.js';

const alice = { name: 'alice', uid: 1000 };

describe('parseSubidFile', () => {
  it('returns every range of the user, by name and by numeric uid, in file order', () => {
    const text = [
      'bob:100000:65536',
      'alice:165536:65536',
      '1000:300000:1000',
      'carol:400000:65536',
      'alice:500000:10',
    ].join('\n');
    assert.deepEqual(parseSubidFile(text, alice), [
      { start: 165536, count: 65536 },
      { start: 300000, count: 1000 },
      { start: 500000, count: 10 },
    ]);
  });

  it('skips comments, blank lines, indentation and CRLF line ends', () => {
    const text = '# alice:1:65536\n\n   alice:200000:65536   \r\n\t#alice:9:9\n';
    assert.deepEqual(parseSubidFile(text, alice), [{ start: 200000, count: 65536 }]);
  });

  it('matches the owner field exactly: no prefix, suffix or case folding', () => {
    const text = 'alicia:100000:65536\nAlice:200000:65536\nali:300000:65536\n10000:400000:65536\n';
    assert.deepEqual(parseSubidFile(text, alice), []);
  });

  it('drops lines with missing fields, non-numbers, negative starts and empty ranges', () => {
    const text = [
      'alice:100000',
      'alice',
      'alice:abc:65536',
      'alice:100000:lots',
      'alice:-5:65536',
      'alice:100000:0',
      'alice:100000:-1',
      'alice:1.5:65536',
      'alice:700000:65536',
    ].join('\n');
    assert.deepEqual(parseSubidFile(text, alice), [{ start: 700000, count: 65536 }]);
  });

  it('returns nothing for an empty or missing file', () => {
    assert.deepEqual(parseSubidFile('', alice), []);
    assert.deepEqual(parseSubidFile('\n\n# only comments\n', alice), []);
  });
});

describe('totalIds', () => {
  it('adds the counts of all ranges', () => {
    const ranges: SubidRange[] = [
      { start: 100000, count: 65536 },
      { start: 300000, count: 1000 },
    ];
    assert.equal(totalIds(ranges), 66536);
    assert.equal(totalIds([]), 0);
  });

  it('lets two small ranges together reach the minimum', async () => {
    const text = 'alice:100000:32768\nalice:200000:32768\n';
    assert.equal(totalIds(parseSubidFile(text, alice)), MIN_SUBIDS);
    const r = await checkSubids(fakeFacts({ files: { '/etc/subuid': text } }), 'subuid');
    assert.equal(r.status, 'ok');
    assert.equal(r.detail, 'alice:100000:32768, 200000:32768');
  });
});

describe('subidFixCommand', () => {
  it('gives one range of 65536 ids for both files, ending at start + 65535', () => {
    assert.equal(
      subidFixCommand('alice', 231072),
      'sudo usermod --add-subuids 231072-296607 --add-subgids 231072-296607 alice',
    );
  });

  it('starts at 100000 by default', () => {
    assert.equal(
      subidFixCommand('bob'),
      'sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 bob',
    );
  });
});

/** The range suggested by the fix of a failed check, parsed back from the usermod line. */
function suggestedRange(fix: readonly string[] | undefined): { start: number; end: number } {
  const m = /--add-subuids (\d+)-(\d+) --add-subgids (\d+)-(\d+) /.exec(fix?.[0] ?? '');
  assert.ok(m, `no usermod line in ${JSON.stringify(fix)}`);
  assert.equal(m[1], m[3], 'the same range for subuid and subgid');
  assert.equal(m[2], m[4]);
  return { start: Number(m[1]), end: Number(m[2]) };
}

/** Every range of every owner in a subid file, whoever owns it. */
function allRanges(text: string): { start: number; end: number }[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(':'))
    .filter((f) => f.length === 3 && !(f[0] ?? '').startsWith('#'))
    .map(([, s, c]) => ({ start: Number(s), end: Number(s) + Number(c) - 1 }));
}

describe('the free range suggested when a user has no subordinate ids', () => {
  const layouts: [string, string, string][] = [
    ['empty files', '', ''],
    ['one user at the usual place', 'bob:100000:65536\n', 'bob:100000:65536\n'],
    [
      'unaligned ranges, the highest in subgid',
      'bob:100000:65536\ncarol:170000:12345\n',
      'bob:100000:65536\ndave:900001:7\n',
    ],
    ['a range below the default start', 'bob:10000:5000\n', ''],
    ['ranges owned by uid', '1001:231072:65536\n', '1002:296608:65536\n'],
  ];

  for (const [name, subuid, subgid] of layouts)
    it(`overlaps no existing range (${name}), 65536 ids, aligned to 65536`, async () => {
      const sys = fakeFacts({ files: { '/etc/subuid': subuid, '/etc/subgid': subgid } });
      for (const kind of ['subuid', 'subgid'] as const) {
        const r = await checkSubids(sys, kind);
        assert.equal(r.status, 'fail');
        assert.equal(r.detail, `no entry for alice in /etc/${kind}`);
        const got = suggestedRange(r.fix);
        assert.equal(got.end - got.start + 1, MIN_SUBIDS);
        assert.equal(got.start % MIN_SUBIDS, 0);
        assert.ok(got.start >= 100000, `start ${got.start} below 100000`);
        for (const other of [...allRanges(subuid), ...allRanges(subgid)])
          assert.ok(
            got.end < other.start || got.start > other.end,
            `${got.start}-${got.end} overlaps ${other.start}-${other.end}`,
          );
      }
    });

  it('is 131072 on a machine without any entry (100000 rounded up to 65536)', async () => {
    const r = await checkSubids(fakeFacts(), 'subuid');
    assert.deepEqual(suggestedRange(r.fix), { start: 131072, end: 196607 });
  });

  it("also steps past the user's own too-small range", async () => {
    const sys = fakeFacts({ files: { '/etc/subuid': 'alice:200000:1000\n' } });
    const r = await checkSubids(sys, 'subuid');
    assert.equal(r.detail, 'only 1000 ids for alice in /etc/subuid');
    assert.deepEqual(suggestedRange(r.fix), { start: 262144, end: 327679 });
  });
});
