import type { ClientCase, ConformanceCase } from './case.js';

/**
 * Profiles: which policy a run judges against. The catalogue
 * (fixtures/cases.ts) is written for the default profile; another profile
 * changes the level (and the citation) of the cases whose requirement is a
 * policy choice rather than a rule every mTLS server must follow. Data, so
 * docs/rules.md can show every case's level under every profile.
 */
export interface Profile {
  readonly name: string;
  /** One line for --help and docs/rules.md. */
  readonly summary: string;
  /** Case id -> how this profile judges it, where it differs from the catalogue. */
  readonly overrides: Readonly<Record<string, ProfileOverride>>;
}

export interface ProfileOverride {
  readonly level: ConformanceCase['level'];
  /** The document this profile rests on for the case, when not the catalogue's. */
  readonly rule: string;
  /** Why this profile judges the case so: shown in docs/rules.md. */
  readonly why: string;
}

export const defaultProfileName = 'strict-tls13';

export const profiles: readonly Profile[] = [
  {
    name: 'strict-tls13',
    summary: "TLS 1.3 only and modern cryptography, as Mozilla's \"modern\" server configuration: the catalogue as written (the default)",
    overrides: {},
  },
  {
    name: 'tls12-modern',
    summary: "TLS 1.2 is allowed next to TLS 1.3, as Mozilla's \"intermediate\" configuration and NIST SP 800-52r2 allow; everything else as strict-tls13",
    overrides: {
      'tls/version/tls12': {
        level: 'INFO',
        rule: 'Mozilla Server Side TLS: intermediate',
        // Not "must accept": a TLS 1.3-only server meets this profile too, so neither answer is a finding.
        why: 'TLS 1.2 is allowed but not required, so whether the target accepts it is recorded, never judged',
      },
    },
  },
];

export const profileNames: readonly string[] = profiles.map((p) => p.name);

export function findProfile(name: string | undefined): Profile | undefined {
  return profiles.find((p) => p.name === (name ?? defaultProfileName));
}

/**
 * The case as this profile judges it. An INFO override of a client case
 * also makes it observed: INFO cases record what the target did and are
 * never judged, whatever the catalogue expects under the default profile.
 */
export function underProfile<C extends ConformanceCase>(testCase: C, profile: Profile | undefined): C {
  const override = profile?.overrides[testCase.id];
  if (!override) return testCase;
  if (testCase.kind === 'client' && override.level === 'INFO') {
    const observed: ClientCase = { ...testCase, level: 'INFO', rule: override.rule, expect: 'observed', expectedAlerts: [] };
    return observed as C;
  }
  return { ...testCase, level: override.level, rule: override.rule };
}
