// Facts fixed when the dist files are built (scripts/build.mjs defines them); "unknown" when running
// from the sources (tests).
declare const __TSRUNC_COMMIT__: string | undefined;
declare const __TSRUNC_LIBSECCOMP__: string | undefined;

/** `git describe --always --dirty` of the tree the dist files were built from. */
export const COMMIT: string = typeof __TSRUNC_COMMIT__ === 'string' && __TSRUNC_COMMIT__ !== '' ? __TSRUNC_COMMIT__ : 'unknown';
/** The libseccomp version the helper was built against (pkg-config), or undefined. */
export const LIBSECCOMP: string | undefined = typeof __TSRUNC_LIBSECCOMP__ === 'string' && __TSRUNC_LIBSECCOMP__ !== '' ? __TSRUNC_LIBSECCOMP__ : undefined;
