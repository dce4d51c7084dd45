const { TestEnvironment } = require('jest-environment-node');

/**
 * jest runs each test file in its own realm, so its Float32Array is not the one native addons
 * (onnxruntime-node) create, and onnxruntime's `instanceof` checks fail. Share the host's typed
 * arrays, and its Math (jest's sandboxed Math is ~100x slower in hot pixel loops).
 */
const shared = [
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
  'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'Math',
];

class HostTypedArraysEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of shared) this.global[name] = globalThis[name];
  }
}

module.exports = HostTypedArraysEnvironment;
