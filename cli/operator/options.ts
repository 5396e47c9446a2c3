/** Options every operator verb takes, and their help text. */
export const COMMON_OPTIONS = {
  registry: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h' },
} as const;

export const COMMON_HELP = `common options:
  --registry URL   registry API (default $SWITCHYARD_REGISTRY or http://127.0.0.1:8020)
  --token TOKEN    bearer token (default $SWITCHYARD_TOKEN); changes need an admin token
  --json           print the registry's JSON answer instead of a table
`;

/** A wrong invocation: the message says what was expected. */
export function usageError(usage: string, problem: string): Error {
  return new Error(`${problem}\n${usage.split('\n')[0]}`);
}

export function printJson(stdout: (text: string) => void, value: unknown): void {
  stdout(`${JSON.stringify(value, null, 2)}\n`);
}
