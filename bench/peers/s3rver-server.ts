/**
 * s3rver (an S3 API emulator on the local filesystem) as a child process, so its CPU use does
 * not land in the benchmark process.
 *
 * Usage: node --import tsx bench/peers/s3rver-server.ts DIR BUCKET
 * Prints `listening on http://127.0.0.1:PORT` on stdout; stops on SIGTERM or SIGINT.
 */
import S3rver from 's3rver';

const [directory, bucket] = process.argv.slice(2);
if (directory === undefined || bucket === undefined) {
  console.error('usage: s3rver-server.ts DIR BUCKET');
  process.exit(2);
}
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  directory,
  silent: true,
  configureBuckets: [{ name: bucket, configs: [] }],
});
const address = await server.run();
console.log(`listening on http://127.0.0.1:${address.port}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close().then(() => process.exit(0));
  });
}
