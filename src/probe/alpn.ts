import { alpnOffer, type Target } from '../target/target.js';
import { appFactsOf, type Outcome } from './outcome.js';

/**
 * What the probe speaks once the handshake is done, from the ALPN protocol
 * the server picked. https:// takes what it is given, and no ALPN at all as
 * HTTP/1.1 (as browsers and curl do); gRPC and a forced --http2 need h2.
 */
export type Speech = 'raw' | 'http2' | 'http1' | 'no-agreement';

export function speechFor(target: Target, alpn: string | false): Speech {
  if (target.protocol === 'tls') return 'raw';
  if (alpn === 'h2') return 'http2';
  if (target.protocol === 'grpc' || target.http === 'http2') return 'no-agreement';
  return 'http1';
}

/**
 * Why no protocol was agreed, and the URL or flag that would test the
 * server: a gRPC URL at an HTTP/1.1 server is the common slip.
 * `alerted`: the server ended the handshake with no_application_protocol;
 * otherwise it completed it choosing `chosen` (false: none).
 */
export function noAgreementDetail(target: Target, chosen: string | false | undefined, alerted: boolean): string {
  const offered = alpnOffer(target).join(', ');
  const saw = alerted
    ? `the server answered ALPN ${offered} with the alert no_application_protocol`
    : `the server did not agree to HTTP/2 (ALPN ${chosen || 'none'})`;
  if (target.protocol === 'grpc') {
    return `${saw}, and gRPC runs only over HTTP/2: is it an HTTP/1.1 server? Test it with https://${hostPort(target)}/path`;
  }
  if (target.http === 'http2') return `${saw}, and --http2 forces HTTP/2: drop --http2 to test it over HTTP/1.1`;
  if (target.http === 'http1') return `${saw}: it does not speak HTTP/1.1; drop --http1 to test it over HTTP/2`;
  return `${saw}: it speaks neither HTTP/2 nor HTTP/1.1; for another protocol over TLS use tls://${hostPort(target)} with --send and --expect`;
}

/**
 * When an https:// target was spoken to in HTTP/1.x, one line that says so
 * before the scenarios: their lines keep the URL scheme's label ("over
 * http2"), which would otherwise suggest HTTP/2.
 */
export function spokenLine(control: Outcome): string | undefined {
  const app = appFactsOf(control);
  if (app?.protocol !== 'http1') return undefined;
  const why = control.tls.alpn ? `the server chose ALPN ${control.tls.alpn}` : 'the server chose no ALPN';
  const old = app.httpVersion === 'HTTP/1.0' ? '; it answers in HTTP/1.0' : '';
  return `mtlspec: judged over HTTP/1.1 (${why}${old}); the scenarios keep the https:// label "http2"`;
}

function hostPort(target: Target): string {
  return `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
}
