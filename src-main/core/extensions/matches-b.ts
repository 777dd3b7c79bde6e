// Match extensions, group B (one file each; add the import and the list entry here).
import type { Extension } from './types.js';

export const MATCHES_B: Extension[] = [];
