import type { AppFacts, Outcome, TlsFacts } from './outcome.js';

/**
 * HTTP statuses with which servers refuse a client for its certificate or
 * identity: nginx answers a missing or bad client certificate with 400 after a
 * completed TLS 1.3 handshake, 495/496 are nginx's own, 421 is a misdirected
 * request (certificate for another host), 401/403 are plain authorization.
 */
export const rejectingHttpStatuses: ReadonlySet<number> = new Set([400, 401, 403, 421, 495, 496]);

/**
 * HTTP statuses with which a server, or a proxy or balancer in front of it,
 * turns a request away for load, rate or lack of a backend: the credential
 * was not judged, so these are never refusals (nor acceptances).
 */
export const sheddingHttpStatuses: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** gRPC codes for "overloaded or unavailable, try again": RESOURCE_EXHAUSTED and UNAVAILABLE. */
const grpcShedding: ReadonlyMap<number, string> = new Map([
  [8, 'RESOURCE_EXHAUSTED'],
  [14, 'UNAVAILABLE'],
]);

/** gRPC codes that mean "the server refused who you are". */
const grpcRefusals: ReadonlyMap<number, string> = new Map([
  [7, 'PERMISSION_DENIED'],
  [16, 'UNAUTHENTICATED'],
]);

export const grpcStatusNames = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE',
  'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
] as const;

/**
 * An HTTP/2 answer: a refusing status is a rejection at the application;
 * anything else means the request reached the application. Whether that
 * status is "the same as the control got" is the verdict's business.
 */
export function classifyHttpAnswer(app: AppFacts, tls: TlsFacts): Outcome {
  const status = app.httpStatus ?? 0;
  if (sheddingHttpStatuses.has(status)) {
    return { kind: 'shed', reason: 'overloaded', tls, app, detail: `HTTP ${status}: the target (or a proxy in front of it) turned the request away for load, rate or backend, without judging the credential` };
  }
  if (rejectingHttpStatuses.has(status)) {
    return { kind: 'rejected', stage: 'application', tls, app, detail: `HTTP ${status} after a completed TLS handshake` };
  }
  return { kind: 'accepted', tls, app, detail: `HTTP ${status}: the request reached the application` };
}

/**
 * A gRPC answer: UNAUTHENTICATED and PERMISSION_DENIED are refusals; any other
 * status, UNIMPLEMENTED included, proves the call got past the TLS and
 * identity checks. A non-gRPC HTTP refusal (a proxy's 403) is a refusal too.
 */
export function classifyGrpcAnswer(app: AppFacts, tls: TlsFacts): Outcome {
  if (app.grpcStatus === undefined) {
    if (app.httpStatus !== undefined && sheddingHttpStatuses.has(app.httpStatus)) return classifyHttpAnswer(app, tls);
    if (app.httpStatus !== undefined && rejectingHttpStatuses.has(app.httpStatus)) {
      return { kind: 'rejected', stage: 'application', tls, app, detail: `HTTP ${app.httpStatus} without a gRPC status` };
    }
    return { kind: 'accepted', tls, app, detail: `HTTP ${app.httpStatus ?? '?'} without a gRPC status: the request reached an HTTP/2 server past TLS` };
  }
  const refusal = grpcRefusals.get(app.grpcStatus);
  const message = app.grpcMessage ? ` "${app.grpcMessage}"` : '';
  const shedding = grpcShedding.get(app.grpcStatus);
  if (shedding) {
    return { kind: 'shed', reason: 'overloaded', tls, app, detail: `gRPC ${shedding}${message}: the target turned the call away for load or availability, without judging the credential` };
  }
  if (refusal) {
    return { kind: 'rejected', stage: 'application', tls, app, detail: `gRPC ${refusal}${message}` };
  }
  return { kind: 'accepted', tls, app, detail: `gRPC ${app.grpcStatusName ?? app.grpcStatus}${message}: the call reached the application` };
}

/** Retry-After (RFC 9110 10.2.3) in milliseconds: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
