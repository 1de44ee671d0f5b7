// Run as a process of its own (so that NODE_EXTRA_CA_CERTS applies): connects a RedisBus to the url in
// argv[2], appends once and once more with the same key, and prints what the stream then holds.
import { RedisBus } from '../../src/bus/redis.ts';

const bus = await RedisBus.connect({ url: process.argv[2]!, prefix: 'probe:' });
const claim = { key: 'once', ttlMs: 60_000 };
const ids = await bus.appendOnce(claim, [{ stream: 's', fields: { n: '1' } }]);
const again = await bus.appendOnce(claim, [{ stream: 's', fields: { n: '2' } }]);
const stored = (await bus.range('s')).map((e) => e.fields);
console.log(JSON.stringify({ ids, again, stored }));
await bus.close();
