import type { Digest } from '../identity/digest.js';
import type { Metadata } from '../registry/records.js';
import { comparePaths } from './compare-paths.js';
import { MANIFEST_SCHEMA, validateManifest } from './manifest-schema.js';

export { comparePaths } from './compare-paths.js';
export { MANIFEST_SCHEMA } from './manifest-schema.js';

/** The package fields a manifest freezes. Timestamps are RFC 3339 UTC with milliseconds. */
export interface ManifestPackage {
  readonly id: string;
  readonly name: string;
  readonly producer: string;
  readonly subject: string;
  readonly retentionClass: string;
  readonly metadata: Metadata;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly finalizedAt: string;
  readonly finalizedBy: string;
}

/** One file entry of a manifest. `size` is in bytes. */
export interface ManifestFile {
  readonly path: string;
  readonly digest: Digest;
  readonly size: number;
  readonly mediaType: string;
}

/**
 * The frozen description of a finalized package. `files` is sorted by `comparePaths` and has no
 * duplicate paths. The BLAKE3 digest of its CBOR encoding is the manifest address.
 */
export interface Manifest {
  readonly schema: typeof MANIFEST_SCHEMA;
  readonly package: ManifestPackage;
  readonly files: readonly ManifestFile[];
}

/**
 * Builds a manifest from the package and its files. Copies only the manifest fields, so package
 * and file records with extra fields may be passed. Sorts the files by path (`comparePaths`).
 *
 * @throws StoreError INVALID_MANIFEST when a field is invalid or two files share a path.
 */
export function buildManifest(pkg: ManifestPackage, files: readonly ManifestFile[]): Manifest {
  const sortedFiles = files.map(toManifestFile).sort((a, b) => comparePaths(a.path, b.path));

  return validateManifest({
    schema: MANIFEST_SCHEMA,
    package: toManifestPackage(pkg),
    files: sortedFiles,
  });
}

/** Copies the manifest fields of a package, leaving out any other fields of a record. */
export function toManifestPackage(pkg: ManifestPackage): ManifestPackage {
  return {
    id: pkg.id,
    name: pkg.name,
    producer: pkg.producer,
    subject: pkg.subject,
    retentionClass: pkg.retentionClass,
    metadata: pkg.metadata,
    createdAt: pkg.createdAt,
    createdBy: pkg.createdBy,
    finalizedAt: pkg.finalizedAt,
    finalizedBy: pkg.finalizedBy,
  };
}

/** Copies the manifest fields of a file, leaving out any other fields of a record. */
export function toManifestFile(file: ManifestFile): ManifestFile {
  return {
    path: file.path,
    digest: file.digest,
    size: file.size,
    mediaType: file.mediaType,
  };
}
