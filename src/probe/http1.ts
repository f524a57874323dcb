import { isIP } from 'node:net';
import type { Target } from '../target/target.js';

/**
 * HTTP/1.x on the probe's own TLS socket: the request it writes and a reader
 * for the response head. Only the status line and headers are parsed; the
 * body is the probe's to bound, as on HTTP/2. Written by hand rather than
 * with node:http so the probe keeps the socket, its TLS evidence and its
 * certificate-flight watch exactly as for HTTP/2.
 */

/** Most a response head (status line and headers) may take, as Node's own HTTP parser allows. */
export const headLimit = 16 * 1024;

export interface Http1Head {
  /** As the status line says it: "HTTP/1.1" or "HTTP/1.0". */
  readonly version: string;
  readonly status: number;
  /** Lower-cased names; a repeated header keeps its first value. */
  readonly headers: ReadonlyMap<string, string>;
  /** The head was cut at headLimit: only the headers before the cut were read. */
  readonly headTruncated: boolean;
}

export type HeadRead =
  | { readonly kind: 'more' }
  | { readonly kind: 'head'; readonly head: Http1Head; /** Body bytes that came with the head. */ readonly rest: Buffer }
  | { readonly kind: 'not-http'; /** The start of what came instead, verbatim. */ readonly excerpt: string };

/** GET with Host and Connection: close, so the server's close marks the end of the answer; `extraLines` as http1HeaderLines writes them. */
export function http1Request(target: Target, extraLines = ''): string {
  const host = isIP(target.servername) === 6 ? `[${target.servername}]` : target.servername;
  const port = target.port === 443 ? '' : `:${target.port}`;
  return `GET ${target.path} HTTP/1.1\r\nHost: ${host}${port}\r\nUser-Agent: mtlspec\r\nAccept: */*\r\n${extraLines}Connection: close\r\n\r\n`;
}

const statusLine = /^HTTP\/(1\.[01]) (\d{3})(?: [^\r\n]*)?$/;
const excerptLength = 300;

/**
 * Collects bytes until a full response head. Interim 1xx answers (100
 * Continue, 103 Early Hints) are skipped: they decide nothing.
 */
export class Http1HeadReader {
  #buffer: Buffer = Buffer.alloc(0);

  /** Bytes that came but made no head yet: a close now cut an answer, it was no bare refusal. */
  get pending(): number {
    return this.#buffer.length;
  }

  /** The start of what came, verbatim. */
  get excerpt(): string {
    return this.#buffer.subarray(0, excerptLength).toString('utf8');
  }

  push(chunk: Buffer): HeadRead {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const read = this.#readOne();
      if (read.kind !== 'head' || !isInterim(read.head.status)) return read;
      this.#buffer = read.rest;
    }
  }

  #readOne(): HeadRead {
    const buffer = this.#buffer;
    const found = headEnd(buffer);
    // A head past the bound is cut there, however it arrived.
    const end = found && found.start <= headLimit ? found : undefined;
    const firstLineEnd = buffer.indexOf('\n');
    // The status line decides as soon as it is whole: anything else there is not HTTP/1.x.
    if (firstLineEnd >= 0 || buffer.length >= headLimit) {
      const line = buffer.subarray(0, firstLineEnd >= 0 ? firstLineEnd : buffer.length).toString('latin1').replace(/\r$/, '');
      if (!statusLine.test(line)) return { kind: 'not-http', excerpt: buffer.subarray(0, excerptLength).toString('utf8') };
    }
    if (end === undefined && buffer.length < headLimit) return { kind: 'more' };
    const headBytes = end === undefined ? buffer.subarray(0, headLimit) : buffer.subarray(0, end.start);
    const rest = end === undefined ? Buffer.alloc(0) : buffer.subarray(end.start + end.length);
    const [first = '', ...lines] = headBytes.toString('latin1').split(/\r?\n/);
    const match = statusLine.exec(first);
    if (!match) return { kind: 'not-http', excerpt: buffer.subarray(0, excerptLength).toString('utf8') };
    const headers = new Map<string, string>();
    // A cut head may end in half a header line: it is dropped.
    for (const line of end === undefined ? lines.slice(0, -1) : lines) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
    }
    return { kind: 'head', head: { version: `HTTP/${match[1]}`, status: Number(match[2]), headers, headTruncated: end === undefined }, rest };
  }
}

function isInterim(status: number): boolean {
  return status >= 100 && status < 200 && status !== 101;
}

function headEnd(buffer: Buffer): { start: number; length: number } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return { start: crlf, length: 4 };
  return lf >= 0 ? { start: lf, length: 2 } : undefined;
}

/** The body length the head announces, when it does (no chunked coding): the answer ends there. */
export function announcedLength(head: Http1Head): number | undefined {
  if (head.headers.has('transfer-encoding')) return undefined;
  if (head.status === 204 || head.status === 304) return 0;
  const value = head.headers.get('content-length');
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}
