import { boundTarget, type Comparison, medianOf, ratioTarget, type Target } from './results.js';

/** Ratios printed beside each product figure: product row → peer or limit rows of the same run. */
export const COMPARISONS: Comparison[] = [
  ...['bare-put', 'distribution-push', 'disk-write', 'b3sum'].map((referenceId) => ({
    productId: 'product-upload',
    referenceId,
  })),
  ...['nginx-get', 'distribution-pull'].map((referenceId) => ({
    productId: 'product-download',
    referenceId,
  })),
  ...[1, 16].flatMap((c) =>
    ['bare-small', 'distribution-small'].map((peer) => ({
      productId: `product-small-c${c}`,
      referenceId: `${peer}-c${c}`,
    })),
  ),
  ...['push-server', 'push-embedded', 'pull-server', 'pull-embedded'].flatMap((figure) =>
    ['git-add', 'restic-backup', 'durable-copy'].map((referenceId) => ({
      productId: `product-${figure}`,
      referenceId,
    })),
  ),
  { productId: 's3-upload', referenceId: 'product-upload' },
  { productId: 's3-download', referenceId: 'product-download' },
];

const rssGrowth: Target = {
  label: 'server peak RSS at 4 GiB within 10 MB of the 1 GiB figure',
  profileScenario: undefined,
  evaluate(rows) {
    const small = medianOf(rows, 'rss-1gib');
    const large = medianOf(rows, 'rss-4gib');
    if (small === undefined || large === undefined) return undefined;
    const growth = large - small;
    return {
      pass: growth <= 10,
      detail: `${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB (need ≤ +10 MB)`,
    };
  },
};

/** The targets every run is checked against, each printed as PASS or MISS with its ratio. */
export const TARGETS: Target[] = [
  ratioTarget(
    '1 GiB upload ≥0.9× bare node:http',
    'product-upload',
    'bare-put',
    0.9,
    'large-transfers',
  ),
  ratioTarget(
    '1 GiB upload ≥1.3× distribution push',
    'product-upload',
    'distribution-push',
    1.3,
    'large-transfers',
  ),
  ratioTarget(
    '1 GiB download ≥0.9× nginx',
    'product-download',
    'nginx-get',
    0.9,
    'large-transfers',
  ),
  ratioTarget('push (server) ≥ git add -A files/s', 'product-push-server', 'git-add', 1, 'tree'),
  ratioTarget(
    'push (embedded) ≥ git add -A files/s',
    'product-push-embedded',
    'git-add',
    1,
    'tree',
  ),
  ratioTarget('pull (server) ≥2× git add -A files/s', 'product-pull-server', 'git-add', 2, 'tree'),
  ratioTarget(
    'pull (embedded) ≥2× git add -A files/s',
    'product-pull-embedded',
    'git-add',
    2,
    'tree',
  ),
  boundTarget(
    '4 KiB uploads at c=16 ≥1,500/s',
    'product-small-c16',
    1500,
    'atLeast',
    'uploads/s',
    'small-uploads',
  ),
  ratioTarget(
    '4 KiB uploads at c=16 ahead of distribution',
    'product-small-c16',
    'distribution-small-c16',
    1,
    'small-uploads',
  ),
  boundTarget('server peak RSS ≤150 MB at 4 GiB', 'rss-4gib', 150, 'atMost', 'MB'),
  rssGrowth,
  boundTarget('finalize of the large package <5 s', 'finalize-time', 5, 'below', 's', 'finalize'),
  boundTarget(
    'replay ≥50,000 events/s on SQLite',
    'replay',
    50_000,
    'atLeast',
    'events/s',
    'replay-listing',
  ),
];
