import { CommanderError, type Command } from 'commander';
import { ConfigError, ImageSkipError, InvalidSearchError, ModelNotFoundError, ScanRootError, StoreError, UnsupportedModelError } from '@sis/core';
import { UserFacingError } from './context';

/** Errors a user can act on, shown as one line without a stack. */
const userErrors = [UserFacingError, ConfigError, InvalidSearchError, ModelNotFoundError, UnsupportedModelError, ScanRootError, ImageSkipError, StoreError];

export async function runCli(program: Command, argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are exits with status 0; usage mistakes are 2.
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    if (userErrors.some((type) => error instanceof type)) {
      process.stderr.write(`error: ${(error as Error).message}\n`);
      process.exitCode = 1;
      return;
    }
    process.stderr.write(`unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  }
}

