import { parseSpiffeId } from '../spiffe-id.js';

/** Why a flag's value is not a SPIFFE ID (SPIFFE-ID spec 2), or undefined when it is one. */
export function spiffeIdProblem(id: string): string | undefined {
  const parsed = parseSpiffeId(id);
  return parsed.ok ? undefined : parsed.reason;
}
