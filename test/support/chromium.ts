import { existsSync } from 'node:fs';
import { ensureCommand } from './ensure-package.js';

/**
 * The browser the end-to-end tests drive: Debian's own Chromium, never one
 * playwright downloads. CI reaches only Debian's mirrors and the npm registry,
 * and the distro browser is the one a reviewer on this machine would open.
 */
export const chromiumPath = '/usr/bin/chromium';

/** Installs Debian's chromium package when it is missing; returns the executable's path. */
export function ensureChromium(): string {
  // Checked by path, not by PATH lookup: a "chromium" elsewhere (a snap shim,
  // a wrapper in /usr/local/bin) is not the browser the tests launch.
  if (!existsSync(chromiumPath)) ensureCommand('chromium', 'chromium');
  if (!existsSync(chromiumPath)) {
    throw new Error(`Debian's chromium package is installed but ${chromiumPath} is missing; install it by hand: apt-get install chromium`);
  }
  return chromiumPath;
}
