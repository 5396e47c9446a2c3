/** Where the drift fixtures live: the source tree's test/fixtures/drift (tsc does not copy CSVs to dist/). */
import { fileURLToPath } from 'node:url';

/** Repository root, from dist/test/monitor/drift/. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/drift', import.meta.url));
