import * as pulumi from '@pulumi/pulumi';
import { parseStackConfig } from './config.js';
import { createProgram } from './program.js';

/**
 * The Pulumi program's entry (`main` in Pulumi.yaml). The one place that reads `pulumi.Config`:
 * it hands readers over the stack's config to `parseStackConfig`, which validates every key at
 * once and stops with a message naming each bad one, then builds the stack. Secret keys reach the
 * program only through `getSecret`, so Pulumi keeps them encrypted in state and masked in output.
 * The default export's return value becomes the stack outputs.
 */
export default async function main() {
  const readers = new Map<string, pulumi.Config>();
  const reader = (key: string) => {
    const at = key.indexOf(':');
    const namespace = key.slice(0, at);
    let found = readers.get(namespace);
    if (found === undefined) {
      found = new pulumi.Config(namespace);
      readers.set(namespace, found);
    }
    return { config: found, name: key.slice(at + 1) };
  };
  const config = parseStackConfig(
    pulumi.getStack(),
    (key) => {
      const { config: c, name } = reader(key);
      return c.get(name);
    },
    (key) => {
      const { config: c, name } = reader(key);
      return c.getSecret(name);
    },
  );
  return createProgram(config);
}
