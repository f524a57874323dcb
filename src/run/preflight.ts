import { writeTrustedCaCrl } from '../pki/index.js';
import { describeOutcome } from '../probe/outcome.js';
import { targetLabels } from '../target/target.js';
import { InputError } from './inputs.js';
import { RunSession } from './session.js';
import type { RunSettings } from './settings.js';

/** On success, the session that probed: the run goes on with it (see RunSession.handOver). */
export type PreflightResult = { ok: true; session: RunSession } | { ok: false; reason: string };

/**
 * Before a run against a user's server, write the CRL if asked (--crl-out),
 * then probe it once with the valid
 * credential. If that is not accepted, no scenario could be judged, and the
 * person needs one clear sentence now, not a report full of "inconclusive"
 * (nor N probes each waiting out the timeout on a server that hangs).
 */
export async function preflight(settings: RunSettings): Promise<PreflightResult> {
  const session = await RunSession.start(settings);
  let passedOn = false;
  try {
    // Written before the probe, so a person can load it into the target even when the probe fails.
    if (settings.crlOut) await writeCrlOut(session, settings.crlOut);
    const [protocol] = session.targets.keys();
    if (!protocol) return { ok: false, reason: 'the run has no target' };
    const { outcome, target } = await session.control(protocol);
    if (outcome.kind === 'accepted') {
      passedOn = true;
      return { ok: true, session };
    }
    const where = `${target.url} (${targetLabels[protocol]})`;
    if (outcome.kind === 'unreachable') return { ok: false, reason: `cannot judge ${where}: ${outcome.detail}` };
    return {
      ok: false,
      reason: `${where} refused the valid control credential, so no case can be judged (${describeOutcome(outcome)}); check --ca-cert/--client-cert, --spiffe-id and the URL's path`,
    };
  } finally {
    if (!passedOn) await session.close();
  }
}

async function writeCrlOut(session: RunSession, file: string): Promise<void> {
  try {
    await writeTrustedCaCrl(session.pki, file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    throw new InputError(`--crl-out ${file} cannot be written (${code === 'ENOENT' ? 'its folder does not exist' : code})`);
  }
}
