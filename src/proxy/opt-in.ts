import { cases } from '../../fixtures/cases.js';
import { selectCases } from '../catalogue/case.js';

/**
 * The balancer and proxy cases run only when a run asks for them: they mean
 * something only for a target behind a balancer or a TLS-terminating proxy,
 * and a plain run's scenarios (and reports compared across runs) stay as
 * they were. A run asks by naming the tag, selecting the cases (--case), or
 * giving what they need: --repeat for @balanced, --identity-echo for both.
 */
const optIn: ReadonlyArray<{ readonly tag: string; readonly idPrefix: string; readonly wantedBy: (flags: OptInFlags) => boolean }> = [
  { tag: '@balanced', idPrefix: 'lb/', wantedBy: (f) => (f.repeat ?? 1) > 1 || f.identityEcho !== undefined },
  { tag: '@proxy-identity', idPrefix: 'proxy/', wantedBy: (f) => f.identityEcho !== undefined },
];

interface OptInFlags {
  readonly repeat: number | undefined;
  readonly identityEcho: string | undefined;
}

/** The opt-in tags this run did not ask for, to leave out of its tag expression. */
export function optInTagsLeftOut(caseSelectors: readonly string[], userTags: string | undefined, flags: OptInFlags): string[] {
  const selected = caseSelectors.length > 0 ? selectCases(cases, caseSelectors) : [];
  return optIn
    .filter(({ tag, idPrefix, wantedBy }) => {
      const named = userTags !== undefined && new RegExp(`${tag}(?![\\w-])`).test(userTags);
      const picked = selected.some((c) => c.id.startsWith(idPrefix));
      return !named && !picked && !wantedBy(flags);
    })
    .map(({ tag }) => tag);
}

/** Whether a case belongs to the opt-in balancer and proxy cases: runs of the plain catalogue leave it out. */
export function isOptInCase(id: string): boolean {
  return optIn.some(({ idPrefix }) => id.startsWith(idPrefix));
}
