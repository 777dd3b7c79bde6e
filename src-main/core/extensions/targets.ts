// Target extensions (one file each; add the import and the list entry here).
import type { Extension } from './types.js';

export const TARGETS: Extension[] = [];
