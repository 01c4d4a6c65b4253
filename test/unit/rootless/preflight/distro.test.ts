import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { installCommand, parseOsRelease } from '../../../../src/rootless/preflight/distro.js';

describe('parseOsRelease', () => {
  const cases: [string, string][] = [
    ['ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"', 'debian'],
    ['ID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"', 'ubuntu'],
    ['ID=linuxmint\nID_LIKE="ubuntu debian"', 'ubuntu'],
    ['ID=arch', 'arch'],
    ['ID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"', 'opensuse'],
    ['ID=fedora\nVERSION_ID=40', 'fedora'],
    ['ID="rocky"\nID_LIKE="rhel centos fedora"', 'rhel'],
    ['ID="centos"\nID_LIKE="rhel fedora"', 'rhel'],
    ['ID=gentoo', 'unknown'],
  ];
  for (const [text, family] of cases)
    it(`${text.split('\n')[0] ?? ''} → ${family}`, () => {
      assert.equal(parseOsRelease(text).family, family);
    });

  it('keeps the pretty name and version', () => {
    const d = parseOsRelease(
      'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
    );
    assert.equal(d.prettyName, 'Debian GNU/Linux 12 (bookworm)');
    assert.equal(d.versionId, '12');
  });
});

describe('installCommand', () => {
  const pkgs = {
    debian: ['uidmap'],
    arch: ['shadow'],
    opensuse: ['shadow'],
    rhel: ['shadow-utils'],
    unknown: ['uidmap'],
  };
  it('uses the package manager and package names of the family', () => {
    assert.equal(
      installCommand(parseOsRelease('ID=debian'), pkgs),
      'sudo apt-get install -y uidmap',
    );
    assert.equal(installCommand(parseOsRelease('ID=arch'), pkgs), 'sudo pacman -S --needed shadow');
    assert.equal(
      installCommand(parseOsRelease('ID=opensuse-leap\nID_LIKE="suse opensuse"'), pkgs),
      'sudo zypper install -y shadow',
    );
    assert.equal(
      installCommand(parseOsRelease('ID=centos\nID_LIKE="rhel fedora"'), pkgs),
      'sudo yum install -y shadow-utils',
    );
    // No entry for the family: the generic name, still with the family's tool.
    assert.equal(installCommand(parseOsRelease('ID=fedora'), pkgs), 'sudo dnf install -y uidmap');
    assert.match(
      installCommand(parseOsRelease('ID=gentoo'), pkgs),
      /with your distribution's package manager/,
    );
  });
});
