import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HttpHarness, type Loose } from '../http/http-harness.js';
import { createTestStore, TEST_DATABASES, type TestStore } from '../support/test-store.js';
import { parseJson, runCli } from './cli-harness.js';

interface FinalizeOutput {
  package: { id: string; state: string; manifestDigest: string };
  manifestDigest: string;
}

/** Returns the actor of the last `package.finalized` event of a store served by `http`. */
async function finalizedBy(http: HttpHarness, packageId: string): Promise<string> {
  const events = (await http.request('GET', '/v1/events?limit=1000')).json().items;
  const finalized = events.filter(
    (event: Loose) => event.type === 'package.finalized' && event.packageId === packageId,
  );
  assert.equal(finalized.length, 1);
  return finalized[0].actor;
}

for (const database of TEST_DATABASES) {
  describe(`cli finalize on the local store on ${database.kind}`, { skip: database.skip }, () => {
    let store: TestStore;
    let packageId: string;

    before(async () => {
      store = await createTestStore(database.kind);
      const registry = await store.open();
      try {
        const pkg = await registry.createPackage({
          name: 'app',
          producer: 'ci',
          subject: 'build-1',
          actor: 'ci',
        });
        packageId = pkg.id;
      } finally {
        await registry.close();
      }
    });

    after(async () => {
      await store?.cleanup();
    });

    it('finalizes an open package and prints the address', async () => {
      const result = await runCli(['finalize', packageId, '--actor', 'release'], store.env);
      assert.equal(result.status, 0, result.err);
      const address = result.out.trim();
      assert.match(address, /^blake3:[0-9a-f]{64}$/);

      const shown = await runCli(['--json', 'show', packageId], store.env);
      const pkg = parseJson<{ package: FinalizeOutput['package'] }>(shown).package;
      assert.equal(pkg.state, 'finalized');
      assert.equal(pkg.manifestDigest, address);

      const registry = await store.open();
      try {
        const events = await registry.listEvents({ limit: 1000 });
        assert.equal(events.at(-1)?.type, 'package.finalized');
        assert.equal(events.at(-1)?.actor, 'release');
      } finally {
        await registry.close();
      }

      const manifest = await runCli(['manifest', packageId], store.env);
      assert.equal(manifest.status, 0, manifest.err);
    });

    it('exits 5 for a finalized package', async () => {
      const result = await runCli(['--json', 'finalize', packageId], store.env);
      assert.equal(result.status, 5, result.err);
      assert.match(result.err, /PACKAGE_FINALIZED/);
    });
  });
}

describe('cli finalize and actor through a server', () => {
  let http: HttpHarness;

  before(async () => {
    http = await HttpHarness.start('sqlite');
  });

  after(async () => {
    await http?.close();
  });

  it('prints package and manifestDigest with --json', async () => {
    const pkg = await http.createPackage();
    const result = await runCli(
      ['--json', 'finalize', pkg.id, '--server', http.url, '--actor', 'release'],
      http.store.env,
    );
    assert.equal(result.status, 0, result.err);
    const output = parseJson<FinalizeOutput>(result);
    assert.deepEqual(Object.keys(output).sort(), ['manifestDigest', 'package']);
    assert.equal(output.package.id, pkg.id);
    assert.equal(output.package.state, 'finalized');
    assert.equal(await finalizedBy(http, pkg.id), 'release');
    assert.equal(output.manifestDigest, output.package.manifestDigest);

    const stored = (await http.request('GET', `/v1/packages/${pkg.id}`)).json();
    assert.equal(stored.manifestDigest, output.manifestDigest);
  });

  it('records a non-ASCII --actor sent to the server', async () => {
    const pkg = await http.createPackage();
    const result = await runCli(
      ['--json', 'finalize', pkg.id, '--server', http.url, '--actor', '李雷'],
      http.store.env,
    );
    assert.equal(result.status, 0, result.err);
    assert.equal(parseJson<FinalizeOutput>(result).package.state, 'finalized');
    assert.equal(await finalizedBy(http, pkg.id), '李雷');
  });

  it('records a non-ASCII --actor on push', async () => {
    const result = await runCli(
      ['--json', 'push', 'docs', '--name', 'docs', '--producer', 'ci', '--subject', 's'].concat([
        '--server',
        http.url,
        '--actor',
        'jürgen 李雷',
      ]),
      http.store.env,
    );
    assert.equal(result.status, 0, result.err);
    const { packageId } = parseJson<{ packageId: string }>(result);
    const stored = (await http.request('GET', `/v1/packages/${packageId}`)).json();
    assert.equal(stored.createdBy, 'jürgen 李雷');
  });
});
