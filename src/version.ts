/**
 * Tessera's version, as `tessera --version` prints it and a running gateway records in its status
 * file (so `tessera gateway status` can tell an upgraded install from the process still running the
 * old code). Kept in step with package.json by the release process.
 */
export const VERSION = "0.1.0";
