#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { runCli } from './cli';

runCli(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`dilo: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
