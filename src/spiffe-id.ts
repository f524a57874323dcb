/**
 * SPIFFE IDs per the SPIFFE-ID specification (section 2), as go-spiffe
 * parses them: lower-case "spiffe" scheme, a trust domain of [a-z0-9._-],
 * then a path of "/"-separated segments of [A-Za-z0-9._-], none empty, "."
 * or "..", with no trailing slash. No port, user info, query or fragment:
 * their characters are outside both alphabets.
 */

export interface SpiffeId {
  readonly trustDomain: string;
  /** "" for a trust domain's own ID (spiffe://example.org), else "/..." */
  readonly path: string;
}

export type SpiffeIdParse = { ok: true; id: SpiffeId } | { ok: false; reason: string };

const scheme = 'spiffe://';
const trustDomainPattern = /^[a-z0-9._-]+$/;
const segmentPattern = /^[A-Za-z0-9._-]+$/;

export function parseSpiffeId(text: string): SpiffeIdParse {
  if (!text.startsWith(scheme)) return { ok: false, reason: 'it must start with spiffe:// (the scheme is not "spiffe")' };
  const rest = text.slice(scheme.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash);
  if (trustDomain === '') return { ok: false, reason: 'the trust domain is empty' };
  if (!trustDomainPattern.test(trustDomain)) return { ok: false, reason: `trust domain "${trustDomain}" has characters outside [a-z0-9._-]` };
  if (path !== '') {
    for (const segment of path.slice(1).split('/')) {
      if (segment === '') return { ok: false, reason: 'the path has an empty segment or a trailing slash' };
      if (segment === '.' || segment === '..') return { ok: false, reason: 'the path has a "." or ".." segment' };
      if (!segmentPattern.test(segment)) return { ok: false, reason: `path segment "${segment}" has characters outside [A-Za-z0-9._-]` };
    }
  }
  return { ok: true, id: { trustDomain, path } };
}
