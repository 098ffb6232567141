// Points kinesalite's require('bignumber.js') at bigint-number.cjs. Why: kinesalite spent 35 % of
// its busy time in bignumber.js under the quick bench (building and parsing 47-hex-digit sequence
// numbers and comparing each record's MD5 with the shard ranges), and its CPU bounds the pipeline on
// 2 cores. Only kinesalite's own files are redirected; its dependencies and everything else in the
// process still get the real bignumber.js.
'use strict';

const Module = require('node:module');
const { dirname, sep } = require('node:path');

const REQUEST = 'bignumber.js';

/**
 * Redirects the requires kinesalite makes from now on (load kinesalite after this call; modules it
 * already loaded keep what they got).
 * @returns {() => void} undoes the redirect
 */
function useBigIntInKinesalite() {
  const kinesaliteDir = dirname(require.resolve('kinesalite/package.json')) + sep;
  const kinesaliteDependencies = `${kinesaliteDir}node_modules${sep}`;
  const replacement = require.resolve('./bigint-number.cjs');
  const original = Module._resolveFilename;
  Module._resolveFilename = function resolveFilename(request, parent, ...rest) {
    const from = parent?.filename;
    if (request === REQUEST && typeof from === 'string' && from.startsWith(kinesaliteDir) && !from.startsWith(kinesaliteDependencies)) {
      return replacement;
    }
    return original.call(this, request, parent, ...rest);
  };
  return () => {
    Module._resolveFilename = original;
  };
}

module.exports = { useBigIntInKinesalite };
