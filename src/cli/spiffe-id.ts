/**
 * SPIFFE ID syntax (SPIFFE-ID spec, 2.1-2.2): spiffe://trust-domain/path,
 * trust domain of lowercase letters, digits, dots, dashes and underscores;
 * path segments of letters, digits, dots, dashes and underscores, none empty,
 * "." or ".."; no query, fragment, port or user info.
 */
export function spiffeIdProblem(id: string): string | undefined {
  const match = /^spiffe:\/\/([^/]*)(\/.*)?$/.exec(id);
  if (!match) return 'it must start with spiffe://';
  const [, trustDomain = '', path = ''] = match;
  if (!/^[a-z0-9._-]+$/.test(trustDomain)) return `its trust domain "${trustDomain}" must be lowercase letters, digits, ".", "-" or "_"`;
  if (path === '') return undefined;
  const segments = path.slice(1).split('/');
  for (const segment of segments) {
    if (segment === '') return 'its path has an empty segment (or a trailing slash)';
    if (segment === '.' || segment === '..') return 'its path has a "." or ".." segment';
    if (!/^[A-Za-z0-9._-]+$/.test(segment)) return `its path segment "${segment}" has characters outside letters, digits, ".", "-" and "_"`;
  }
  return undefined;
}
