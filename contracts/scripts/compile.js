#!/usr/bin/env node
// Compiles contracts/solidity/**/*.sol with the pinned npm solc (installed by
// scripts/install-chain-tools.sh into <repo>/.tools) and writes one artifact JSON
// per contract to contracts/artifacts/ (abi, bytecode, deployedBytecode).
//
//   node contracts/scripts/compile.js          write the artifacts
//   node contracts/scripts/compile.js --check  exit 1 if the committed artifacts differ
'use strict';
const fs = require('fs');
const path = require('path');

const SOLC_VERSION = '0.8.37';
const contractsDir = path.resolve(__dirname, '..');
const repo = path.resolve(contractsDir, '..');
const sourceDir = path.join(contractsDir, 'solidity');
const artifactDir = path.join(contractsDir, 'artifacts');

function loadSolc() {
  const solcPath = path.join(repo, '.tools', 'node_modules', 'solc');
  if (!fs.existsSync(solcPath)) {
    console.error(`solc-js is not installed at ${solcPath}: run scripts/install-chain-tools.sh`);
    process.exit(2);
  }
  const solc = require(solcPath);
  if (!solc.version().startsWith(SOLC_VERSION + '+')) {
    console.error(`solc ${solc.version()} found, ${SOLC_VERSION} pinned: run scripts/install-chain-tools.sh`);
    process.exit(2);
  }
  return solc;
}

function listSources(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return listSources(p);
    return e.name.endsWith('.sol') ? [p] : [];
  }).sort();
}

function compile(solc) {
  const sources = {};
  for (const file of listSources(sourceDir)) {
    const key = path.relative(sourceDir, file).split(path.sep).join('/');
    sources[key] = { content: fs.readFileSync(file, 'utf8') };
  }
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: 'cancun',
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  for (const e of output.errors || []) console.error(e.formattedMessage);
  if (errors.length) process.exit(1);
  const artifacts = {};
  for (const [source, contracts] of Object.entries(output.contracts)) {
    for (const [name, c] of Object.entries(contracts)) {
      if (!c.evm.bytecode.object) continue; // interfaces have no code to deploy
      artifacts[`${name}.json`] = JSON.stringify({
        contractName: name,
        sourceName: source,
        compiler: `solc-js ${solc.version()}`,
        abi: c.abi,
        bytecode: '0x' + c.evm.bytecode.object,
        deployedBytecode: '0x' + c.evm.deployedBytecode.object,
      }, null, 2) + '\n';
    }
  }
  return artifacts;
}

const artifacts = compile(loadSolc());
if (process.argv.includes('--check')) {
  let stale = false;
  for (const [file, text] of Object.entries(artifacts)) {
    const committed = path.join(artifactDir, file);
    if (!fs.existsSync(committed) || fs.readFileSync(committed, 'utf8') !== text) {
      console.error(`contracts/artifacts/${file} differs from a fresh compile: run node contracts/scripts/compile.js`);
      stale = true;
    }
  }
  process.exit(stale ? 1 : 0);
} else {
  fs.mkdirSync(artifactDir, { recursive: true });
  for (const [file, text] of Object.entries(artifacts)) {
    fs.writeFileSync(path.join(artifactDir, file), text);
    console.log(`wrote contracts/artifacts/${file}`);
  }
}
