/**
 * `pnpm --filter @sis/bench python-env`: makes the Python reference environment (.cache/pyref) when it is
 * missing, so the test command's 8-bit parity tests can run onnxruntime for Python on this machine. Prints
 * where it is, or why it could not be made; never fails the caller (the tests say what they skipped).
 */
import { pythonEnv } from './python';

const env = pythonEnv((text) => console.error(text));
console.log(env.ok ? `python-env: ${env.python}` : `python-env: ${env.note}`);
