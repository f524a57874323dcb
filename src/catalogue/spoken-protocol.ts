import type { Outcome } from '../probe/outcome.js';
import { appFactsOf } from '../probe/outcome.js';

/**
 * Server cases that are about one protocol and say nothing about a server
 * that chose another: an https:// target may answer over HTTP/1.1, where
 * HTTP/2's ALPN rule has nothing to judge. Such a case is skipped with the
 * reason, never passed (it would claim an h2 check that did not happen) nor
 * failed (HTTP/1.1 is a legitimate choice).
 */
const http2Only: ReadonlySet<string> = new Set(['tls/alpn/h2']);

/** Why this server case does not apply to what the control spoke, or undefined when it does. */
export function notApplicableBecause(caseId: string, control: Outcome | undefined): string | undefined {
  if (!control || !http2Only.has(caseId)) return undefined;
  const app = appFactsOf(control);
  if (app?.protocol !== 'http1') return undefined;
  const chose = control.tls.alpn ? `ALPN ${control.tls.alpn}` : 'no ALPN';
  return `the server chose HTTP/1.1 (${chose}), so HTTP/2's ALPN rule does not apply; --http2 tests it as an HTTP/2 server`;
}
