import type { Outcome } from '../probe/outcome.js';

/**
 * How much a refusal says on its own. A certificate alert, a 401/403 or a
 * gRPC UNAUTHENTICATED names a judgement of the peer. A bare close or reset
 * after the certificate went out, or an HTTP 400, does not: a server that
 * drops connections for load, or a proxy that cuts them, looks the same.
 * So a bare refusal counts only when it repeats (see RunSession.probeBracketed).
 */
export type RefusalSignal = 'signal' | 'bare';

/** Statuses that name an authentication or authorization refusal; 400 is left out, since it is every kind of bad request. */
const signallingHttpStatuses: ReadonlySet<number> = new Set([401, 403, 421, 495, 496]);
const signallingGrpcStatuses: ReadonlySet<number> = new Set([7, 16]);

export function refusalSignal(outcome: Extract<Outcome, { kind: 'rejected' }>): RefusalSignal {
  if (outcome.tls.alert) return 'signal';
  const app = outcome.app;
  if (outcome.stage !== 'application' || !app) return 'bare';
  if (app.goaway?.errorCode === 'INADEQUATE_SECURITY') return 'signal';
  if (app.grpcStatus !== undefined) return signallingGrpcStatuses.has(app.grpcStatus) ? 'signal' : 'bare';
  return app.httpStatus !== undefined && signallingHttpStatuses.has(app.httpStatus) ? 'signal' : 'bare';
}

/** nginx's words when it got no client certificate (its 400 page). */
const noCertificatePages = [/No required SSL certificate was sent/i];

/**
 * The server says it received no certificate: the TLS 1.3 alert
 * certificate_required, or nginx's "No required SSL certificate was sent".
 * For a case that presented one, that means it never arrived (OpenSSL sent
 * an empty Certificate message instead), so the refusal is not about it.
 */
export function saysNoCertificateReceived(outcome: Outcome): boolean {
  if (outcome.tls.alert?.name === 'certificate_required') return true;
  const body = outcome.kind === 'unreachable' ? undefined : outcome.app?.bodyExcerpt;
  return body !== undefined && noCertificatePages.some((page) => page.test(body));
}
