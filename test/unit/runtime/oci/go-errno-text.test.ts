import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { goErrnoText } from '../../../../src/runtime/oci/go-errno-text.js';
import { startError } from '../../../../src/daemon/containers/start-error.js';

describe("runtime messages in Go's errno spelling", () => {
  it("crun's missing command reads as the docker CLI's 127 case; runc's text is unchanged", () => {
    const crun = 'executable file `nosuch` not found in $PATH: No such file or directory';
    assert.equal(
      goErrnoText(crun),
      'executable file `nosuch` not found in $PATH: no such file or directory',
    );
    const runc =
      'exec failed: unable to start container process: exec: "nosuch": executable file not found in $PATH';
    assert.equal(goErrnoText(runc), runc);
  });

  it('a start failure with crun wording exits 127 or 126 and says it as dockerd with runc would', () => {
    const missing = startError(
      new Error('executable file `x` not found in $PATH: No such file or directory'),
    );
    assert.equal(missing.exitCode, 127);
    assert.match(missing.error.message, /: no such file or directory$/);
    const denied = startError(new Error('exec `/etc/passwd`: Permission denied'));
    assert.equal(denied.exitCode, 126);
    assert.match(denied.error.message, /permission denied$/);
  });
});
