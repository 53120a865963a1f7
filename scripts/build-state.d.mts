// Types for scripts/build-state.mjs (plain JavaScript: it runs before any build exists).
export declare const SRC_DIR: string;
export declare const DIST_DIR: string;
export declare const STAMP: string;
export declare function isStale(): boolean;
