import * as path from 'node:path';

/** The repository root: `infra/..`. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
