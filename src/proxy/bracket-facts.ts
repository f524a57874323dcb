import type { ConnectionProbe } from './replica-spread.js';
import { connectionSpread, type ConnectionSpread } from './replica-spread.js';
import type { EchoFacts, IdentityCheck } from './identity-echo.js';
import { echoOnEachBackend } from './each-backend.js';
import type { Outcome } from '../probe/outcome.js';

/**
 * What the verdict reads about balancers and proxies, beside the bracket:
 * how the --repeat connections went, and the identity the answer names (on
 * every connection: one backend that believes a forged header is enough).
 * As an object to spread into the bracket: empty when neither applies.
 */
export function proxyBracketFacts(
  probe: { readonly outcome: Outcome; readonly credential: { readonly certPem: string } | undefined; readonly connections?: readonly ConnectionProbe[] } | undefined,
  settings: { readonly repeat?: number; readonly identityEcho?: string },
  identity: IdentityCheck | undefined,
): { spread?: ConnectionSpread; echo?: EchoFacts } {
  const spread = connectionSpread(probe?.connections, settings.repeat ?? 1);
  const echo = identity && probe ? echoOnEachBackend(identity, probe.credential !== undefined, probe, probe.credential?.certPem, settings.identityEcho) : undefined;
  return { ...(spread ? { spread } : {}), ...(echo ? { echo } : {}) };
}
