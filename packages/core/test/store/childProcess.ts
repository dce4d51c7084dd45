import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const storeSourceDir = path.resolve(__dirname, '../../src/store');
const coreNodeModules = path.resolve(__dirname, '../../node_modules');

/**
 * Compiles src/store to CommonJS in outDir so that a plain `node` child process can use it: tests that need a
 * real process (one that dies by SIGKILL, leaving its lock and files behind) run their script there.
 */
export function compileStoreTo(outDir: string): string {
  // outDir/store holds src/store as store/ and the one module it imports from outside (random.js), as in src.
  const target = path.join(outDir, 'store', 'store');
  fs.mkdirSync(target, { recursive: true });
  for (const name of fs.readdirSync(storeSourceDir)) {
    if (!name.endsWith('.ts')) continue;
    const source = fs.readFileSync(path.join(storeSourceDir, name), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      fileName: name,
    });
    fs.writeFileSync(path.join(target, name.replace(/\.ts$/, '.js')), outputText);
  }
  // The store's one import from outside its folder.
  const random = ts.transpileModule(fs.readFileSync(path.resolve(storeSourceDir, '../random.ts'), 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    fileName: 'random.ts',
  });
  fs.writeFileSync(path.join(outDir, 'store', 'random.js'), random.outputText);
  return path.join(target, 'index.js');
}

/** Runs a JavaScript program in a child node process that resolves packages from core's node_modules. */
export function runNodeScript(script: string, args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['-e', script, '--', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NODE_PATH: coreNodeModules },
    timeout: 60_000,
  });
}

/** Starts the program asynchronously; resolves with its stdout once it exits. */
export function startNodeScript(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, '--', ...args], { env: { ...process.env, NODE_PATH: coreNodeModules } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
