/**
 * scripts/sis builds only when something it builds from changed, and prints nothing of its own otherwise
 * (issue 10: it ran setup and a turbo build on every call). Run on a copy of the script in a fake checkout whose
 * setup.sh records its calls and "builds" a cli.js that echoes its arguments.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const script = path.resolve(__dirname, '../../../scripts/sis');

describe('scripts/sis', () => {
  let repo: string;
  const setupCalls = () => (fs.existsSync(path.join(repo, 'setup-calls')) ? fs.readFileSync(path.join(repo, 'setup-calls'), 'utf8').split('\n').filter(Boolean).length : 0);
  const run = (...args: string[]) => {
    const result = spawnSync(path.join(repo, 'scripts/sis'), args, { encoding: 'utf8', env: { PATH: process.env.PATH } });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  /** A clock ahead of the real one, so that "later" holds whatever the file system's time resolution. */
  let clock = Date.now() + 100_000;
  const touchLater = (file: string) => {
    clock += 10_000;
    fs.utimesSync(file, new Date(clock), new Date(clock));
  };

  beforeEach(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-script-'));
    for (const dir of ['scripts', 'node_modules', 'patches', 'packages/core/src', 'packages/core/test', 'apps/api/src']) fs.mkdirSync(path.join(repo, dir), { recursive: true });
    fs.writeFileSync(path.join(repo, 'package.json'), '{}');
    for (const file of ['pnpm-lock.yaml', 'pnpm-workspace.yaml', 'tsconfig.base.json', 'turbo.json', 'packages/core/src/a.ts', 'packages/core/test/a.test.ts', 'apps/api/src/cli.ts']) {
      fs.writeFileSync(path.join(repo, file), '');
    }
    fs.copyFileSync(script, path.join(repo, 'scripts/sis'));
    fs.writeFileSync(
      path.join(repo, 'scripts/setup.sh'),
      `#!/usr/bin/env bash
set -e
cd "$(dirname "$0")/.."
echo call >> setup-calls
echo "a screen of build output"
[ -f fail-setup ] && { echo "compile error in a.ts" >&2; exit 2; }
mkdir -p apps/api/dist
echo 'console.log("ran " + process.argv.slice(2).join(" "))' > apps/api/dist/cli.js
`,
      { mode: 0o755 },
    );
  });
  afterEach(() => fs.rmSync(repo, { recursive: true, force: true }));

  it('builds on first use with one line of its own, then runs without building or printing', () => {
    const first = run('search', 'a dog');
    expect(first).toEqual({ code: 0, stdout: 'ran search a dog\n', stderr: expect.stringMatching(/^sis: sources changed since the last build: setting up and building \(log: .*\)\n$/) });
    expect(setupCalls()).toBe(1);
    for (let i = 0; i < 3; i++) expect(run('search', 'a cat')).toEqual({ code: 0, stdout: 'ran search a cat\n', stderr: '' });
    expect(setupCalls()).toBe(1);
  });

  it('rebuilds after a source, the lockfile or a manifest changes, or a source file is added or removed; not for a test file', () => {
    run('stats');
    const changes: [string, () => void, boolean][] = [
      ['test file edited', () => touchLater(path.join(repo, 'packages/core/test/a.test.ts')), false],
      ['source edited', () => touchLater(path.join(repo, 'packages/core/src/a.ts')), true],
      ['lockfile changed', () => touchLater(path.join(repo, 'pnpm-lock.yaml')), true],
      ['source added (an old file, as a checkout may leave it)', () => fs.writeFileSync(path.join(repo, 'apps/api/src/new.ts'), ''), true],
      ['source removed', () => fs.rmSync(path.join(repo, 'apps/api/src/new.ts')), true],
      ['patch added', () => fs.writeFileSync(path.join(repo, 'patches/x.patch'), ''), true],
      ['build output written', () => fs.writeFileSync(path.join(repo, 'apps/api/dist/extra.js'), ''), false],
    ];
    for (const [what, change, rebuilds] of changes) {
      const before = setupCalls();
      change();
      const result = run('stats');
      expect({ what, code: result.code, built: setupCalls() - before }).toEqual({ what, code: 0, built: rebuilds ? 1 : 0 });
      // The stamp dates from the build's start, which the clock above runs ahead of: move it past the change.
      fs.utimesSync(path.join(repo, 'node_modules/.sis-build-stamp'), new Date(clock + 1000), new Date(clock + 1000));
      expect(run('stats').stderr).toBe('');
    }
  });

  it('shows the end of the build log and fails when the build fails, and tries again next time', () => {
    fs.writeFileSync(path.join(repo, 'fail-setup'), '');
    const failed = run('stats');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/compile error in a\.ts[\s\S]*sis: the build failed \(full log: /);
    fs.rmSync(path.join(repo, 'fail-setup'));
    expect(run('stats')).toMatchObject({ code: 0, stdout: 'ran stats\n' });
    expect(setupCalls()).toBe(2);
  });
});
