import type { Auth } from './auth.js';
import type { AltinnRecords } from './records.js';

/** What every part of the sandbox Altinn shares. */
export interface World {
  records: AltinnRecords;
  auth: Auth;
  /** `http://127.0.0.1:<port>`, known once the server listens. */
  origin(): string;
  /**
   * Accept `http://` redirect URLs on loopback hosts when a vendor registers a system. The real API takes
   * https only (AUTH.VLD-00005); `portvakt sandbox --allow-http-redirects` turns this on for local apps.
   */
  allowHttpLoopbackRedirects: boolean;
}

export const AUTH = '/authentication/api/v1';
export const UI = '/accessmanagement/ui/systemuser';
export const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];
