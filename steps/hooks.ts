import { AfterAll, BeforeAll, setDefaultTimeout } from '@cucumber/cucumber';
import { RunSession } from '../src/run/session.js';
import { maxRepeat, maxTimeoutMs, readRunSettings } from '../src/run/settings.js';
import { caseBudgetMs } from '../src/run/pacing.js';

// Each case's bracket carries its own deadline (caseBudgetMs), shorter than this; this only guards against a harness bug.
setDefaultTimeout(caseBudgetMs(maxTimeoutMs, maxRepeat) + 60_000);

let session: RunSession | undefined;

/** The session of this worker; started once before the first scenario. */
export function currentSession(): RunSession {
  if (!session) throw new Error('the run session was not started (BeforeAll did not run)');
  return session;
}

BeforeAll(async function (this: { parameters: unknown }) {
  session = RunSession.claimHandedOver() ?? (await RunSession.start(readRunSettings(this.parameters)));
});

AfterAll(async function () {
  await session?.close();
  session = undefined;
});
