#!/usr/bin/env node
// A `solc` executable for forge, made of the pinned solc-js (no native solc can be downloaded
// here). forge asks it `--version` and then compiles with `--standard-json`, the input on stdin.
//
//   solc-for-forge.js --version          answers as native solc does
//   solc-for-forge.js --standard-json    reads standard-JSON on stdin, writes solc-js's output
//
// Imports forge did not put in the input are read from the project (the base path forge passes,
// or contracts/), so a test can import a source that is not in its list.
'use strict';
const fs = require('fs');
const path = require('path');

const SOLC_VERSION = '0.8.37';
const contractsDir = path.resolve(__dirname, '..');
const solcPath = path.join(contractsDir, '..', '.tools', 'node_modules', 'solc');

function fail(message) {
  process.stderr.write(`solc-for-forge: ${message}\n`);
  process.exit(2);
}

if (!fs.existsSync(solcPath)) fail(`solc-js is not installed at ${solcPath}: run scripts/install-chain-tools.sh`);
const solc = require(solcPath);
const version = solc.version();
if (!version.startsWith(SOLC_VERSION + '+')) fail(`solc ${version} found, ${SOLC_VERSION} pinned: run scripts/install-chain-tools.sh`);

const args = process.argv.slice(2);
if (args.includes('--version')) {
  // Native solc prints the build without the Emscripten suffix; forge parses the second line.
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${version.replace('.Emscripten.clang', '')}.Linux.g++\n`);
  process.exit(0);
}
if (!args.includes('--standard-json')) fail(`only --version and --standard-json are supported (got ${args.join(' ')})`);

const basePathArg = args.indexOf('--base-path');
const roots = [basePathArg >= 0 ? args[basePathArg + 1] : null, contractsDir].filter(Boolean);

function readImport(name) {
  for (const root of roots) {
    const file = path.resolve(root, name);
    if (fs.existsSync(file)) return { contents: fs.readFileSync(file, 'utf8') };
  }
  return { error: `${name} not found under ${roots.join(' or ')}` };
}

const input = fs.readFileSync(0, 'utf8');
process.stdout.write(solc.compile(input, { import: readImport }));
