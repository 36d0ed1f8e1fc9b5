// Jest runs tests in a separate realm; onnxruntime-node's native code returns typed arrays of the
// main realm, which fail onnxruntime-common's `instanceof Float32Array` checks inside the test
// realm. This environment shares the main realm's typed-array constructors with the tests.
const { TestEnvironment } = require('jest-environment-node');

class MainRealmTypedArraysEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of ['Float32Array', 'Float64Array', 'Int8Array', 'Uint8Array', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array', 'Uint8ClampedArray', 'ArrayBuffer']) {
      this.global[name] = globalThis[name];
    }
  }
}
module.exports = MainRealmTypedArraysEnvironment;
