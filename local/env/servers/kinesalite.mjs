// Starts kinesalite on loopback only (its own CLI binds every interface). Args: port.
import { createRequire } from 'node:module';

// kinesalite spent 35 % of its busy time in bignumber.js (CPU profile of the quick bench), and on 2
// cores its CPU bounds the pipeline; BigInt does the same sums. Installed before kinesalite loads, as
// only its require()s from then on are redirected.
createRequire(import.meta.url)('./kinesalite-bigint.cjs').useBigIntInKinesalite();
const { default: kinesalite } = await import('kinesalite');

const port = Number(process.argv[2]);
// Short state transitions keep provisioning and resharding tests fast; 1,000 shards is AWS's default quota ceiling order.
const server = kinesalite({ createStreamMs: 20, deleteStreamMs: 20, updateStreamMs: 20, shardLimit: 1000 });
server.listen(port, '127.0.0.1', () => console.log(`kinesalite listening on 127.0.0.1:${port}`));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
