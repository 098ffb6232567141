import * as pulumi from '@pulumi/pulumi';
import { parseStackConfig } from './config.js';
import { createProgram } from './program.js';

/**
 * The Pulumi program's entry (`main` in Pulumi.yaml). The one place that reads `pulumi.Config`:
 * it hands a reader over the stack's config to `parseStackConfig`, which validates every key at
 * once and stops with a message naming each bad one, then builds the stack. The default export's
 * return value becomes the stack outputs.
 */
export default async function main() {
  const readers = new Map<string, pulumi.Config>();
  const config = parseStackConfig(pulumi.getStack(), (key) => {
    const at = key.indexOf(':');
    const namespace = key.slice(0, at);
    let reader = readers.get(namespace);
    if (reader === undefined) {
      reader = new pulumi.Config(namespace);
      readers.set(namespace, reader);
    }
    // Secrets are read as plain strings only to be validated; the program wraps them in pulumi.secret.
    return reader.get(key.slice(at + 1));
  });
  return createProgram(config);
}
