/**
 * Tar headers encoded in-process: packing COPY sources through tar-stream's pack pushes three
 * small chunks per file through a streamx stream, a third of a second for 2,000 small files;
 * encoding headers here lets the packer hand out large batches instead. ustar headers, with a
 * PAX record for what ustar cannot hold (long or non-ASCII names and link targets, big ids and
 * sizes), as Go's archive/tar writes them.
 */
export const BLOCK = 512;

export interface TarHeader {
  readonly name: string;
  readonly type: 'file' | 'directory' | 'symlink' | 'link';
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtime: Date;
  readonly linkname?: string;
}

const TYPEFLAG: Record<TarHeader['type'], string> = {
  file: '0',
  link: '1',
  symlink: '2',
  directory: '5',
};
const MAX_ID = 0o7777777;
const MAX_SIZE = 0o77777777777;

/** The header block(s) of one entry: a PAX extended header first when ustar cannot say it all. */
export function encodeHeader(h: TarHeader): Buffer[] {
  const pax: [string, string][] = [];
  const name = fits(h.name, 100) ? h.name : (pax.push(['path', h.name]), asciiCut(h.name, 100));
  const link = h.linkname ?? '';
  const linkname = fits(link, 100) ? link : (pax.push(['linkpath', link]), asciiCut(link, 100));
  if (h.uid > MAX_ID) pax.push(['uid', String(h.uid)]);
  if (h.gid > MAX_ID) pax.push(['gid', String(h.gid)]);
  if (h.size > MAX_SIZE) pax.push(['size', String(h.size)]);
  const main = block({
    name,
    linkname,
    typeflag: TYPEFLAG[h.type],
    mode: h.mode,
    uid: Math.min(h.uid, MAX_ID),
    gid: Math.min(h.gid, MAX_ID),
    size: Math.min(h.size, MAX_SIZE),
    mtime: Math.max(0, Math.floor(h.mtime.getTime() / 1000)),
  });
  if (pax.length === 0) return [main];
  const data = Buffer.from(pax.map(([k, v]) => paxRecord(k, v)).join(''), 'utf8');
  const paxHead = block({
    name: asciiCut(`PaxHeaders/${name}`, 100),
    linkname: '',
    typeflag: 'x',
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: data.length,
    mtime: 0,
  });
  return [paxHead, data, padding(data.length), main].filter((b) => b.length > 0);
}

/** Zeros that complete a body of `size` bytes to a whole block. */
export function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rest);
}

/** The end of an archive: two zero blocks. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

const fits = (s: string, max: number): boolean => s.length <= max && /^[\x20-\x7e]*$/.test(s);
const asciiCut = (s: string, max: number): string => s.replace(/[^\x20-\x7e]/g, '_').slice(0, max);

/** "<len> key=value\n", where <len> counts the whole record, its own digits included. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bytes = Buffer.byteLength(body);
  let len = bytes + String(bytes).length;
  if (String(len).length + bytes !== len) len = bytes + String(len).length;
  return `${len}${body}`;
}

interface Fields {
  name: string;
  linkname: string;
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
}

function block(f: Fields): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(f.name, 0, 100, 'latin1');
  octal(b, 100, 8, f.mode & 0o7777);
  octal(b, 108, 8, f.uid);
  octal(b, 116, 8, f.gid);
  octal(b, 124, 12, f.size);
  octal(b, 136, 12, f.mtime);
  b.write(f.typeflag, 156, 1, 'latin1');
  b.write(f.linkname, 157, 100, 'latin1');
  b.write('ustar\x0000', 257, 8, 'latin1');
  // The checksum is the byte sum with its own field taken as eight spaces.
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return b;
}

/** A zero-padded octal number filling `width - 1` digits and a NUL. */
function octal(b: Buffer, off: number, width: number, n: number): void {
  b.write(`${n.toString(8).padStart(width - 1, '0')}\0`, off, width, 'latin1');
}
