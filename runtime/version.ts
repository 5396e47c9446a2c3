/** The package version, reported in server metadata and logs. */
import { readFileSync } from 'node:fs';

const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export const SERVER_VERSION: string = packageJson.version;
