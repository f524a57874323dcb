/**
 * Extra request header fields a case sends (a bearer token, a forged
 * identity header), and how each protocol carries them. The value is what
 * goes on the wire; `shown` is what evidence may print: a token is secret,
 * so its caller shows a fingerprint instead.
 */
export interface RequestHeader {
  readonly name: string;
  readonly value: string;
  readonly shown: string;
}

/** What the evidence records of the fields sent: names as written, values as shown, and how they travelled. */
export interface SentHeader {
  readonly name: string;
  readonly shown: string;
}

/**
 * Fields Node's HTTP/2 client refuses to repeat (ERR_HTTP2_HEADER_SINGLE_VALUE),
 * among those a case may send twice. HTTP/2 cannot carry them as two field
 * lines from Node 20, so a repeat travels as one field with both values
 * joined by ", ", which is what a proxy that folds duplicates forwards.
 */
const singleValueOnHttp2: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'host', 'content-type', 'user-agent', 'from', 'referer']);

/** HTTP/2 headers object: names lower-cased (RFC 9113 8.2.1), repeats as an array or, where Node allows none, folded. */
export function http2HeaderFields(headers: readonly RequestHeader[]): Record<string, string | string[]> {
  const grouped = new Map<string, string[]>();
  for (const { name, value } of headers) {
    const key = name.toLowerCase();
    grouped.set(key, [...(grouped.get(key) ?? []), value]);
  }
  const fields: Record<string, string | string[]> = {};
  for (const [name, values] of grouped) {
    fields[name] = values.length === 1 ? (values[0] ?? '') : singleValueOnHttp2.has(name) ? values.join(', ') : values;
  }
  return fields;
}

/** HTTP/1.1 header lines, each as written: names keep their case and repeats stay separate lines. */
export function http1HeaderLines(headers: readonly RequestHeader[]): string {
  return headers.map(({ name, value }) => `${name}: ${value}\r\n`).join('');
}

/** Field names and values as HTTP allows them: a name is a token, a value has no CR, LF or NUL (RFC 9110 5.1, 5.5). */
export function requestHeaderProblem(header: Pick<RequestHeader, 'name' | 'value'>): string | undefined {
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(header.name)) return `"${header.name}" is not a header field name`;
  if (/[\r\n\0]/.test(header.value)) return `the value of ${header.name} holds a line break or NUL`;
  return undefined;
}

/** Whether the HTTP/2 request folded repeated fields: the evidence says so, since the target saw one field. */
export function foldedOnHttp2(headers: readonly RequestHeader[]): string[] {
  const counts = new Map<string, number>();
  for (const { name } of headers) counts.set(name.toLowerCase(), (counts.get(name.toLowerCase()) ?? 0) + 1);
  return [...counts].filter(([name, count]) => count > 1 && singleValueOnHttp2.has(name)).map(([name]) => name);
}
