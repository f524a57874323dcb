import { appFactsOf, type Outcome } from '../probe/outcome.js';

/**
 * What an "accepted" rested on, said in the verdict when it is weak: a raw
 * TLS target without --expect cannot tell an answer from an error line, and
 * without --send or --expect only a connection that stayed open is seen.
 * Undefined when the acceptance is an application answer that was read.
 */
export function weakAcceptance(outcome: Outcome | undefined): string | undefined {
  if (outcome?.kind !== 'accepted') return undefined;
  switch (appFactsOf(outcome)?.acceptedOn) {
    case 'open-connection':
      return '"accepted" rests only on the connection staying open without an alert after the handshake (raw TLS without --send or --expect); --send and --expect make it an answer';
    case 'any-reply':
      return '"accepted" rests on any reply at all (raw TLS without --expect); --expect REGEX tells an answer from an error line';
    default:
      return undefined;
  }
}
