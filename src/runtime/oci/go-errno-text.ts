/**
 * crun words errors with strerror's capitalised texts ("No such file or directory"), runc with
 * Go's lowercase ones. The docker CLI picks `docker run`'s exit code (127, 126) by looking for
 * Go's spelling in the daemon's message, so with crun a missing command would exit 125 where
 * dockerd's gives 127. skiff passes runtime messages on in Go's spelling.
 */
const GO_ERRNO_TEXTS = [
  'No such file or directory',
  'Permission denied',
  'Is a directory',
  'Not a directory',
  'Exec format error',
] as const;

export function goErrnoText(message: string): string {
  let out = message;
  for (const t of GO_ERRNO_TEXTS) out = out.split(t).join(t.toLowerCase());
  return out;
}
