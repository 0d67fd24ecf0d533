// Compiles teeswap's Solidity sources with the solc pinned in
// package-lock.json, through solc's standard-JSON API, and writes
// <Contract>.abi and <Contract>.bin for each contract into the output
// folder. Usage: node compile.js OUTDIR. Run it through generate.sh.
'use strict';

const fs = require('fs');
const path = require('path');
const solc = require('solc');

const SOLC_VERSION = '0.8.28+commit.7893614a';
const SOURCES = ['PaymentChannels.sol', 'HTLC.sol', 'testtokens/TestToken.sol', 'testtokens/HostileToken.sol', 'testtokens/TestWallet.sol'];

function main() {
  const outDir = process.argv[2];
  if (!outDir) {
    throw new Error('usage: node compile.js OUTDIR');
  }
  if (!solc.version().startsWith(SOLC_VERSION)) {
    throw new Error(`solc ${solc.version()} is not the pinned ${SOLC_VERSION}; run npm ci`);
  }
  const sources = {};
  for (const name of SOURCES) {
    sources[name] = { content: fs.readFileSync(path.join(__dirname, name), 'utf8') };
  }
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      evmVersion: 'cancun',
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  let failed = false;
  for (const e of output.errors || []) {
    process.stderr.write(e.formattedMessage || e.message);
    if (e.severity === 'error') {
      failed = true;
    }
  }
  if (failed) {
    process.exit(1);
  }
  fs.mkdirSync(outDir, { recursive: true });
  for (const file of SOURCES) {
    for (const [name, c] of Object.entries(output.contracts[file] || {})) {
      fs.writeFileSync(path.join(outDir, `${name}.abi`), JSON.stringify(c.abi, null, 2) + '\n');
      fs.writeFileSync(path.join(outDir, `${name}.bin`), c.evm.bytecode.object + '\n');
    }
  }
}

main();
