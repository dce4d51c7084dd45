#!/usr/bin/env node
import { Command } from 'commander';
import { registerCommands } from './cli/commands';
import { runCli } from './cli/run';

const program = new Command()
  .name('sis')
  .description('Semantic image search: index a folder of photos with CLIP, then find them by describing them')
  .option('-c, --config <file>', 'JSON config file (default: ./sis.config.json when present; SIS_* variables override it)')
  // Before the subcommands exist, so they inherit it: usage errors come back to runCli as exceptions.
  .exitOverride();
registerCommands(program, { stdout: process.stdout, stderr: process.stderr });
void runCli(program, process.argv);
