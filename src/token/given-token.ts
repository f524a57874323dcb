/**
 * A token given on the command line (--token, MTLSPEC_TOKEN) stays in this
 * process's memory: run settings travel to cucumber as world parameters,
 * and a credential has no business there. The CLI puts it here; the
 * session reads it. Cucumber runs in the CLI's own process.
 */
let inlineToken: string | undefined;

export function holdInlineToken(token: string): void {
  inlineToken = token;
}

export function heldInlineToken(): string | undefined {
  return inlineToken;
}
