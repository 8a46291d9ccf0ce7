#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm install` via the prepare script).
//
// CommonJS (bin/package.json says so), because an ES module entry makes Node start its ESM loader
// first, ~5 ms of every command. It runs the bundle (scripts/bundle-cli.js) through the code-cache
// loader (src/cli/code-cache.ts), or tsc's one-file-per-module output when there is no bundle or tsc
// wrote after it (a plain `tsc` build must never leave a stale bundle in use).
"use strict";
const { statSync } = require("node:fs");
const { join } = require("node:path");

const cli = join(__dirname, "..", "dist", "src", "cli");

function loadCli() {
  // The loader is the bundle script's last file: when it is there, so is the rest.
  const loader = join(cli, "bundle", "code-cache.cjs");
  const bundleTime = statSync(loader, { throwIfNoEntry: false })?.mtimeMs;
  const tscTime = statSync(join(cli, "main.js"), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (bundleTime === undefined || bundleTime < tscTime) return import("../dist/src/cli/main.js");
  return require(loader).loadCli(join(cli, "bundle", "main.cjs"));
}

Promise.resolve()
  .then(loadCli)
  .then(({ main }) => main(process.argv))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
