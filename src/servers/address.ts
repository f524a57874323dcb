/** IPv6 literals need brackets in host:port strings and URLs; names and IPv4 do not. */
export function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
