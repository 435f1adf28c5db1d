import { existsSync } from 'node:fs';

/** Debian's Chromium, which `.ci/run` installs; playwright's own browser download cannot work here. */
export const CHROMIUM = '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM);

/**
 * Launch options for headless Chromium as root on this machine: no sandbox (root), and none of the
 * background networking a closed network would refuse at every start.
 */
export const CHROMIUM_LAUNCH = {
  executablePath: CHROMIUM,
  args: [
    '--no-sandbox',
    '--headless',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};
