import fs from 'node:fs';
import path from 'node:path';

/** Writes a results file (pretty JSON), creating its folder. */
export function writeResult(file: string, result: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
}
