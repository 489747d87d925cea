import { StoreError } from '../errors/store-error.js';
import { validateRelativePath } from '../identity/relative-path.js';

/**
 * Checks a package id before a client sends a request for it. A URL resolves a `.` or `..`
 * segment even when it is percent-encoded, so such an id would send the request to another
 * route. The store creates ULIDs as package ids, so it never creates such a package.
 *
 * @throws StoreError INVALID_ARGUMENT naming the id.
 */
export function validatePackageId(packageId: string): string {
  if (packageId !== '.' && packageId !== '..') return packageId;
  throw new StoreError(
    'INVALID_ARGUMENT',
    `invalid package id ${JSON.stringify(packageId)}: a package id is never "." or ".."; pass the id that push or ls printed`,
    { packageId },
  );
}

/**
 * Checks a package id and a file path inside that package before a client sends a request for
 * the file. The path must follow the package path rules. In particular it has no `.` or `..`
 * segment, which a URL would resolve into another package or route.
 *
 * @throws StoreError INVALID_ARGUMENT for the id, INVALID_PATH naming the path and the rule.
 */
export function validateFileAddress(packageId: string, path: string): void {
  validatePackageId(packageId);
  validateRelativePath(path);
}
