/**
 * Subordinate id ranges (/etc/subuid, /etc/subgid): rootlesskit maps them through
 * newuidmap/newgidmap so that containers get ≥ 65536 ids (seed 000: "penguin:231072:65536").
 */
export interface SubidRange {
  readonly start: number;
  readonly count: number;
}

export const MIN_SUBIDS = 65536;

/** Ranges for a user, matched by name or by numeric uid, as shadow-utils does. */
export function parseSubidFile(text: string, user: { name: string; uid: number }): SubidRange[] {
  const ranges: SubidRange[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [owner, start, count] = line.split(':');
    if (owner === undefined || start === undefined || count === undefined) continue;
    if (owner !== user.name && owner !== String(user.uid)) continue;
    // Digits only: Number('') is 0 and Number('0x10') is 16, neither is what shadow-utils reads.
    if (!/^\d+$/.test(start) || !/^\d+$/.test(count)) continue;
    const s = Number(start);
    const c = Number(count);
    if (Number.isInteger(s) && Number.isInteger(c) && s >= 0 && c > 0)
      ranges.push({ start: s, count: c });
  }
  return ranges;
}

export function totalIds(ranges: readonly SubidRange[]): number {
  return ranges.reduce((n, r) => n + r.count, 0);
}

/** The usermod line an admin runs to give `user` a fresh range of 65536 ids. */
export function subidFixCommand(userName: string, start = 100000): string {
  const end = start + MIN_SUBIDS - 1;
  return `sudo usermod --add-subuids ${start}-${end} --add-subgids ${start}-${end} ${userName}`;
}
